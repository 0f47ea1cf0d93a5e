// Each policy with scripted random numbers: every draw a policy makes is stated by the test.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "grid/balancing/least_load_policy.h"
#include "grid/balancing/least_utilization_policy.h"
#include "grid/balancing/p2c_policy.h"
#include "grid/balancing/random_policy.h"
#include "grid/balancing/round_robin_policy.h"
#include "grid/util/clock.h"
#include "support/scripted_random.h"

using namespace std::chrono_literals;
using namespace grid::balancing;
using grid::test::ScriptedRandom;

namespace {

struct Grid {
  grid::FakeClock clock;
  LoadTable table{1s, 3};

  void join(const std::string& id, double capacity_kw, double load_kw, std::uint32_t sessions = 0) {
    table.on_heartbeat(SubstationReport{id, 1, 1, capacity_kw, load_kw, sessions}, clock.now());
  }
  // Lets every row joined so far die, keeping the ones joined afterwards.
  void kill_all_so_far() {
    clock.advance(table.ttl());
    table.expire(clock.now());
  }
};

std::string id_of(const Substation* substation) {
  return substation == nullptr ? "<none>" : substation->id;
}

}  // namespace

TEST_CASE("least-utilization picks the lowest utilization once the request is placed") {
  Grid grid;
  grid.join("big", 100, 50);   // 0.50 now, 0.55 with 5 kW
  grid.join("small", 10, 4);   // 0.40 now, 0.90 with 5 kW
  LeastUtilizationPolicy policy;
  ScriptedRandom random{};
  CHECK(id_of(policy.pick(grid.table, {5, {}}, random)) == "big");
  CHECK(id_of(policy.pick(grid.table, {0.5, {}}, random)) == "small");
  CHECK(random.used() == 0);

  SUBCASE("reservations count as load") {
    grid.table.reserve("small", {3, 3});  // 0.70 now
    CHECK(id_of(policy.pick(grid.table, {0.5, {}}, random)) == "big");
  }
  SUBCASE("equal scores go to the larger headroom, then the smaller id") {
    grid.join("alpha", 100, 40);   // 0.50 with 10 kW, 60 kW headroom
    grid.join("zulu", 200, 90);    // 0.50 with 10 kW, 110 kW headroom
    grid.join("yankee", 200, 90);  // the same as zulu
    CHECK(id_of(policy.pick(grid.table, {10, {}}, random)) == "yankee");
  }
  SUBCASE("excluded, dead and full substations are skipped") {
    const TriedSet tried{"small"};
    CHECK(id_of(policy.pick(grid.table, {0.5, &tried}, random)) == "big");
    CHECK(policy.pick(grid.table, {60, {}, 60}, random) == nullptr);  // a minimum of 60 kW fits nowhere
    grid.kill_all_so_far();
    grid.join("late", 1000, 900);
    CHECK(id_of(policy.pick(grid.table, {0.5, {}}, random)) == "late");
  }
}

TEST_CASE("least-load picks the fewest active sessions, ties by utilization, then id") {
  Grid grid;
  grid.join("a", 100, 90, 2);
  grid.join("b", 100, 10, 5);
  grid.join("c", 100, 40, 2);
  grid.join("d", 100, 40, 2);
  LeastLoadPolicy policy;
  ScriptedRandom random{};
  CHECK(id_of(policy.pick(grid.table, {5, {}}, random)) == "c");
  CHECK(id_of(policy.pick(grid.table, {50, {}, 50}, random)) == "c");  // a cannot take a 50 kW minimum
  const TriedSet tried{"c", "d"};
  CHECK(id_of(policy.pick(grid.table, {5, &tried}, random)) == "a");
  CHECK(id_of(policy.pick(grid.table, {70, {}, 70}, random)) == "b");
  CHECK(policy.pick(grid.table, {95, {}, 95}, random) == nullptr);
}

