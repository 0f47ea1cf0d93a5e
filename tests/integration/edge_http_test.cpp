// grid-edge as a real process in front of a real balancer and substations: what an EV's HTTP
// client sees, including when the grid is full, the balancer is gone or hangs, and the edge stops.
#include <doctest/doctest.h>

#include <algorithm>
#include <csignal>
#include <future>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "cluster.h"
#include "support/http_get.h"
#include "support/wait.h"

using namespace grid::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::optional<HttpReply> charge(int port, const std::string& body, int timeout_ms = 5000) {
  return http_request(port, "POST", "/charge", body, "application/json", timeout_ms);
}

std::string vehicle(const std::string& id, double power_kw = 11) {
  return json{{"vehicle_id", id}, {"power_kw", power_kw}}.dump();
}

json body_of(const std::optional<HttpReply>& reply) {
  REQUIRE(reply);
  const auto body = json::parse(reply->body, nullptr, false);
  REQUIRE_MESSAGE(!body.is_discarded(), reply->body);
  return body;
}

std::string header_of(const std::optional<HttpReply>& reply, const std::string& name) {
  REQUIRE(reply);
  const auto found = reply->headers.find(name);
  return found == reply->headers.end() ? std::string() : found->second;
}

// /healthz says 200 and sees `live` substations: the balancer answers and every substation joined.
bool wait_healthy(int port, int live, std::chrono::milliseconds limit = 10s) {
  return wait_until(
      [&] {
        const auto reply = http_get(port, "/healthz");
        if (!reply || reply->status != 200) return false;
        const auto body = json::parse(reply->body, nullptr, false);
        return !body.is_discarded() && body.value("live_substations", -1) == live;
      },
      limit, 20ms);
}

bool wait_unhealthy(int port) {
  return wait_until(
      [&] {
        const auto reply = http_get(port, "/healthz");
        return reply && reply->status == 503;
      },
      10s, 20ms);
}

std::string scrape(int port) {
  const auto reply = http_get(port, "/metrics");
  REQUIRE(reply);
  REQUIRE(reply->status == 200);
  return reply->body;
}

void check_no_overload(Cluster& cluster) {
  for (auto& s : cluster.substations()) {
    const auto reply = http_get(s.metrics_port, "/metrics");
    REQUIRE(reply);
    const std::string labels = "{substation=\"" + s.id + "\"}";
    const auto load = sample(reply->body, "substation_load_kw" + labels);
    REQUIRE(load);
    CHECK(*load <= s.capacity_kw);
  }
}

}  // namespace

TEST_CASE("edge over HTTP: sessions spread by capacity, client errors answered by the edge, valid metrics") {
  Cluster cluster;
  cluster.start_balancer();
  cluster.add_substation("large", 300);
  cluster.add_substation("medium", 200);
  cluster.add_substation("small", 100);
  const int port = cluster.start_edge();
  REQUIRE_MESSAGE(wait_healthy(port, 3), cluster.logs());

  // 60 sessions of 5 kW: 300 kW of the grid's 600.
  std::map<std::string, int> per_substation;
  for (int i = 0; i < 60; ++i) {
    const std::string id = "EV-" + std::to_string(i);
    const auto reply = charge(port, vehicle(id, 5));
    REQUIRE_MESSAGE(reply, cluster.logs());
    REQUIRE_MESSAGE(reply->status == 200, reply->body);
    const auto body = body_of(reply);
    CHECK(body["status"] == "charging");
    CHECK(body["vehicle_id"] == id);
    CHECK(body["power_kw"] == 5.0);
    CHECK_FALSE(body["session_id"].get<std::string>().empty());
    ++per_substation[body["substation"].get<std::string>()];
  }
  for (const auto& s : cluster.substations()) {
    CAPTURE(s.id);
    CAPTURE(per_substation[s.id]);
    CHECK(per_substation[s.id] / 60.0 == doctest::Approx(s.capacity_kw / 600.0).epsilon(0.20));
  }
  check_no_overload(cluster);

  struct Refused {
    const char* name;
    std::string method, target, body, content_type;
    int status;
    std::string error_mentions;
  };
  const std::vector<Refused> table{
      {"malformed", "POST", "/charge", R"({"vehicle_id": "EV-1",)", "application/json", 400, "malformed JSON"},
      {"missing vehicle_id", "POST", "/charge", R"({"power_kw": 11})", "application/json", 400, "vehicle_id"},
      {"power out of range", "POST", "/charge", vehicle("EV-1", 351), "application/json", 400, "power_kw"},
      {"energy out of range", "POST", "/charge", R"({"vehicle_id": "EV-1", "energy_kwh": 0})", "application/json", 400,
       "energy_kwh"},
      {"power as a string", "POST", "/charge", R"({"vehicle_id": "EV-1", "power_kw": "11"})", "application/json", 400,
       "power_kw"},
      {"body over 64 KiB", "POST", "/charge", R"({"vehicle_id": ")" + std::string(65 * 1024, 'x') + "\"}",
       "application/json", 413, ""},
      {"form content type", "POST", "/charge", "vehicle_id=EV-1", "application/x-www-form-urlencoded", 415,
       "application/json"},
      {"other path", "GET", "/sessions", "", "", 404, "not found"},
      {"wrong method", "GET", "/charge", "", "", 405, "method"},
  };
  for (const auto& row : table) {
    CAPTURE(row.name);
    const auto reply = http_request(port, row.method, row.target, row.body, row.content_type);
    REQUIRE(reply);
    CHECK(reply->status == row.status);
    const auto error = body_of(reply)["error"].get<std::string>();
    CHECK(error.find(row.error_mentions) != std::string::npos);
    if (row.status == 405) CHECK(header_of(reply, "allow") == "POST");
  }

  const auto metrics = scrape(port);
  CHECK(promtool_check_metrics(metrics) == "");
  CHECK(sample(metrics, "edge_http_requests_total{code=\"200\",handler=\"charge\"}") == 60.0);
  CHECK(sample(metrics, "edge_http_requests_total{code=\"400\",handler=\"charge\"}") == 5.0);
  CHECK(sample(metrics, "edge_request_duration_seconds_count") >= 60.0);
  CHECK(sample(metrics, "edge_requests_in_flight") == 0.0);
  CHECK(sample(metrics, "edge_balancer_up") == 1.0);
  CHECK(sample(metrics, "process_open_fds").has_value());
}

