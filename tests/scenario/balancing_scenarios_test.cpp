// Balancing scenarios as data: a grid (capacities, loads, reservations, liveness), a request and a
// policy, and the substation that must be picked. One case walks the table; a failure names its
// row. The grid here is of older substations (they report only their load), whose load stands for
// both their minimums and their demand; smart_routing_scenarios_test.cpp has the newer ones.
// Since issue 12 a request fits where its *minimum* fits (the substation's admission rule), so
// rows about fitting give the request a minimum equal to its power: a car that charges at that
// power or not at all.
// No sockets and no real clock: the table is fed directly and time is a FakeClock.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "grid/balancing/policy_registry.h"
#include "grid/util/clock.h"
#include "grid/util/random.h"

using namespace std::chrono_literals;
using namespace grid::balancing;

namespace {

struct Site {
  std::string id;
  double capacity_kw;
  double load_kw;
  double reserved_kw = 0;
  bool live = true;
  std::uint32_t sessions = 0;
};

// A row holds for one policy, or for every registered policy when policy is every_policy: the
// randomized ones too, so those rows leave exactly one acceptable answer.
constexpr std::string_view every_policy = "*";
constexpr std::string_view none = "";

struct Scenario {
  std::string_view name;
  std::vector<Site> sites;
  double request_kw;
  std::string_view policy;
  std::string_view expected;  // none: nobody can take it
  std::vector<std::string> exclude = {};
  double request_min_kw = 0;  // 0: the default minimum, 1.4 kW
};

const std::vector<Scenario>& scenarios() {
  static const std::vector<Scenario> rows = {
      {"fits only one",
       {{"a", 100, 95}, {"b", 100, 60}, {"c", 50, 45}},
       30, every_policy, "b", {}, 30},
      {"fits only one once reservations count",
       {{"a", 100, 40, 40}, {"b", 100, 50, 0}, {"c", 100, 10, 80}},
       30, every_policy, "b", {}, 30},
      {"fills a substation exactly",
       {{"a", 100, 78}, {"b", 100, 100}},
       22, every_policy, "a", {}, 22},
      {"all full: nobody",
       {{"a", 100, 95}, {"b", 100, 90, 8}, {"c", 50, 49}},
       11, every_policy, none, {}, 11},
      {"the default minimum fits where the full power would not",
       {{"a", 100, 95}, {"b", 100, 99}},
       11, every_policy, "a"},
      {"a full substation takes not even the default minimum",
       {{"a", 100, 99}, {"b", 100, 100}},
       11, every_policy, none},
      {"empty grid: nobody", {}, 1, every_policy, none},
      {"dead substation skipped",
       {{"a", 400, 0, 0, false}, {"b", 100, 70}},
       11, every_policy, "b"},
      {"only dead ones: nobody",
       {{"a", 400, 0, 0, false}, {"b", 100, 0, 0, false}},
       11, every_policy, none},
      {"excluded substation skipped",
       {{"a", 400, 0}, {"b", 100, 70}},
       11, every_policy, "b", {"a"}},
      {"everything excluded: nobody",
       {{"a", 400, 0}, {"b", 100, 70}},
       11, every_policy, none, {"a", "b"}},
      {"least-utilization: lowest utilization with the request, not lowest load",
       {{"a", 400, 100}, {"b", 100, 20}},
       11, "least-utilization", "a"},
      {"least-utilization: the request itself tips a small substation",
       {{"a", 100, 30}, {"b", 20, 5}},
       11, "least-utilization", "a"},
      {"least-utilization: bigger capacity wins when loads are proportional",
       {{"small", 100, 50}, {"big", 200, 100}},
       10, "least-utilization", "big"},
      {"least-utilization: equal scores go to the larger headroom",
       {{"a", 100, 40}, {"b", 200, 90}},
       10, "least-utilization", "b"},
      {"least-utilization: full ties go to the smaller id",
       {{"c", 100, 40}, {"b", 100, 40}, {"d", 100, 40}},
       10, "least-utilization", "b"},
      {"least-utilization: reservations count",
       {{"a", 100, 10, 50}, {"b", 100, 30}},
       10, "least-utilization", "b"},
      {"least-load: fewest sessions even when fuller in kW",
       {{"a", 100, 80, 0, true, 1}, {"b", 100, 10, 0, true, 6}},
       10, "least-load", "a"},
      {"least-load: session ties go to lower utilization",
       {{"a", 100, 50, 0, true, 2}, {"b", 100, 30, 0, true, 2}},
       10, "least-load", "b"},
      {"least-load: full ties go to the smaller id",
       {{"b", 100, 30, 0, true, 2}, {"a", 100, 30, 0, true, 2}},
       10, "least-load", "a"},
      {"round-robin: first pick is the first live one that fits",
       {{"a", 100, 95}, {"b", 100, 0}, {"c", 100, 0}},
       10, "round-robin", "b", {}, 10},
  };
  return rows;
}

std::string run(const Scenario& scenario, std::string_view policy_name) {
  grid::FakeClock clock;
  LoadTable table(1s, 3);
  // Dead sites join first and age past their deadline while the live ones join.
  for (const bool live : {false, true}) {
    for (const Site& site : scenario.sites) {
      if (site.live != live) continue;
      table.on_heartbeat({site.id, 1, 1, site.capacity_kw, site.load_kw, site.sessions},
                         clock.now());
      table.reserve(site.id, {site.reserved_kw, site.reserved_kw});  // older jobs: minimum = power
    }
    if (!live) clock.advance(table.ttl());
  }
  table.expire(clock.now());

  const auto policy = make_policy(policy_name);
  grid::SeededRandom random(2024);
  const TriedSet tried(scenario.exclude.begin(), scenario.exclude.end());
  const Substation* picked = policy->pick(table, {scenario.request_kw, &tried, scenario.request_min_kw}, random);
  return picked == nullptr ? std::string(none) : picked->id;
}

}  // namespace

TEST_CASE("balancing scenarios") {
  for (const Scenario& scenario : scenarios()) {
    std::vector<std::string> policies;
    if (scenario.policy == every_policy) {
      policies = policy_names();
    } else {
      policies.emplace_back(scenario.policy);
    }
    for (const std::string& policy : policies) {
      INFO("scenario: \"", scenario.name, "\" with policy ", policy);
      CHECK(run(scenario, policy) == scenario.expected);
    }
  }
}

TEST_CASE("a burst on equal substations spreads evenly once reservations follow each pick") {
  // The herding problem: between two heartbeats the table's loads do not move, so without the
  // balancer's own reservations every request of a burst lands on the same substation.
  grid::FakeClock clock;
  LoadTable table(1s, 3);
  for (const char* id : {"north", "south", "west"}) {
    table.on_heartbeat({id, 1, 1, 500, 0, 0}, clock.now());
  }
  const auto policy = make_policy("least-utilization");
  grid::SeededRandom random(1);

  SUBCASE("with reservations: 10 each") {
    std::map<std::string, int> picks;
    for (int i = 0; i < 30; ++i) {
      const Substation* picked = policy->pick(table, {11, {}}, random);
      REQUIRE(picked != nullptr);
      ++picks[picked->id];
      table.reserve(picked->id, {1.4, 11});
    }
    CHECK(picks == std::map<std::string, int>{{"north", 10}, {"south", 10}, {"west", 10}});
  }
  SUBCASE("without reservations: all 30 herd onto one") {
    std::map<std::string, int> picks;
    for (int i = 0; i < 30; ++i) ++picks[policy->pick(table, {11, {}}, random)->id];
    CHECK(picks.size() == 1);
  }
}
