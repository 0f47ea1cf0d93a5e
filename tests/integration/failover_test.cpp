// No single point of failure (issue 16): two balancers, both active, three substations connected to
// both, two edges spreading requests over both. A rush hour of 2,000 requests with
// Idempotency-Keys over HTTP; one balancer is killed with SIGKILL in the middle and started again
// later. Every key ends with exactly one session, no two keys share one, no scrape ever shows a
// substation above its capacity, the sessions spread over the substations within 20 % of their
// capacity shares, the only "not now" answers (503, 504) come within the failover window after the
// kill, and the restarted balancer takes work again. Then the same key is sent to both edges at
// once, a hundred times: one session each. And session queries, stops and operator limits go
// through either balancer.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <unistd.h>

#include "cluster.h"
#include "rush_hour.h"
#include "support/http_get.h"
#include "support/wait.h"

using namespace grid;
using namespace grid::test;
using namespace std::chrono_literals;

#ifdef GRID_EDGE_BIN
namespace {

// The window after a balancer dies in which a client may get 503 or 504 (docs/operations.md,
// "Several balancers"): an edge re-sends a request to the other balancer at once when the dead
// one's connection drops, and at the latest at half its timeout (1 s here).
constexpr auto failover_window = 3s;

double metric(int port, const std::string& series) {
  const auto reply = http_get(port, "/metrics");
  return reply ? sample(reply->body, series).value_or(-1) : -1;
}

// Both edges see both balancers answering, and every substation live.
bool everyone_answers(Cluster& cluster, const std::vector<int>& edges, int balancers) {
  for (const int edge : edges) {
    if (!all_live(edge, static_cast<int>(cluster.substations().size()))) return false;
    if (metric(edge, "edge_balancers_live") != balancers) return false;
  }
  return true;
}

double charged_by(Cluster& cluster, std::size_t balancer) {
  return metric(cluster.balancer_metrics_port(balancer), "balancer_requests_total{outcome=\"charging\"}");
}

double forwarded_by(Cluster& cluster, std::size_t balancer, const std::string& kind) {
  return metric(cluster.balancer_metrics_port(balancer),
                "balancer_forwarded_queries_total{kind=\"" + kind + "\",outcome=\"answered\"}");
}

}  // namespace