TEST_CASE("round-robin cycles over live substations and skips ineligible ones") {
  Grid grid;
  grid.join("a", 100, 0);
  grid.join("b", 100, 95);
  grid.join("c", 100, 0);
  RoundRobinPolicy policy;
  ScriptedRandom random{};
  std::vector<std::string> picks;
  for (int i = 0; i < 4; ++i) picks.push_back(id_of(policy.pick(grid.table, {1, {}}, random)));
  CHECK(picks == std::vector<std::string>{"a", "b", "c", "a"});
  picks.clear();
  for (int i = 0; i < 4; ++i) picks.push_back(id_of(policy.pick(grid.table, {10, {}, 10}, random)));
  CHECK(picks == std::vector<std::string>{"c", "a", "c", "a"});  // b is too full for a 10 kW minimum
  CHECK(policy.pick(grid.table, {200, {}, 200}, random) == nullptr);
  grid.kill_all_so_far();
  CHECK(policy.pick(grid.table, {1, {}}, random) == nullptr);  // cursor past an empty table
  grid.join("d", 100, 0);
  CHECK(id_of(policy.pick(grid.table, {1, {}}, random)) == "d");
}

TEST_CASE("random draws among live substations and retries when the draw is ineligible") {
  Grid grid;
  grid.join("a", 100, 0);
  grid.join("b", 100, 99);
  grid.join("c", 100, 0);
  grid.join("d", 100, 99);
  RandomPolicy policy;

  SUBCASE("an eligible first draw is taken") {
    ScriptedRandom random{2};
    CHECK(id_of(policy.pick(grid.table, {10, {}}, random)) == "c");
    CHECK(random.bounds() == std::vector<std::uint64_t>{4});
  }
  SUBCASE("an ineligible draw is retried") {
    ScriptedRandom random{1, 3, 0};
    CHECK(id_of(policy.pick(grid.table, {10, {}}, random)) == "a");
    CHECK(random.remaining() == 0);
  }
  SUBCASE("after sample_attempts misses it draws among the eligible ones") {
    static_assert(sample_attempts == 3, "the script below assumes three attempts");
    ScriptedRandom random{1, 3, 1, 1};
    CHECK(id_of(policy.pick(grid.table, {10, {}}, random)) == "c");
    CHECK(random.bounds() == std::vector<std::uint64_t>{4, 4, 4, 2});
  }
  SUBCASE("a single eligible one after misses needs no further draw") {
    const TriedSet tried{"a"};
    ScriptedRandom random{0, 1, 3};
    CHECK(id_of(policy.pick(grid.table, {10, &tried}, random)) == "c");
    CHECK(random.remaining() == 0);
  }
  SUBCASE("nobody eligible") {
    ScriptedRandom random{1, 3, 1};
    CHECK(policy.pick(grid.table, {101, {}, 101}, random) == nullptr);
    ScriptedRandom none{};
    const LoadTable empty(1s, 3);
    CHECK(policy.pick(empty, {1, {}}, none) == nullptr);
  }
}

TEST_CASE("p2c compares two distinct random eligible substations") {
  Grid grid;
  grid.join("a", 100, 60);
  grid.join("b", 100, 20);
  grid.join("c", 100, 99);
  grid.join("d", 100, 40);
  PowerOfTwoChoicesPolicy policy;

  SUBCASE("the less utilized of the two wins, whichever was drawn first") {
    ScriptedRandom first_wins{1, 3};
    CHECK(id_of(policy.pick(grid.table, {10, {}}, first_wins)) == "b");
    ScriptedRandom second_wins{0, 3};
    CHECK(id_of(policy.pick(grid.table, {10, {}}, second_wins)) == "d");
    CHECK(second_wins.bounds() == std::vector<std::uint64_t>{4, 4});
  }
  SUBCASE("the second draw is redrawn when it repeats the first or is ineligible") {
    ScriptedRandom random{0, 0, 2, 3};
    CHECK(id_of(policy.pick(grid.table, {10, {}}, random)) == "d");
    CHECK(random.remaining() == 0);
  }
  SUBCASE("with one eligible substation it is taken") {
    ScriptedRandom random{1, 1, 0, 2};  // b, then three misses for a second one
    CHECK(id_of(policy.pick(grid.table, {70, {}, 70}, random)) == "b");
    CHECK(random.remaining() == 0);
  }
  SUBCASE("nobody eligible") {
    ScriptedRandom random{0, 1, 2};
    CHECK(policy.pick(grid.table, {90, {}, 90}, random) == nullptr);
  }
}
