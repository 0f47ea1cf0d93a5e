// The allocator against every registered policy: invariants as properties over random inputs, and
// each policy's own order as tables.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "grid/allocation/allocator.h"
#include "grid/allocation/policy_registry.h"

using namespace grid;
using namespace grid::allocation;
using power::Watts;

namespace {

constexpr double stays = std::numeric_limits<double>::infinity();

SessionDemand session(std::uint64_t arrival, Watts min_w, Watts max_w, double departure_s = stays,
                      double energy_kwh = 20, int priority = 0) {
  SessionDemand s;
  s.arrival = arrival;
  s.min_w = min_w;
  s.max_w = max_w;
  s.seconds_to_departure = departure_s;
  s.energy_left_kwh = energy_kwh;
  s.priority = priority;
  return s;
}

// The guarantees of allocator.h, for one allocation.
void check_invariants(const std::vector<SessionDemand>& sessions, Watts limit, const std::vector<Watts>& power) {
  REQUIRE(power.size() == sessions.size());
  Watts sum = 0;
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    INFO("session " << i << " min " << sessions[i].min_w << " max " << sessions[i].max_w << " got " << power[i]);
    CHECK((power[i] == 0 || (power[i] >= sessions[i].min_w && power[i] <= sessions[i].max_w)));
    if (!sessions[i].may_switch && !sessions[i].charging) CHECK(power[i] == 0);
    sum += power[i];
  }
  CHECK(sum <= std::max<Watts>(limit, 0));
  // Work-conserving: with power left, nobody who could use it goes without.
  const Watts left = std::max<Watts>(limit, 0) - sum;
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    const bool could_switch_on = sessions[i].may_switch || sessions[i].charging;
    if (power[i] > 0) {
      CHECK((power[i] == sessions[i].max_w || left == 0));
    } else if (could_switch_on) {
      CHECK(sessions[i].min_w > left);
    }
  }
  // Priority: a paused session never has a lower class charging above its minimum... (higher first)
  for (std::size_t i = 0; i < sessions.size(); ++i) {
    for (std::size_t j = 0; j < sessions.size(); ++j) {
      if (sessions[i].priority > sessions[j].priority && power[i] < sessions[i].max_w && power[i] > 0) {
        CHECK(power[j] <= sessions[j].min_w);  // the lower class gets nothing above its minimum
      }
    }
  }
}

}  // namespace

