// The grid as separate processes on loopback: three substations of different capacities and the
// balancer, driven over ZeroMQ as an edge would.
#include <doctest/doctest.h>

#include <map>
#include <thread>

#include "cluster.h"
#include "support/grid_client.h"
#include "support/http_get.h"
#include "support/wait.h"

using namespace grid;
using namespace grid::test;
using namespace std::chrono_literals;


TEST_CASE("three substation processes: spread by capacity, never overloaded, a killed one is routed around") {
  Cluster cluster;
  cluster.start_balancer();
  cluster.add_substation("large", 300);
  cluster.add_substation("medium", 200);
  cluster.add_substation("small", 100);
  zmq::context_t context;
  GridClient client(context, cluster.frontend());
  REQUIRE_MESSAGE(wait_until([&] { return client.live_substations() == 3u; }), cluster.logs());

  // 60 jobs of 5 kW: 300 kW of the grid's 600.
  std::map<std::string, int> per_substation;
  for (int i = 0; i < 60; ++i) {
    const auto reply = client.charge({"r" + std::to_string(i), "EV-" + std::to_string(i), 5, 20});
    REQUIRE_MESSAGE(reply, cluster.logs());
    REQUIRE(reply->outcome == proto::Outcome::charging);
    ++per_substation[reply->substation_id];
    if (i % 10 == 9) CHECK(cluster.none_overloaded());
  }
  for (const auto& s : cluster.substations()) {
    const double share = per_substation[s.id] / 60.0;
    const double capacity_share = s.capacity_kw / 600.0;
    CAPTURE(s.id);
    CAPTURE(per_substation[s.id]);
    CHECK(share == doctest::Approx(capacity_share).epsilon(0.20));
  }

  // The balancer's own scrape is valid Prometheus text.
  const auto balancer_metrics = http_get(cluster.balancer_metrics_port(), "/metrics");
  REQUIRE(balancer_metrics);
  CHECK(promtool_check_metrics(balancer_metrics->body) == "");
  CHECK(sample(balancer_metrics->body, "balancer_requests_total{outcome=\"charging\"}") == 60.0);

  // Pull the plug on one substation. Once liveness x interval has passed (plus one interval for a
  // heartbeat already on its way), no job may reach it: the balancer checks its own clock before
  // every pick, so this holds however busy the machine is.
  const auto killed_at = std::chrono::steady_clock::now();
  cluster.kill_substation("medium");
  const auto interval = std::chrono::milliseconds(cluster.options().heartbeat_ms);
  std::this_thread::sleep_until(killed_at + interval * (cluster.options().liveness + 1));
  // Its closed connection would make a send fail anyway, so the proof is that the balancer does
  // not even try: its count of jobs for "medium", whatever their outcome, stays still.
  const auto jobs_for_medium = [&] {
    const auto text = http_get(cluster.balancer_metrics_port(), "/metrics").value().body;
    double total = 0;
    for (const char* outcome : {"accepted", "rejected", "timeout", "unroutable"}) {
      total += sample(text, "balancer_dispatch_total{outcome=\"" + std::string(outcome) + "\",substation=\"medium\"}")
                   .value_or(0);
    }
    return total;
  };
  const double medium_before = jobs_for_medium();
  for (int i = 0; i < 20; ++i) {
    const auto reply = client.charge({"after-" + std::to_string(i), "EV", 5, 20});
    REQUIRE(reply);
    CHECK(reply->outcome == proto::Outcome::charging);
    CHECK(reply->substation_id != "medium");
  }
  CHECK(jobs_for_medium() == medium_before);
  CHECK(cluster.none_overloaded());
  CHECK(client.live_substations() == 2u);
}

TEST_CASE("every node shuts down cleanly and quickly on SIGTERM") {
  Cluster cluster;
  cluster.start_balancer();
  cluster.add_substation("north", 100);
  zmq::context_t context;
  GridClient client(context, cluster.frontend());
  REQUIRE(wait_until([&] { return client.live_substations() == 1u; }));
  // With sessions running and requests answered, so there is state to walk away from.
  for (int i = 0; i < 20; ++i) REQUIRE(client.charge({"r" + std::to_string(i), "EV", 1, 20}));
  auto start = std::chrono::steady_clock::now();
  CHECK(cluster.substation("north").process->terminate(3000) == 0);
  const auto substation_took = std::chrono::steady_clock::now() - start;
  start = std::chrono::steady_clock::now();
  CHECK(cluster.balancer().terminate(3000) == 0);
  const auto balancer_took = std::chrono::steady_clock::now() - start;
  MESSAGE("SIGTERM to exit: substation " << std::chrono::duration_cast<std::chrono::milliseconds>(substation_took).count()
          << " ms, balancer " << std::chrono::duration_cast<std::chrono::milliseconds>(balancer_took).count() << " ms");
  CHECK(substation_took < 1s);
  CHECK(balancer_took < 1s);
}
