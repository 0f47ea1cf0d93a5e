// The randomized policies' distributions over many picks with a fixed seed. Tolerances are stated
// per test and sit at 5 or more standard deviations, so a correct policy cannot fail them by chance
// under another seed either; a biased one (off by one in a draw, a non-uniform fallback) does.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <map>
#include <string>

#include "grid/balancing/p2c_policy.h"
#include "grid/balancing/random_policy.h"
#include "grid/util/clock.h"
#include "grid/util/random.h"

using namespace std::chrono_literals;
using namespace grid::balancing;

namespace {

std::map<std::string, double> shares(Policy& policy, const LoadTable& table, double power_kw,
                                     int picks, std::uint64_t seed) {
  grid::SeededRandom random(seed);
  std::map<std::string, double> counts;
  for (int i = 0; i < picks; ++i) {
    const Substation* picked = policy.pick(table, {power_kw, {}}, random);
    REQUIRE(picked != nullptr);
    counts[picked->id] += 1;
  }
  for (auto& entry : counts) entry.second /= picks;
  return counts;
}

}  // namespace

TEST_CASE("random is uniform over the eligible substations, fallback included") {
  // Three of six are full, so one pick in eight goes through the fallback after three misses.
  // 60,000 picks: the standard deviation of a 1/3 share is 0.0019; tolerance 0.012 (> 6 sigma).
  grid::FakeClock clock;
  LoadTable table(1s, 3);
  for (int i = 0; i < 6; ++i) {
    table.on_heartbeat({"s" + std::to_string(i), 1, 1, 100, i % 2 == 0 ? 0.0 : 99.0, 0},
                       clock.now());
  }
  RandomPolicy policy;
  const auto share = shares(policy, table, 10, 60000, 7);
  CHECK(share.size() == 3);
  for (const char* id : {"s0", "s2", "s4"}) {
    CAPTURE(id);
    CHECK(std::abs(share.at(id) - 1.0 / 3) < 0.012);
  }
}

TEST_CASE("p2c sends the least utilized of three 2/3 of the time, the middle 1/3, the top never") {
  // Each of the three pairs is equally likely: {low, mid} and {low, high} go to low, {mid, high}
  // to mid. 30,000 picks: standard deviation 0.0027; tolerance 0.015 (> 5 sigma).
  grid::FakeClock clock;
  LoadTable table(1s, 3);
  table.on_heartbeat({"low", 1, 1, 100, 10, 0}, clock.now());
  table.on_heartbeat({"mid", 1, 1, 100, 30, 0}, clock.now());
  table.on_heartbeat({"high", 1, 1, 100, 50, 0}, clock.now());
  PowerOfTwoChoicesPolicy policy;
  const auto share = shares(policy, table, 5, 30000, 11);
  CHECK(std::abs(share.at("low") - 2.0 / 3) < 0.015);
  CHECK(std::abs(share.at("mid") - 1.0 / 3) < 0.015);
  CHECK(share.count("high") == 0);
}
