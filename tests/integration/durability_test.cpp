// Nothing is lost when a node crashes (issue 15): substations keep their books in a state file
// (--state), and a restarted balancer reads which requests they hold. Real processes on loopback:
// clients charge over HTTP with Idempotency-Keys and retry every 503/504 with the same key while
// a substation and then the balancer are killed with SIGKILL and restarted, or one substation is
// killed and restarted twenty times in a row. Afterwards every key holds exactly one session,
// the substations hold nothing else, no scrape ever showed a substation above its capacity, and a
// restarted substation's sessions kept their energy up to the last checkpoint.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "cluster.h"
#include "support/http_get.h"
#include "support/wait.h"

using namespace grid;
using namespace grid::test;
using namespace std::chrono_literals;

#ifdef GRID_EDGE_BIN
namespace {

// Requesters that charge one key after another, each until a definite answer: what a client
// following the HTTP API does (docs/http-api.md, "Retrying").
class Requesters {
public:
  // Each worker charges up to `per_worker` keys, one after another, until stopped.
  Requesters(int edge_port, int workers, int per_worker) : edge_port_(edge_port) {
    for (int w = 0; w < workers; ++w) {
      threads_.emplace_back([this, w, per_worker] {
        for (int i = 0; i < per_worker && !stop_; ++i) {
          charge("key-" + std::to_string(w) + "-" + std::to_string(i), w * 1000 + i);
        }
      });
    }
  }
  ~Requesters() { stop(); }
  // Lets every worker finish the key it is on, then returns how many keys were asked.
  int stop() {
    stop_ = true;
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
    return settled_;
  }
  // Keys with a definite answer: charging, or an error that asking again cannot change.
  int settled() const { return settled_; }
  // Every charging answer each key got, in order; and the substation of its session.
  std::map<std::string, std::vector<std::string>> answers() const {
    std::lock_guard lock(mutex_);
    return answers_;
  }
  std::map<std::string, std::string> where() const {
    std::lock_guard lock(mutex_);
    return where_;
  }
  std::vector<std::string> unsettled() const {
    std::lock_guard lock(mutex_);
    return unsettled_;
  }

private:
  void charge(const std::string& key, int vehicle) {
    const std::string body = R"({"vehicle_id": "EV-)" + std::to_string(vehicle) +
                             R"(", "power_kw": 3, "min_power_kw": 0.1, "energy_kwh": 200})";
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (std::chrono::steady_clock::now() < deadline) {
      const auto reply = http_call(edge_port_, {.method = "POST", .target = "/charge", .body = body,
                                                .content_type = "application/json",
                                                .headers = {{"Idempotency-Key", key}}, .timeout_ms = 5000});
      if (reply && reply->status == 200) {
        const auto json = nlohmann::json::parse(reply->body);
        std::lock_guard lock(mutex_);
        answers_[key].push_back(json.at("session_id").get<std::string>());
        where_[json.at("session_id").get<std::string>()] = json.at("substation").get<std::string>();
        ++settled_;
        return;
      }
      if (reply && reply->status != 503 && reply->status != 504) {
        std::lock_guard lock(mutex_);
        unsettled_.push_back(key + ": " + std::to_string(reply->status) + " " + reply->body);
        ++settled_;
        return;
      }
      // 503 and 504 (and a refused connection) are "not now": ask again, same key.
      std::this_thread::sleep_for(20ms);
    }
    std::lock_guard lock(mutex_);
    unsettled_.push_back(key);
  }

  int edge_port_;
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::string>> answers_;
  std::map<std::string, std::string> where_;  // session -> substation
  std::vector<std::string> unsettled_;
  std::atomic<int> settled_{0};
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

// Scrapes every substation until stopped: did any ever show more load than its capacity?
class LimitWatcher {
public:
  explicit LimitWatcher(Cluster& cluster)
      : thread_([this, &cluster] {
          while (!stop_) {
            if (!cluster.none_overloaded()) overloaded_ = true;
            std::this_thread::sleep_for(20ms);
          }
        }) {}
  ~LimitWatcher() { stop(); }
  bool stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return !overloaded_;
  }

private:
  std::atomic<bool> stop_{false};
  std::atomic<bool> overloaded_{false};
  std::thread thread_;
};

bool all_live(int edge, int count) {
  const auto health = http_get(edge, "/healthz");
  return health && health->status == 200 &&
         health->body.find("\"live_substations\":" + std::to_string(count)) != std::string::npos;
}

// A session's state through the edge; 503 and 504 (a balancer or substation coming back) are
// asked again, as a client would.
std::optional<nlohmann::json> session(int edge, const std::string& id) {
  std::optional<HttpReply> reply;
  wait_until([&] {
    reply = http_get(edge, "/sessions/" + id);
    return reply && reply->status != 503 && reply->status != 504;
  }, 10s, 20ms);
  if (!reply || reply->status != 200) {
    MESSAGE("GET /sessions/" << id << ": " << (reply ? std::to_string(reply->status) + " " + reply->body : "no answer"));
    return std::nullopt;
  }
  return nlohmann::json::parse(reply->body);
}

