// grid-loadgen --trace against real processes: the committed workplace day replayed on three
// substations too small for every car at full power, through the edge over HTTP and straight to
// the balancer over ZeroMQ. The replay's own figures are checked against the substations'
// independent counters (a session admitted twice or settled wrongly would show), and a scraper
// checks the limits the whole time.
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
namespace {

const std::string day_trace = std::string(GRID_SOURCE_DIR) + "/tests/fixtures/trace-workplace-day.csv";

// 30 kW for up to 18 cars of 6.6 to 11 kW at once (352 kWh wanted over the day); the day runs in
// 12 s at 7200. An edge in front, its three substations live.
struct ReplayGrid {
  Cluster cluster{{.heartbeat_ms = 100, .time_scale = 7200, .substation_extra = {"--control-ms", "100"}}};
  int edge = 0;

  ReplayGrid() {
    cluster.start_balancer();
    cluster.add_substation("north", 14);
    cluster.add_substation("south", 10);
    cluster.add_substation("east", 6);
    edge = cluster.start_edge();
    REQUIRE(wait_until([&] {
      const auto health = http_get(edge, "/healthz");
      return health && health->body.find("\"live_substations\":3") != std::string::npos;
    }));
  }
};

// Scrapes every substation until stopped, remembering whether any showed more allocated than
// its limit.
class LimitWatcher {
public:
  explicit LimitWatcher(Cluster& cluster)
      : thread_([this, &cluster] {
          while (!done_) {
            for (auto& substation : cluster.substations()) {
              const auto text = http_get(substation.metrics_port, "/metrics");
              if (!text) continue;
              const std::string label = "{substation=\"" + substation.id + "\"}";
              const auto allocated = sample(text->body, "substation_allocated_kw" + label);
              const auto limit = sample(text->body, "substation_limit_kw" + label);
              if (allocated && limit && *allocated > *limit + 1e-3) over_limit_ = true;
              ++scrapes_;
            }
          }
        }) {}
  ~LimitWatcher() { stop(); }
  void stop() {
    done_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int scrapes() const { return scrapes_; }
  bool over_limit() const { return over_limit_; }

private:
  std::atomic<bool> done_{false};
  std::atomic<int> scrapes_{0};
  std::atomic<bool> over_limit_{false};
  std::thread thread_;  // last: starts once the flags above exist
};

// What every replay of the day must show, whatever the path it took.
void check_day_replayed(const LoadgenResult& run, Cluster& cluster) {
  REQUIRE(run.summary.is_object());
  CHECK(run.exit_code == 0);
  CHECK(run.summary["outcomes"]["charging"] == 20);
  const auto& trace = run.summary["trace"];
  CHECK(trace["sessions"] == 20);
  CHECK(trace["admitted"] == 20);  // room for 10 + 7 + 4 minimums of 1.4 kW: every one of 18 fits
  CHECK(trace["failed"] == 0);
  CHECK(trace["unsettled"] == 0);
  CHECK(trace["limit_violations"] == 0);
  CHECK(trace["snapshots"].get<int>() > 100);
  const double requested = trace["requested_kwh"].get<double>();
  const double delivered = trace["delivered_kwh"].get<double>();
  CHECK(delivered <= requested + 1e-6);
  CHECK(delivered > 0.5 * requested);  // 30 kW over the working day is room for most of it
  CHECK(trace["grid_peak_kw"].get<double>() > 0);
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
}

}  // namespace

TEST_CASE("trace replay: a workplace day on a constrained grid, every session settled, no limit crossed") {
  ReplayGrid grid;
  LimitWatcher watcher(grid.cluster);
  const auto dir = std::filesystem::temp_directory_path() / ("grid-trace-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const auto report = (dir / "report.html").string();
  const auto run = run_loadgen_process(GRID_LOADGEN_BIN, "http://127.0.0.1:" + std::to_string(grid.edge),
                                       {"--trace", day_trace, "--time-scale", "7200", "--sample-ms", "50", "--report",
                                        report},
                                       90'000);
  watcher.stop();
  INFO(run.log);
  INFO(grid.cluster.logs());
  check_day_replayed(run, grid.cluster);
  CHECK(run.summary["mode"] == "http");
  CHECK(watcher.scrapes() > 30);
  CHECK_FALSE(watcher.over_limit());

  std::ifstream in(report);
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(html.find("<svg") != std::string::npos);
  CHECK(html.find("north") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("trace replay over ZeroMQ: the same day straight to the balancer, every session settled") {
  ReplayGrid grid;
  LimitWatcher watcher(grid.cluster);
  const auto run = run_loadgen_process(GRID_LOADGEN_BIN, grid.cluster.frontend(),
                                       {"--trace", day_trace, "--time-scale", "7200", "--sample-ms", "50"}, 90'000);
  watcher.stop();
  INFO(run.log);
  INFO(grid.cluster.logs());
  check_day_replayed(run, grid.cluster);
  CHECK(run.summary["mode"] == "zmq");
  CHECK_FALSE(watcher.over_limit());
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
