// What one balancing decision costs as the grid grows, for every registered policy.
//
// Benchmarks, each at 3, 100, 1,000 and 10,000 substations:
//   pick/<policy>/<state>/<n>       one policy pick, plus the reserve and the release the
//                                   dispatcher does around it (so the table ends each iteration
//                                   as it began: the state measured stays the state named)
//   heartbeat/<n>                   one heartbeat applied to the load table (new seq and load),
//                                   with the default policy's index following the table
//
// Table states (capacities drawn from standard transformer ratings, 250 kW to 2.5 MW):
//   random    utilizations uniform in [0, 0.9]: a grid whose loads differ
//   balanced  utilizations within one request's step (power / capacity) of each other: the grid
//             least-utilization itself leaves behind under steady load, where its early stop has
//             the least to cut
// Requests ask for 11 kW (an AC wallbox). Seeds are fixed, so runs compare.
#include <array>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "grid/balancing/load_table.h"
#include "grid/balancing/policy_registry.h"

namespace {

using grid::balancing::LoadTable;
using grid::balancing::SubstationReport;

constexpr double request_kw = 11;
constexpr std::array<double, 6> ratings_kw{250, 400, 630, 1000, 1600, 2500};
constexpr std::array<int, 4> sizes{3, 100, 1'000, 10'000};
const grid::TimePoint now = grid::TimePoint{} + std::chrono::seconds(1);

enum class State { random, balanced };

std::vector<SubstationReport> make_reports(int n, State state, std::mt19937_64& engine) {
  std::uniform_int_distribution<std::size_t> rating(0, ratings_kw.size() - 1);
  std::uniform_real_distribution<double> unit(0, 1);
  std::vector<SubstationReport> reports;
  for (int i = 0; i < n; ++i) {
    const double capacity = ratings_kw[rating(engine)];
    const double utilization = state == State::random ? 0.9 * unit(engine) : 0.6 + unit(engine) * request_kw / capacity;
    reports.push_back({fmt::format("sub-{:05d}", i + 1), 1, 1, capacity, utilization * capacity, 10});
  }
  return reports;
}

// A long interval: nothing expires while the benchmark runs (time does not move here anyway).
constexpr auto interval = std::chrono::hours(1);

void fill(LoadTable& table, const std::vector<SubstationReport>& reports) {
  for (const auto& report : reports) table.on_heartbeat(report, now);
}

void bench_pick(benchmark::State& bench, const std::string& policy_name, State state, int n) {
  std::mt19937_64 engine(42);
  const auto reports = make_reports(n, state, engine);
  LoadTable table(interval, 3);
  fill(table, reports);
  auto policy = grid::balancing::make_policy(policy_name);
  grid::SeededRandom random(7);
  const grid::balancing::PickRequest request{request_kw, nullptr};
  // What the dispatcher holds for a request in flight: its minimum (the default) and its maximum.
  const grid::balancing::Reservation reservation{1.4, request_kw};
  std::size_t none = 0;
  for (auto _ : bench) {
    const auto* chosen = policy->pick(table, request, random);
    if (chosen == nullptr) {
      ++none;
      continue;
    }
    const std::string& id = chosen->id;  // stable: the row is not removed by reserve/release
    table.reserve(id, reservation);
    table.release(id, reservation);
    benchmark::DoNotOptimize(chosen);
  }
  if (none > 0) bench.SkipWithError("a pick found no substation: the table state is wrong");
}

void bench_heartbeat(benchmark::State& bench, int n) {
  std::mt19937_64 engine(42);
  auto reports = make_reports(n, State::random, engine);
  LoadTable table(interval, 3);
  fill(table, reports);
  // As in the balancer: the default policy's index follows the table, so its upkeep is counted.
  auto policy = grid::balancing::make_policy(grid::balancing::default_policy);
  grid::SeededRandom random(7);
  policy->pick(table, {request_kw, nullptr}, random);
  // Loads to cycle through, drawn once so the timed loop draws nothing.
  std::uniform_real_distribution<double> unit(0, 0.9);
  std::vector<double> utilizations(4096);
  for (auto& u : utilizations) u = unit(engine);
  std::size_t i = 0, k = 0;
  for (auto _ : bench) {
    auto& report = reports[i];
    ++report.seq;
    report.load_kw = utilizations[k] * report.capacity_kw;
    benchmark::DoNotOptimize(table.on_heartbeat(report, now));
    if (++i == reports.size()) i = 0;
    if (++k == utilizations.size()) k = 0;
  }
}

void register_all() {
  for (const auto& policy : grid::balancing::policy_names()) {
    for (const auto& [state, state_name] : {std::pair{State::random, "random"}, std::pair{State::balanced, "balanced"}}) {
      for (const int n : sizes) {
        benchmark::RegisterBenchmark(fmt::format("pick/{}/{}/{}", policy, state_name, n).c_str(),
                                     [policy, state = state, n](benchmark::State& bench) {
                                       bench_pick(bench, policy, state, n);
                                     });
      }
    }
  }
  for (const int n : sizes) {
    benchmark::RegisterBenchmark(fmt::format("heartbeat/{}", n).c_str(),
                                 [n](benchmark::State& bench) { bench_heartbeat(bench, n); });
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
