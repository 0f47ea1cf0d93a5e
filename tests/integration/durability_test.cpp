// Nothing is lost when a node crashes (issue 15): substations keep their books in a state file
// (--state), and a restarted balancer reads which requests they hold. Real processes on loopback:
// clients charge over HTTP with Idempotency-Keys and retry every 503/504 with the same key while
// a substation and then the balancer are killed with SIGKILL and restarted, or one substation is
// killed and restarted twenty times in a row. Afterwards every key holds exactly one session,
// the substations hold nothing else, no scrape ever showed a substation above its capacity, and a
// restarted substation's sessions kept their energy up to the last checkpoint.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>

#include "cluster.h"
#include "rush_hour.h"
#include "support/wait.h"

using namespace grid;
using namespace grid::test;
using namespace std::chrono_literals;

#ifdef GRID_EDGE_BIN

TEST_CASE("durable: a rush hour over HTTP survives a substation and the balancer killed and restarted") {
  Cluster cluster({.heartbeat_ms = 100, .liveness = 3, .dispatch_timeout_ms = 300, .durable = true});
  cluster.start_balancer();
  for (const char* id : {"a", "b", "c"}) cluster.add_substation(id, 100);
  const int edge = cluster.start_edge({"--timeout-ms", "1500"});
  REQUIRE(wait_until([&] { return all_live(edge, 3); }));

  LimitWatcher watcher(cluster);
  // At most 600 keys: every session fits at its 0.1 kW minimum (60 of 300 kW), so no answer is
  // "no capacity".
  Requesters requesters({.edge_ports = {edge}, .workers = 6, .per_worker = 100});
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
  Requesters requesters({.edge_ports = {edge}, .workers = 3, .per_worker = most / 3});
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
