// Every registered policy can be built by name and picks from a table; unknown names are refused.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <stdexcept>
#include <string>

#include "grid/balancing/policy_registry.h"
#include "grid/util/clock.h"
#include "grid/util/random.h"

using namespace std::chrono_literals;
using namespace grid::balancing;

TEST_CASE("every registered policy is built by name and picks the one substation that fits") {
  grid::FakeClock clock;
  LoadTable table(1s, 3);
  table.on_heartbeat({"full", 1, 1, 100, 95, 9}, clock.now());
  table.on_heartbeat({"roomy", 1, 1, 100, 10, 4}, clock.now());
  table.on_heartbeat({"tiny", 1, 1, 5, 0, 0}, clock.now());
  grid::SeededRandom random(1);

  REQUIRE(policy_names().size() == 5);
  for (const std::string& name : policy_names()) {
    CAPTURE(name);
    const auto policy = make_policy(name);
    REQUIRE(policy != nullptr);
    CHECK(policy->name() == name);
    for (int i = 0; i < 20; ++i) {
      // A 20 kW minimum: "full" and "tiny" would take the 1.4 kW default one (issue 12).
      const Substation* picked = policy->pick(table, {20, {}, 20}, random);
      REQUIRE(picked != nullptr);
      CHECK(picked->id == "roomy");
    }
    CHECK(policy->pick(table, {200, {}, 200}, random) == nullptr);
  }
}

TEST_CASE("the registry knows the documented names, sorted, with the default among them") {
  const auto& names = policy_names();
  CHECK(std::is_sorted(names.begin(), names.end()));
  for (const char* expected : {"least-load", "least-utilization", "p2c", "random", "round-robin"}) {
    CAPTURE(expected);
    CHECK(std::find(names.begin(), names.end(), expected) != names.end());
  }
  CHECK(std::find(names.begin(), names.end(), default_policy) != names.end());
  CHECK(make_policy(default_policy)->name() == default_policy);
}

TEST_CASE("an unknown policy name throws and names the known ones") {
  CHECK_THROWS_AS(make_policy("fastest"), std::invalid_argument);
  CHECK_THROWS_AS(make_policy(""), std::invalid_argument);
  CHECK_THROWS_AS(make_policy("Least-Utilization"), std::invalid_argument);  // names are exact
  try {
    make_policy("fastest");
  } catch (const std::invalid_argument& error) {
    const std::string message = error.what();
    CHECK(message.find("fastest") != std::string::npos);
    for (const auto& name : policy_names()) {
      CAPTURE(name);
      CHECK(message.find(name) != std::string::npos);
    }
  }
}
