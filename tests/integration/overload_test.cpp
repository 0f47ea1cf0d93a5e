// Offered load far above what the grid can take is answered fast and definitely (503), with
// every queue bounded: no timeouts, no errors, in-flight counts never past their caps.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "cluster.h"
#include "loadgen_process.h"
#include "support/http_get.h"
#include "support/wait.h"

using namespace grid;
using namespace grid::test;
using namespace std::chrono_literals;

#if defined(GRID_EDGE_BIN) && defined(GRID_LOADGEN_BIN)
TEST_CASE("ten times more requests in flight than the grid admits: fast 503s, bounded queues, no timeouts") {
  constexpr int edge_cap = 24;
  constexpr int balancer_cap = 16;
  // Cars that charge only at their full 11 kW (every substation's --min-power-kw): 54 fill the grid.
  Cluster cluster({.heartbeat_ms = 100,
                   .balancer_extra = {"--max-in-flight", std::to_string(balancer_cap), "--log-level", "warn"},
                   .substation_extra = {"--min-power-kw", "11"}});
  cluster.start_balancer();
  cluster.add_substation("north", 300);
  cluster.add_substation("south", 200);
  cluster.add_substation("east", 100);
  const int edge = cluster.start_edge({"--max-in-flight", std::to_string(edge_cap), "--log-level", "warn"});
  REQUIRE(wait_until([&] {
    const auto health = http_get(edge, "/healthz");
    return health && health->body.find("\"live_substations\":3") != std::string::npos;
  }));

  // Watch the in-flight gauges while the overload runs.
  std::atomic<bool> stop{false};
  std::atomic<double> edge_peak{0};
  std::atomic<double> balancer_peak{0};
  std::thread watcher([&] {
    while (!stop) {
      if (const auto text = http_get(edge, "/metrics")) {
        edge_peak = std::max(edge_peak.load(), sample(text->body, "edge_requests_in_flight").value_or(0));
      }
      if (const auto text = http_get(cluster.balancer_metrics_port(), "/metrics")) {
        balancer_peak = std::max(balancer_peak.load(), sample(text->body, "balancer_requests_in_flight").value_or(0));
      }
    }
  });
  // 256 in flight against caps of 24 and 16, and a grid that holds 54 sessions of 11 kW.
  const auto run = run_loadgen_process(GRID_LOADGEN_BIN, "http://127.0.0.1:" + std::to_string(edge),
                                       {"--vehicles", "4000", "--concurrency", "256", "--timeout-ms", "5000"},
                                       120'000);
  stop = true;
  watcher.join();
  INFO(run.log);
  REQUIRE(run.summary.is_object());
  const auto& outcomes = run.summary["outcomes"];
  CHECK(run.exit_code == 0);  // no timeout, no error: every request got a definite answer
  CHECK(outcomes["timeout"].get<int>() == 0);
  CHECK(outcomes["error"].get<int>() == 0);
  CHECK(outcomes["charging"].get<int>() <= 54);
  CHECK(outcomes["no_capacity"].get<int>() >= 4000 - 54);
  CHECK(edge_peak.load() <= edge_cap);
  CHECK(balancer_peak.load() <= balancer_cap);

  // Figures for the record (speed is asserted in benchmarks, never here).
  const auto mib = [](int pid) { return static_cast<double>(peak_rss_bytes(pid)) / 1048576.0; };
  MESSAGE("overload: p99 of answered requests " << run.summary["latency_ms"]["p99"].get<double>() << " ms, "
          << run.summary["throughput_rps"].get<double>() << " req/s; peak RSS MiB: balancer "
          << mib(cluster.balancer().pid()) << ", edge " << mib(cluster.edge().pid()) << ", substation north "
          << mib(cluster.substation("north").process->pid()) << ", south "
          << mib(cluster.substation("south").process->pid()) << ", east "
          << mib(cluster.substation("east").process->pid()));
}
#endif