TEST_CASE("edge: once the grid is full, 503 with Retry-After") {
  // Cars that charge only at their full 11 kW (the substations' --min-power-kw), so three fill it.
  Cluster cluster({.substation_extra = {"--min-power-kw", "11"}});
  cluster.start_balancer();
  cluster.add_substation("north", 22);
  cluster.add_substation("south", 11);
  const int port = cluster.start_edge();
  REQUIRE_MESSAGE(wait_healthy(port, 2), cluster.logs());

  // 33 kW of capacity: three sessions of 11 kW fill it (sessions last hours at time scale 1).
  for (int i = 0; i < 3; ++i) {
    const auto reply = charge(port, vehicle("EV-" + std::to_string(i)));
    REQUIRE(reply);
    REQUIRE_MESSAGE(reply->status == 200, reply->body, cluster.logs());
  }
  const auto full = charge(port, vehicle("EV-late"));
  REQUIRE(full);
  CHECK(full->status == 503);
  CHECK(body_of(full)["error"] == "no capacity");
  CHECK_FALSE(header_of(full, "retry-after").empty());
  check_no_overload(cluster);
}

TEST_CASE("edge: a stopped balancer means 504 and /healthz 503, it recovers when the balancer is back") {
  Cluster cluster;
  cluster.start_balancer();
  cluster.add_substation("north", 300);
  cluster.add_substation("south", 300);
  const int port = cluster.start_edge({"--timeout-ms", "500"});
  REQUIRE_MESSAGE(wait_healthy(port, 2), cluster.logs());
  REQUIRE(charge(port, vehicle("EV-before"))->status == 200);

  REQUIRE(cluster.balancer().terminate(2000) == 0);
  REQUIRE_MESSAGE(wait_unhealthy(port), cluster.logs());
  const auto health = http_get(port, "/healthz");
  CHECK(body_of(health)["balancer"] == "down");
  const auto started = std::chrono::steady_clock::now();
  const auto lost = charge(port, vehicle("EV-during"));
  REQUIRE(lost);
  CHECK(lost->status == 504);
  const auto error = body_of(lost)["error"].get<std::string>();
  CHECK((error == "balancer unreachable" || error == "balancer timeout"));
  CHECK(std::chrono::steady_clock::now() - started < 2s);  // bounded by --timeout-ms, never hangs
  CHECK(sample(scrape(port), "edge_balancer_up") == 0.0);

  // The same ports again: the edge and the substations reconnect by themselves.
  cluster.start_balancer();
  REQUIRE_MESSAGE(wait_healthy(port, 2), cluster.logs());
  const auto after = charge(port, vehicle("EV-after"));
  REQUIRE(after);
  CHECK_MESSAGE(after->status == 200, after->body);
  CHECK(sample(scrape(port), "edge_balancer_up") == 1.0);
}

