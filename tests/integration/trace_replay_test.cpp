// grid-loadgen --trace against real processes: the committed workplace day replayed on three
// substations too small for every car at full power. The replay's own figures are checked against
// the substations' independent counters, and a scraper checks the limits the whole time.
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "cluster.h"
#include "loadgen_process.h"
#include "support/http_get.h"
#include "support/wait.h"

using namespace grid::test;

#if defined(GRID_EDGE_BIN) && defined(GRID_LOADGEN_BIN)

TEST_CASE("trace replay: a workplace day on a constrained grid, every session settled, no limit crossed") {
  // 30 kW for up to 18 cars of 6.6 to 11 kW at once (352 kWh wanted over the day); the day runs
  // in 12 s at 7200.
  Cluster cluster({.heartbeat_ms = 100, .time_scale = 7200, .substation_extra = {"--control-ms", "100"}});
  cluster.start_balancer();
  cluster.add_substation("north", 14);
  cluster.add_substation("south", 10);
  cluster.add_substation("east", 6);
  const int edge = cluster.start_edge();
  REQUIRE(wait_until([&] {
    const auto health = http_get(edge, "/healthz");
    return health && health->body.find("\"live_substations\":3") != std::string::npos;
  }));

  std::atomic<bool> done{false};
  std::atomic<int> scrapes{0};
  std::atomic<bool> over_limit{false};
  std::thread scraper([&] {
    while (!done) {
      for (auto& substation : cluster.substations()) {
        const auto text = http_get(substation.metrics_port, "/metrics");
        if (!text) continue;
        const auto allocated = sample(text->body, "substation_allocated_kw{substation=\"" + substation.id + "\"}");
        const auto limit = sample(text->body, "substation_limit_kw{substation=\"" + substation.id + "\"}");
        if (allocated && limit && *allocated > *limit + 1e-3) over_limit = true;
        ++scrapes;
      }
    }
  });

  const auto dir = std::filesystem::temp_directory_path() / ("grid-trace-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto report = (dir / "report.html").string();
  const auto run = run_loadgen_process(
      GRID_LOADGEN_BIN, "http://127.0.0.1:" + std::to_string(edge),
      {"--trace", std::string(GRID_SOURCE_DIR) + "/tests/fixtures/trace-workplace-day.csv", "--time-scale", "7200",
       "--sample-ms", "50", "--report", report},
      90'000);
  done = true;
  scraper.join();
  INFO(run.log);
  INFO(cluster.logs());
  REQUIRE(run.summary.is_object());
  CHECK(run.exit_code == 0);
  const auto& trace = run.summary["trace"];
  CHECK(trace["sessions"] == 20);
  CHECK(trace["admitted"] == 20);  // room for 10 + 7 + 4 minimums of 1.4 kW: every one of 18 fits
  CHECK(trace["failed"] == 0);
  CHECK(trace["unsettled"] == 0);
  CHECK(trace["limit_violations"] == 0);
  CHECK(trace["snapshots"].get<int>() > 100);
  CHECK(scrapes.load() > 30);
  CHECK_FALSE(over_limit.load());
  const double requested = trace["requested_kwh"].get<double>();
  const double delivered = trace["delivered_kwh"].get<double>();
  CHECK(delivered <= requested + 1e-6);
  CHECK(delivered > 0.5 * requested);  // 30 kW over the working day is room for most of it
  CHECK(trace["grid_peak_kw"].get<double>() <= 30 + 1e-3);

  // The same energy, counted by the substations themselves.
  double counted = 0;
  for (auto& substation : cluster.substations()) {
    const auto text = http_get(substation.metrics_port, "/metrics");
    REQUIRE(text);
    counted += sample(text->body, "substation_energy_delivered_kwh_total{substation=\"" + substation.id + "\"}")
                   .value_or(-1);
  }
  CHECK(counted == doctest::Approx(delivered).epsilon(0.01));

  std::ifstream in(report);
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("north") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("trace replay: a malformed trace is refused before anything is sent, naming the line") {
  const auto dir = std::filesystem::temp_directory_path() / ("grid-bad-trace-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "bad.csv").string();
  std::ofstream(path) << "arrival_s,departure_s,energy_kwh,max_power_kw\n0,3600,10,11\n7200,3600,10,11\n";
  // Nothing listens on port 9: the run must end on the trace, not on the target.
  const auto run = run_loadgen_process(GRID_LOADGEN_BIN, "http://127.0.0.1:9", {"--trace", path}, 30'000);
  CHECK(run.exit_code == 2);
  CHECK(run.log.find("bad.csv:3: departure_s 3600 is not after arrival_s 7200") != std::string::npos);
  CHECK(run.summary.is_null());
  std::filesystem::remove_all(dir);
}

#endif
