// The default policy's indexed branch-and-bound pick against a naive scan of every row, over
// thousands of random tables built to produce ties, dead rows, exclusions and full substations.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <string>
#include <vector>

#include "grid/balancing/least_utilization_policy.h"
#include "grid/util/clock.h"
#include "grid/util/random.h"

using namespace std::chrono_literals;
using namespace grid::balancing;

namespace {

const Substation* naive_pick(const LoadTable& table, const PickRequest& request) {
  const Substation* best = nullptr;
  table.for_each([&](const Substation& row) {
    if (eligible(row, request) && (best == nullptr || preferred(row, *best, request.power_kw))) {
      best = &row;
    }
  });
  return best;
}

}  // namespace

TEST_CASE("least-utilization through the index picks what a full scan picks") {
  std::mt19937_64 rng(42);
  auto below = [&](std::uint64_t bound) {
    return std::uniform_int_distribution<std::uint64_t>(0, bound - 1)(rng);
  };
  // Loads on a 5 kW grid and a few capacities make equal utilizations common, so ties matter.
  auto step_kw = [&](std::uint64_t steps) { return 5.0 * static_cast<double>(below(steps)); };
  const double requests[] = {0, 3.7, 7, 11, 22, 50, 150};
  const double capacities[] = {0, 50, 100, 150, 200, 400};
  LeastUtilizationPolicy policy;
  grid::SeededRandom unused(1);
  int none = 0;

  for (int trial = 0; trial < 4000; ++trial) {
    CAPTURE(trial);
    grid::FakeClock clock;
    LoadTable table(1s, 3);
    const auto rows = 1 + below(60);
    std::vector<SubstationReport> survivors;
    for (std::uint64_t i = 0; i < rows; ++i) {
      const double capacity = capacities[below(std::size(capacities))];
      const auto load_steps = static_cast<std::uint64_t>(capacity / 5) + 2;  // some over capacity
      SubstationReport report{"s" + std::to_string(below(1000)), 1, 1, capacity,
                              step_kw(load_steps), 0};
      if (below(2) == 0 && capacity > 0) {
        // Smart charging: minimums that need not follow the demand, so eligible rows come after
        // ineligible ones within a limit group (what the group walk must pass over).
        report.limit_kw = capacity - 5.0 * static_cast<double>(below(3));
        report.min_kw = step_kw(load_steps);
        report.demand_kw = report.min_kw + step_kw(load_steps);
      }
      table.on_heartbeat(report, clock.now());
      if (below(3) == 0) table.reserve(report.id, {step_kw(3), step_kw(6)});
      if (below(8) != 0) survivors.push_back(std::move(report));
    }
    // Dead rows: everything ages past its deadline, then only the survivors speak again.
    clock.advance(table.ttl());
    for (auto& report : survivors) {
      report.seq = 2;
      table.on_heartbeat(report, clock.now());
    }
    table.expire(clock.now());

    TriedSet exclude;
    for (std::uint64_t i = below(3); i > 0; --i) {
      exclude.insert("s" + std::to_string(below(1000)));
    }
    if (below(4) == 0 && table.live_count() > 0) exclude.insert(table.live(0).id);
    const double power = requests[below(std::size(requests))];
    const double minimums[] = {0, 1.4, power / 2, power};  // 0: the default
    const PickRequest request{power, &exclude, minimums[below(std::size(minimums))]};

    const Substation* expected = naive_pick(table, request);
    const Substation* picked = policy.pick(table, request, unused);
    CHECK(picked == expected);
    if (expected == nullptr) ++none;
  }
  CHECK(none > 0);  // the generator covers "nobody fits" too
  CHECK(none < 2000);
}