TEST_CASE("edge: a hung balancer means 504 after --timeout-ms, and its late replies are dropped and counted") {
  Cluster cluster;
  cluster.start_balancer();
  cluster.add_substation("north", 300);
  const int port = cluster.start_edge({"--timeout-ms", "300"});
  REQUIRE_MESSAGE(wait_healthy(port, 1), cluster.logs());

  // SIGSTOP: the connection stays up but nothing answers, as with a balancer stuck in a loop.
  REQUIRE(::kill(cluster.balancer().pid(), SIGSTOP) == 0);
  const auto started = std::chrono::steady_clock::now();
  const auto reply = charge(port, vehicle("EV-hung"));
  const auto waited = std::chrono::steady_clock::now() - started;
  ::kill(cluster.balancer().pid(), SIGCONT);
  REQUIRE(reply);
  CHECK(reply->status == 504);
  CHECK(body_of(reply)["error"] == "balancer timeout");
  CHECK(waited >= 300ms);
  CHECK(waited < 2s);

  // Resumed, the balancer answers the old request: too late, dropped and counted.
  CHECK(wait_until([&] {
    return sample(scrape(port), "edge_messages_dropped_total{reason=\"unknown_request\"}").value_or(0) >= 1.0;
  }));
  REQUIRE(wait_healthy(port, 1));
  CHECK(charge(port, vehicle("EV-next"))->status == 200);
}

TEST_CASE("edge: SIGTERM answers the requests in flight with 503 and exits within a second") {
  Cluster cluster;
  cluster.start_balancer();
  cluster.add_substation("north", 300);
  const int port = cluster.start_edge({"--timeout-ms", "10000"});
  REQUIRE_MESSAGE(wait_healthy(port, 1), cluster.logs());

  REQUIRE(::kill(cluster.balancer().pid(), SIGSTOP) == 0);  // requests stay in flight
  std::vector<std::future<std::optional<HttpReply>>> waiting;
  for (int i = 0; i < 5; ++i) {
    waiting.push_back(std::async(std::launch::async, [port, i] { return charge(port, vehicle("EV-" + std::to_string(i))); }));
  }
  REQUIRE(wait_until([&] { return sample(scrape(port), "edge_requests_in_flight") == 5.0; }));

  const auto started = std::chrono::steady_clock::now();
  CHECK(cluster.edge().terminate(2000) == 0);
  CHECK(std::chrono::steady_clock::now() - started < 1s);
  for (auto& request : waiting) {
    const auto reply = request.get();
    REQUIRE(reply);
    CHECK(reply->status == 503);
    CHECK(body_of(reply)["error"] == "edge shutting down");
    CHECK_FALSE(header_of(reply, "retry-after").empty());
  }
  ::kill(cluster.balancer().pid(), SIGCONT);
}

TEST_CASE("edge: 50 EVs arriving 5 ms apart are all served, spread over the three substations") {
  Cluster cluster;
  cluster.start_balancer();
  cluster.add_substation("large", 400);
  cluster.add_substation("medium", 300);
  cluster.add_substation("small", 200);
  const int port = cluster.start_edge();
  REQUIRE_MESSAGE(wait_healthy(port, 3), cluster.logs());

  // Every EV on its own client thread, sent on a steady 5 ms beat: many requests in flight at once.
  constexpr int evs = 50;
  std::vector<std::future<std::pair<std::optional<HttpReply>, double>>> sent;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < evs; ++i) {
    std::this_thread::sleep_until(start + i * 5ms);
    sent.push_back(std::async(std::launch::async, [port, i] {
      const auto t0 = std::chrono::steady_clock::now();
      auto reply = charge(port, json{{"vehicle_id", "EV-" + std::to_string(i)}}.dump());
      return std::pair{std::move(reply), std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()};
    }));
  }
  std::map<std::string, int> per_substation;
  std::vector<double> latencies;
  for (auto& future : sent) {
    // Named, not a structured binding: clang 14 cannot capture a binding in CHECK_MESSAGE.
    auto answer = future.get();
    const auto& reply = answer.first;
    const double seconds = answer.second;
    REQUIRE(reply);
    CHECK_MESSAGE(reply->status == 200, reply->body);
    if (reply->status == 200) ++per_substation[body_of(reply)["substation"].get<std::string>()];
    latencies.push_back(seconds);
  }
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::sort(latencies.begin(), latencies.end());
  MESSAGE("50 EVs in ", total * 1000, " ms; latency p50 ", latencies[evs / 2] * 1000, " ms, max ",
          latencies.back() * 1000, " ms; large ", per_substation["large"], ", medium ", per_substation["medium"],
          ", small ", per_substation["small"]);
  for (const auto& s : cluster.substations()) {
    CAPTURE(s.id);
    CHECK(per_substation[s.id] >= 1);
  }
  check_no_overload(cluster);
  CHECK(sample(scrape(port), "edge_http_requests_total{code=\"200\",handler=\"charge\"}") == double(evs));
}