// The sessions the substations hold, by their own gauges.
double held_sessions(Cluster& cluster) {
  double total = 0;
  for (auto& s : cluster.substations()) {
    const auto metrics = http_get(s.metrics_port, "/metrics");
    REQUIRE(metrics);
    total += sample(metrics->body, "substation_current_load{substation=\"" + s.id + "\"}").value_or(-1e9);
  }
  return total;
}

// Every key settled, each on one session that no other key shares, and the substations hold
// exactly those sessions, each still running.
void check_exactly_once(Cluster& cluster, const Requesters& requesters, int keys) {
  INFO(cluster.logs());
  for (const auto& failure : requesters.unsettled()) FAIL_CHECK(failure);
  std::set<std::string> sessions;
  for (const auto& [key, answers] : requesters.answers()) {
    CAPTURE(key);
    for (const auto& answer : answers) CHECK(answer == answers.front());
    CHECK(sessions.insert(answers.front()).second);
  }
  CHECK(sessions.size() == static_cast<std::size_t>(keys));
  // The gauges follow every event: wait for them to settle after the last admission.
  CHECK(wait_until([&] { return held_sessions(cluster) == static_cast<double>(keys); }, 5s));
  CAPTURE(held_sessions(cluster));
  for (const auto& id : sessions) {
    const auto state = session(cluster.edge_port(), id);
    CAPTURE(id);
    REQUIRE(state);
    const std::string status = state->at("status");
    CHECK((status == "charging" || status == "paused"));
  }
}

}  // namespace

TEST_CASE("durable: a rush hour over HTTP survives a substation and the balancer killed and restarted") {
  Cluster cluster({.heartbeat_ms = 100, .liveness = 3, .dispatch_timeout_ms = 300, .durable = true});
  cluster.start_balancer();
  for (const char* id : {"a", "b", "c"}) cluster.add_substation(id, 100);
  const int edge = cluster.start_edge({"--timeout-ms", "1500"});
  REQUIRE(wait_until([&] { return all_live(edge, 3); }));

  LimitWatcher watcher(cluster);
  // At most 600 keys: every session fits at its 0.1 kW minimum (60 of 300 kW), so no answer is
  // "no capacity".
  Requesters requesters(edge, 6, 100);
  const auto settled_more = [&](int more) {
    const int target = requesters.settled() + more;
    return wait_until([&] { return requesters.settled() >= target; }, 60s);
  };

  // Under way: kill substation b and restart it from its state file, while requests go on.
  REQUIRE(settled_more(60));
  std::map<std::string, nlohmann::json> before;  // b's sessions as last seen before the crash
  for (const auto& [id, substation] : requesters.where()) {
    if (substation != "b") continue;
    if (const auto state = session(edge, id)) before[id] = *state;
  }
  REQUIRE_FALSE(before.empty());
  const auto killed_at = std::chrono::steady_clock::now();
  cluster.restart_substation("b");
  REQUIRE_MESSAGE(wait_until([&] { return all_live(edge, 3); }, 10s), cluster.logs());
  const double down_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  for (const auto& [id, was] : before) {
    CAPTURE(id);
    const auto now = session(edge, id);
    REQUIRE_MESSAGE(now, cluster.logs());  // not lost
    const double power = was.at("power_kw");
    const double then = was.at("energy_delivered_kwh");
    const double delivered = now->at("energy_delivered_kwh");
    // At most one checkpoint (the 1 s control tick) lost; never more than the power could give.
    CHECK(delivered >= then - power * 1.0 / 3600 - 1e-9);
    CHECK(delivered <= then + power * (down_s + 1.0) / 3600 + 1e-9);
  }

  // Still under way: kill the balancer and start a new one on the same ports.
  REQUIRE(settled_more(60));
  cluster.balancer().kill_hard();
  cluster.start_balancer();
  REQUIRE(settled_more(60));

  const int keys = requesters.stop();
  CHECK(watcher.stop());
  REQUIRE(wait_until([&] { return all_live(edge, 3); }));
  check_exactly_once(cluster, requesters, keys);
}

TEST_CASE("durable: a substation killed and restarted twenty times loses no session and doubles none") {
  Cluster cluster({.heartbeat_ms = 100, .liveness = 3, .dispatch_timeout_ms = 300, .durable = true});
  cluster.start_balancer();
  for (const char* id : {"a", "b"}) cluster.add_substation(id, 100);
  const int edge = cluster.start_edge({"--timeout-ms", "1500"});
  REQUIRE(wait_until([&] { return all_live(edge, 2); }));

  LimitWatcher watcher(cluster);
  // At most 1,500 keys: all fit at their 0.1 kW minimum (150 of 200 kW).
  constexpr int most = 3 * 500;
  Requesters requesters(edge, 3, most / 3);
  for (int crash = 0; crash < 20; ++crash) {
    CAPTURE(crash);
    // Each time b is back in the grid and a few more keys have settled.
    const int target = std::min(requesters.settled() + 3, most);
    REQUIRE_MESSAGE(wait_until([&] { return all_live(edge, 2) && requesters.settled() >= target; }, 20s),
                    cluster.logs());
    cluster.restart_substation("b");
  }
  const int keys = requesters.stop();
  CHECK(watcher.stop());
  REQUIRE(wait_until([&] { return all_live(edge, 2); }));
  check_exactly_once(cluster, requesters, keys);
}
#endif
