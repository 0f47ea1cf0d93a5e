// grid-loadgen --trace straight to the balancer's frontend over ZeroMQ: the same workplace day as
// trace_replay_test.cpp, with no edge in the way. The replay's energy is checked against the
// substations' own counters, so a session admitted twice or settled wrongly would show.
#include <doctest/doctest.h>

#include <zmq.hpp>

#include "cluster.h"
#include "loadgen_process.h"
#include "support/grid_client.h"
#include "support/http_get.h"
#include "support/wait.h"

using namespace grid::test;

#if defined(GRID_LOADGEN_BIN)

TEST_CASE("trace replay over ZeroMQ: a workplace day on a constrained grid, every session settled, no limit crossed") {
  // As the HTTP replay's test: 30 kW for up to 18 cars at once, the day in 12 s at 7200.
  Cluster cluster({.heartbeat_ms = 100, .time_scale = 7200, .substation_extra = {"--control-ms", "100"}});
  cluster.start_balancer();
  cluster.add_substation("north", 14);
  cluster.add_substation("south", 10);
  cluster.add_substation("east", 6);
  {
    zmq::context_t context;
    GridClient client(context, cluster.frontend());
    REQUIRE_MESSAGE(wait_until([&] { return client.live_substations() == 3u; }), cluster.logs());
  }

  const auto run = run_loadgen_process(
      GRID_LOADGEN_BIN, cluster.frontend(),
      {"--trace", std::string(GRID_SOURCE_DIR) + "/tests/fixtures/trace-workplace-day.csv", "--time-scale", "7200",
       "--sample-ms", "50"},
      90'000);
  INFO(run.log);
  INFO(cluster.logs());
  REQUIRE(run.summary.is_object());
  CHECK(run.exit_code == 0);
  CHECK(run.summary["mode"] == "zmq");
  CHECK(run.summary["outcomes"]["charging"] == 20);
  CHECK(run.summary["outcomes"]["timeout"] == 0);
  CHECK(run.summary["outcomes"]["error"] == 0);
  const auto& trace = run.summary["trace"];
  CHECK(trace["sessions"] == 20);
  CHECK(trace["admitted"] == 20);
  CHECK(trace["failed"] == 0);
  CHECK(trace["unsettled"] == 0);
  CHECK(trace["limit_violations"] == 0);
  CHECK(trace["snapshots"].get<int>() > 100);
  const double requested = trace["requested_kwh"].get<double>();
  const double delivered = trace["delivered_kwh"].get<double>();
  CHECK(delivered <= requested + 1e-6);
  CHECK(delivered > 0.5 * requested);
  CHECK(trace["grid_peak_kw"].get<double>() <= 30 + 1e-3);
  CHECK(trace["grid_peak_kw"].get<double>() > 0);  // the snapshots saw the grid charging

  // The same energy, counted by the substations themselves: each session was admitted once.
  double counted = 0;
  for (auto& substation : cluster.substations()) {
    const auto text = http_get(substation.metrics_port, "/metrics");
    REQUIRE(text);
    counted += sample(text->body, "substation_energy_delivered_kwh_total{substation=\"" + substation.id + "\"}")
                   .value_or(-1);
  }
  CHECK(counted == doctest::Approx(delivered).epsilon(0.01));
}

#endif
