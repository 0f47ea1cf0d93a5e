// Writes the run report of a made-up but realistic replay, for the render check and the README
// picture: a working day of 8 hours on three substations, one snapshot every 30 s of trace time.
// North has an operator limit cut for an hour, east is dead for 45 minutes, the latencies have a
// long tail. Usage: grid_report_example OUT.html
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include "report.h"

using namespace grid::loadgen;

namespace {

struct Site {
  const char* id;
  double capacity_kw;
  double demand_share;  // of the morning's arrivals
};

// Demand in kW over the day: a morning rush to a plateau, easing off in the afternoon.
double demand_kw(double hour, double capacity_kw) {
  const double arrivals = 1 / (1 + std::exp(-(hour - 1.2) * 3.0));
  const double departures = 1 / (1 + std::exp(-(hour - 6.5) * 2.0));
  return capacity_kw * 1.15 * std::max(arrivals - 0.8 * departures, 0.0);
}

RunReport example_run() {
  RunReport report;
  report.title = "Trace replay: workplace-2024-03-12.csv";
  report.description = "ZeroMQ straight to tcp://127.0.0.1:5555, 3 substations, time scale 120 (8 h of trace in 4 min)";
  const Site sites[] = {{"north", 500, 0.45}, {"south", 350, 0.33}, {"east", 250, 0.22}};
  std::mt19937 random(13);
  std::normal_distribution<double> jitter(0, 6);
  for (double t = 0; t <= 8 * 3600; t += 30) {
    const double hour = t / 3600;
    GridSnapshot snapshot{.trace_s = t, .substations = {}};
    for (const auto& site : sites) {
      const bool north_cut = site.id == std::string("north") && hour >= 3.5 && hour < 4.5;
      const bool east_dead = site.id == std::string("east") && hour >= 2.5 && hour < 3.25;
      const double limit = north_cut ? 380 : site.capacity_kw;
      const double wanted = std::max(demand_kw(hour, site.capacity_kw) + jitter(random), 0.0);
      const double allocated = std::min(wanted, limit);
      const auto charging = static_cast<std::size_t>(std::lround(allocated / 7.4));
      const auto paused = static_cast<std::size_t>(std::lround(std::max(wanted - limit, 0.0) / 7.4));
      snapshot.substations.push_back({.id = site.id, .live = !east_dead, .allocated_kw = allocated, .limit_kw = limit,
                                      .capacity_kw = site.capacity_kw, .charging = charging, .paused = paused});
    }
    report.snapshots.push_back(std::move(snapshot));
  }
  std::lognormal_distribution<double> latency(std::log(2.5), 0.6);
  std::uniform_real_distribution<double> tail(40, 400);
  for (int i = 0; i < 3000; ++i) report.latencies_ms.push_back(i % 97 == 0 ? tail(random) : latency(random));
  report.spread = {{.id = "east", .session_share = 0.19, .energy_share = 0.17, .fair_share = 250.0 / 1100},
                   {.id = "north", .session_share = 0.47, .energy_share = 0.49, .fair_share = 500.0 / 1100},
                   {.id = "south", .session_share = 0.34, .energy_share = 0.34, .fair_share = 350.0 / 1100}};
  report.summary_rows = {{"target", "zmq tcp://127.0.0.1:5555"}, {"trace", "workplace-2024-03-12.csv (412 sessions)"},
                         {"outcomes", "charging 398, no capacity 14, timeout 0, error 0"},
                         {"throughput", "1.7 answered req/s"}, {"latency p50 / p99", "2.5 ms / 61 ms"},
                         {"energy delivered", "4 212 kWh of 4 530 kWh requested (93.0%)"},
                         {"imbalance", "1.07 (largest share over fair share)"}};
  return report;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT.html\n", argv[0]);
    return 2;
  }
  if (!write_report(argv[1], example_run())) {
    std::fprintf(stderr, "%s: cannot write %s\n", argv[0], argv[1]);
    return 1;
  }
  return 0;
}
