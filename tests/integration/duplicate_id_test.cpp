// Issue 9.5 with real processes: a second substation started with an id already in use must not
// make the balancer flap between the two (it used to "restart" the row several times a second,
// its capacity jumping between the two and its reservations zeroed). The first one is kept.
#include <doctest/doctest.h>

#include "cluster.h"
#include "support/http_get.h"
#include "support/wait.h"

using namespace grid::test;

TEST_CASE("issue 9.5: two substation processes with one id: the first is kept, the conflict is counted") {
  Cluster cluster({.heartbeat_ms = 50, .liveness = 3});
  cluster.start_balancer();
  cluster.add_substation("north", 100);
  const auto balancer = [&] {
    const auto reply = http_get(cluster.balancer_metrics_port(), "/metrics");
    return reply ? reply->body : std::string();
  };
  REQUIRE(wait_until([&] { return sample(balancer(), "balancer_substation_live{substation=\"north\"}") == 1.0; }));

  // The impostor: same id, another capacity.
  cluster.add_substation("north", 30);
  REQUIRE(wait_until([&] {
    const auto conflicts = sample(balancer(), "balancer_substation_id_conflicts_total");
    return conflicts && *conflicts >= 10;  // both keep heartbeating: the conflict goes on being seen
  }));
  // Meanwhile the balancer settled on the first process: its capacity, live, and it stays so.
  for (int i = 0; i < 5; ++i) {
    const auto text = balancer();
    INFO(text);
    CHECK(sample(text, "balancer_substation_capacity_kw{substation=\"north\"}") == 100.0);
    CHECK(sample(text, "balancer_substation_live{substation=\"north\"}") == 1.0);
    const auto before = sample(text, "balancer_messages_dropped_total{reason=\"id_conflict\"}");
    REQUIRE(wait_until([&] {
      return sample(balancer(), "balancer_messages_dropped_total{reason=\"id_conflict\"}") > before;
    }));
  }
  const auto log = cluster.balancer().log();
  // One "restarted" when the second process appeared, never the flapping of before.
  std::size_t restarts = 0;
  for (auto at = log.find("restarted"); at != std::string::npos; at = log.find("restarted", at + 1)) ++restarts;
  CHECK(restarts <= 1);
  CHECK(log.find("two substation processes use the id 'north'") != std::string::npos);
}