TEST_CASE("failover: two balancers share a rush hour, one killed with SIGKILL loses nothing and comes back to work") {
  Cluster cluster({.heartbeat_ms = 100, .liveness = 3, .dispatch_timeout_ms = 300, .balancers = 2});
  cluster.start_balancer();
  const std::map<std::string, double> capacity{{"a", 300}, {"b", 200}, {"c", 100}};
  for (const auto& [id, kw] : capacity) cluster.add_substation(id, kw);
  const std::vector<int> edges{cluster.start_edge({"--timeout-ms", "2000"}), cluster.start_edge({"--timeout-ms", "2000"})};
  REQUIRE_MESSAGE(wait_until([&] { return everyone_answers(cluster, edges, 2); }, 15s), cluster.logs());

  LimitWatcher watcher(cluster);
  // 2,000 keys at 3 kW: more than the 600 kW there is, so every substation is shared out, while
  // their 0.1 kW minimums (200 kW) all fit: no answer is "no capacity".
  constexpr int keys = 2000;
  Requesters requesters({.edge_ports = edges, .workers = 8, .per_worker = keys / 8});
  REQUIRE(wait_until([&] { return requesters.settled() >= 600; }, 90s));
  CHECK(charged_by(cluster, 0) > 0);  // both shared the work before the kill
  CHECK(charged_by(cluster, 1) > 0);
  const auto killed_at = Requesters::Clock::now();
  cluster.kill_balancer(0);
  REQUIRE(wait_until([&] { return requesters.settled() >= 1300; }, 90s));

  cluster.start_balancer(0);
  const auto restarted_at = Requesters::Clock::now();
  REQUIRE_MESSAGE(wait_until([&] { return requesters.settled() >= keys; }, 120s), cluster.logs());
  CHECK(requesters.stop() == keys);
  CHECK(watcher.stop());
  check_exactly_once(cluster, requesters, keys);

  // Only 503 and 504, and only within the failover window after the kill.
  const auto not_now = requesters.not_now();
  for (const auto& [when, status] : not_now) {
    CAPTURE(status);
    const double after_kill_s = std::chrono::duration<double>(when - killed_at).count();
    const double after_restart_s = std::chrono::duration<double>(when - restarted_at).count();
    CAPTURE(after_kill_s);
    CAPTURE(after_restart_s);
    CHECK((status == 503 || status == 504));
    CHECK(when >= killed_at);
    CHECK(when <= killed_at + failover_window);
  }
  MESSAGE(not_now.size() << " answers were 503/504, all within " << failover_window.count() << " s of the kill");
  MESSAGE("the edges re-sent " << metric(edges[0], "edge_failovers_total") + metric(edges[1], "edge_failovers_total")
                               << " requests to the other balancer");

  // The spread over substations follows their capacity shares within 20 %.
  std::map<std::string, int> sessions_on;
  for (const auto& [session, substation] : requesters.where()) ++sessions_on[substation];
  for (const auto& [id, kw] : capacity) {
    CAPTURE(id);
    const double share = static_cast<double>(sessions_on[id]) / keys;
    const double capacity_share = kw / 600.0;
    CAPTURE(share);
    CAPTURE(capacity_share);
    CHECK(share >= capacity_share * 0.8);
    CHECK(share <= capacity_share * 1.2);
    MESSAGE("substation " << id << ": " << sessions_on[id] << " sessions, " << share / capacity_share
                          << " of its capacity share");
  }

  // Back at work: once the edges hear the restarted balancer again, it takes its share (its
  // counters started from zero).
  REQUIRE(wait_until([&] { return everyone_answers(cluster, edges, 2); }, 15s));
  Requesters after({.edge_ports = edges, .workers = 4, .per_worker = 25, .key_prefix = "after"});
  REQUIRE(wait_until([&] { return after.settled() >= 100; }, 60s));
  after.stop();
  CHECK(after.unsettled().empty());
  CHECK(charged_by(cluster, 0) > 0);
  MESSAGE("after its restart, balancer 0 placed " << charged_by(cluster, 0) << " of 100 requests");

  // The same key to both edges at once, a hundred times: each is one session.
  Requesters twice({.edge_ports = edges, .workers = 0, .key_prefix = "twice"});
  for (int i = 0; i < 100; ++i) {
    const std::string key = "twice-" + std::to_string(i);
    std::thread other([&] { twice.charge(key, 50'000 + i, 1); });
    twice.charge(key, 50'000 + i, 0);
    other.join();
  }
  std::set<std::string> sessions;
  for (const auto& [key, answers] : twice.answers()) {
    CAPTURE(key);
    REQUIRE(answers.size() == 2);
    CHECK(answers[0] == answers[1]);
    sessions.insert(answers[0]);
  }
  CHECK(sessions.size() == 100);
  CHECK(wait_until([&] { return held_sessions(cluster) == keys + 200.0; }, 5s));
}

TEST_CASE("failover: session queries, stops and operator limits work through either balancer") {
  const std::string token_file =
      (std::filesystem::temp_directory_path() / ("grid-failover-tokens-" + std::to_string(getpid()))).string();
  std::ofstream(token_file) << "secret-token-1\n";
  Cluster cluster({.heartbeat_ms = 100, .balancers = 2});
  cluster.start_balancer();
  cluster.add_substation("north", 100);
  const int edge = cluster.start_edge({"--operator-token-file", token_file});
  REQUIRE_MESSAGE(wait_until([&] { return everyone_answers(cluster, {edge}, 2); }, 15s), cluster.logs());

  // The edge asks the balancers in turn: four of each query reach both of them.
  Requesters requesters({.edge_ports = {edge}, .workers = 0});
  for (int i = 0; i < 4; ++i) requesters.charge("api-" + std::to_string(i), 60'000 + i, 0);
  REQUIRE(requesters.answers().size() == 4);
  std::vector<std::string> sessions;
  for (const auto& [key, answers] : requesters.answers()) sessions.push_back(answers.front());
  for (int i = 0; i < 4; ++i) {
    const auto limit = http_call(edge, {.method = "PUT", .target = "/substations/north/limit",
                                        .body = R"({"limit_kw":)" + std::to_string(90 - i) + "}",
                                        .content_type = "application/json",
                                        .headers = {{"Authorization", "Bearer secret-token-1"}}});
    REQUIRE(limit);
    CHECK_MESSAGE(limit->status == 200, limit->body);
    const auto state = session(edge, sessions[static_cast<std::size_t>(i)]);
    REQUIRE(state);
    CHECK(state->at("status") != "stopped");
    const auto stop = http_call(edge, {.method = "DELETE", .target = "/sessions/" + sessions[static_cast<std::size_t>(i)]});
    REQUIRE(stop);
    CHECK_MESSAGE(stop->status == 200, stop->body);
  }
  // The last limit is in force, whichever balancer carried it.
  CHECK(metric(cluster.substation("north").metrics_port, "substation_limit_kw{substation=\"north\"}") == 87);
  for (const std::size_t balancer : {0U, 1U}) {
    CAPTURE(balancer);
    CHECK(forwarded_by(cluster, balancer, "set_limit") >= 1);
    CHECK(forwarded_by(cluster, balancer, "session") >= 1);
    CHECK(forwarded_by(cluster, balancer, "stop") >= 1);
  }
  std::filesystem::remove(token_file);
}
#endif
