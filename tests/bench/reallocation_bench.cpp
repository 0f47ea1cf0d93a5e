// What one re-allocation costs a substation as its sessions grow: n cars plugged in (6.6 to 22
// kW, departures spread over the day, some with a priority), a limit that binds, and the operator
// moving the limit by a few percent each iteration, which re-allocates every session through the
// substation's real books (Station::set_limit: settle, re-allocate, account). Once per allocation
// policy, at 10, 1,000 and 10,000 sessions. Target (issue 13): under 1 ms at 10,000 sessions, and
// growing no faster than n log n. Seeded, so runs compare.
#include <random>
#include <string>

#include <benchmark/benchmark.h>

#include "grid/allocation/policy_registry.h"
#include "grid/util/clock.h"
#include "station.h"

namespace {

using namespace grid;

void reallocation(benchmark::State& state, const std::string& policy_name) {
  const auto n = static_cast<int>(state.range(0));
  const auto policy = allocation::make_policy(policy_name);
  FakeClock clock;
  // Room for every minimum and about a third of the maximums: the limit binds, nobody is refused.
  const double capacity_kw = n * 5.0;
  substation::Station station({.id = "site", .capacity_kw = capacity_kw, .time_scale = 1.0, .boot = 1}, *policy);
  std::mt19937_64 random(2026);
  std::uniform_real_distribution<double> stay(1800, 36000);
  std::uniform_real_distribution<double> energy(5, 60);
  const double powers[] = {6.6, 7.4, 11, 22};
  substation::Progress progress;
  for (int i = 0; i < n; ++i) {
    proto::ChargeJob job;
    job.job_id = static_cast<std::uint64_t>(i + 1);
    job.request_id = "car-" + std::to_string(i);
    job.vehicle_id = job.request_id;
    job.power_kw = powers[random() % 4];
    job.energy_kwh = energy(random);
    job.departs_in_s = stay(random);
    job.priority = random() % 10 == 0 ? 1 : 0;
    if (!station.admit(job, clock.now(), progress).accepted) {
      state.SkipWithError("a car was refused: the setup is wrong");
      return;
    }
  }
  int step = 0;
  for (auto _ : state) {
    // 1 ms of grid time per iteration, so settling has a little to do, as in a control tick.
    clock.advance(std::chrono::milliseconds(1));
    progress = {};
    station.set_limit(capacity_kw * (step++ % 2 ? 0.95 : 0.9), 0, clock.now(), progress);
    benchmark::DoNotOptimize(progress.switches);
  }
  state.SetComplexityN(n);
  state.counters["sessions"] = n;
}

int register_all() {
  for (const auto& name : allocation::policy_names()) {
    benchmark::RegisterBenchmark(("reallocate/" + name).c_str(), reallocation, name)
        ->Arg(10)
        ->Arg(1000)
        ->Arg(10000)
        ->Unit(benchmark::kMicrosecond)
        ->Complexity(benchmark::oNLogN);
  }
  return 0;
}

const int registered = register_all();

}  // namespace

BENCHMARK_MAIN();