TEST_CASE("every registered policy keeps the limit, the minimums and the maximums, over random inputs") {
  std::mt19937_64 random(20261129);
  for (const auto& name : policy_names()) {
    CAPTURE(name);
    const auto policy = make_policy(name);
    for (int round = 0; round < 2000; ++round) {
      CAPTURE(round);
      const int n = static_cast<int>(random() % 40);
      std::vector<SessionDemand> sessions;
      for (int i = 0; i < n; ++i) {
        const Watts min_w = 100 + static_cast<Watts>(random() % 4000);
        const Watts max_w = min_w + static_cast<Watts>(random() % 20000);
        auto s = session(static_cast<std::uint64_t>(random() % 1000), min_w, max_w,
                         random() % 3 == 0 ? stays : static_cast<double>(random() % 36000),
                         static_cast<double>(random() % 60), static_cast<int>(random() % 3));
        s.charging = random() % 2 == 0;
        s.may_switch = random() % 3 != 0;
        sessions.push_back(s);
      }
      const Watts limit = static_cast<Watts>(random() % 200'000) - 1000;  // sometimes 0 or below
      check_invariants(sessions, limit, allocate(*policy, sessions, limit));
    }
  }
}

TEST_CASE("ten cars asking 11 kW on 30 kW: all charge, 3 kW each, under equal-share") {
  std::vector<SessionDemand> sessions;
  for (std::uint64_t i = 0; i < 10; ++i) sessions.push_back(session(i, 1400, 11000));
  const auto power = allocate(*make_policy("equal-share"), sessions, 30'000);
  for (const auto w : power) CHECK(w == 3000);
}

TEST_CASE("equal-share fills up: capped cars leave their share to the others, rounding watts go first-come") {
  const std::vector<SessionDemand> sessions{session(0, 1000, 2000), session(1, 1000, 11000), session(2, 1000, 11000)};
  const auto power = allocate(*make_policy("equal-share"), sessions, 20'001);
  CHECK(power == std::vector<Watts>{2000, 9001, 9000});
}

TEST_CASE("when not every minimum fits, the last in each policy's order are paused") {
  // Three cars, minimum 1.4 kW each, limit 3 kW: two charge.
  const std::vector<SessionDemand> sessions{session(0, 1400, 11000, 7200), session(1, 1400, 11000, 3600),
                                            session(2, 1400, 11000, stays)};
  CHECK(allocate(*make_policy("fcfs"), sessions, 3000) == std::vector<Watts>{1600, 1400, 0});
  CHECK(allocate(*make_policy("equal-share"), sessions, 3000) == std::vector<Watts>{1500, 1500, 0});
  CHECK(allocate(*make_policy("edf"), sessions, 3000) == std::vector<Watts>{1400, 1600, 0});
}

TEST_CASE("least laxity first serves the car with the least slack, not the earliest to leave") {
  // A leaves in 2 h needing 5 h at 11 kW (55 kWh): laxity -3 h. B leaves in 1 h needing 0.1 h.
  const std::vector<SessionDemand> sessions{session(0, 1400, 11000, 7200, 55), session(1, 1400, 11000, 3600, 1.1)};
  CHECK(allocate(*make_policy("llf"), sessions, 12'400) == std::vector<Watts>{11000, 1400});
  CHECK(allocate(*make_policy("edf"), sessions, 12'400) == std::vector<Watts>{1400, 11000});
}

TEST_CASE("a higher priority class is served first in every policy") {
  const std::vector<SessionDemand> sessions{session(0, 1400, 11000), session(1, 1400, 11000, stays, 20, 5)};
  for (const auto& name : policy_names()) {
    CAPTURE(name);
    CHECK(allocate(*make_policy(name), sessions, 12'400) == std::vector<Watts>{1400, 11000});
    CHECK(allocate(*make_policy(name), sessions, 2000) == std::vector<Watts>{0, 2000});
  }
}

TEST_CASE("a car that may not switch yet keeps its state unless the limit forces a pause") {
  auto early = session(0, 1400, 11000);
  auto late = session(1, 1400, 11000);
  late.charging = true;
  late.may_switch = false;  // just resumed
  // fcfs would prefer the early car, but the late one may not be paused yet: both fit at 3 kW.
  CHECK(allocate(*make_policy("fcfs"), std::vector{early, late}, 3000) == std::vector<Watts>{1600, 1400});
  // At 2 kW only one minimum fits: the car that may not switch keeps charging.
  CHECK(allocate(*make_policy("fcfs"), std::vector{early, late}, 2000) == std::vector<Watts>{0, 2000});
  // At 1 kW nobody fits: the limit forces the pause.
  CHECK(allocate(*make_policy("fcfs"), std::vector{early, late}, 1000) == std::vector<Watts>{0, 0});
  // A car just paused stays paused even when power is free.
  auto paused = session(2, 1400, 11000);
  paused.may_switch = false;
  CHECK(allocate(*make_policy("fcfs"), std::vector{paused}, 50'000) == std::vector<Watts>{0});
}

TEST_CASE("the registry builds every policy by name and refuses an unknown one") {
  CHECK(policy_names().size() >= 4);
  for (const auto& name : policy_names()) CHECK(make_policy(name)->name() == name);
  CHECK(std::find(policy_names().begin(), policy_names().end(), std::string(default_policy)) != policy_names().end());
  CHECK_THROWS_AS(make_policy("fastest"), std::invalid_argument);
}

TEST_CASE("cars a policy does not tell apart share equally: no departure given under edf and llf") {
  // A leaves in an hour; B and C do not say when they leave.
  const std::vector<SessionDemand> sessions{session(0, 1400, 11000, 3600), session(1, 1400, 11000),
                                            session(2, 1400, 11000)};
  for (const char* name : {"edf", "llf"}) {
    CAPTURE(name);
    CHECK(allocate(*make_policy(name), sessions, 20'000) == std::vector<Watts>{11000, 4500, 4500});
  }
  CHECK(allocate(*make_policy("fcfs"), sessions, 20'000) == std::vector<Watts>{11000, 7600, 1400});
}
