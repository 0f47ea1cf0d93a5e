#include <doctest/doctest.h>

#include <random>

#include "station.h"

using namespace grid;
using namespace std::chrono_literals;
using grid::substation::Station;

namespace {
proto::ChargeJob job(std::string request_id, double power_kw, double energy_kwh = 20) {
  return proto::ChargeJob{1, std::move(request_id), "EV-1", power_kw, energy_kwh};
}
}  // namespace

TEST_CASE("a substation admits while the power fits and refuses beyond its capacity") {
  FakeClock clock;
  Station station("north", 50, 1.0, 7);
  CHECK(station.admit(job("a", 22), clock.now()).accepted);
  CHECK(station.admit(job("b", 22), clock.now()).accepted);
  const auto refused = station.admit(job("c", 11), clock.now());
  CHECK_FALSE(refused.accepted);
  CHECK(refused.refusal == power::Refusal::capacity);
  CHECK(station.admit(job("d", 6), clock.now()).accepted);  // 50 kW exactly: fits
  CHECK(station.load_kw() == doctest::Approx(50));
  CHECK(station.active_sessions() == 3);
  CHECK_FALSE(station.admit(job("e", 0.001), clock.now()).accepted);
}

TEST_CASE("a session lasts energy / power hours of simulated time, then frees its power") {
  FakeClock clock;
  Station station("north", 100, 3600.0, 7);  // one simulated hour per real second
  REQUIRE(station.admit(job("a", 10, 20), clock.now()).accepted);  // 2 h simulated = 2 s real
  REQUIRE(station.admit(job("b", 20, 10), clock.now()).accepted);  // 0.5 h = 0.5 s
  CHECK(station.next_completion() == clock.now() + 500ms);

  clock.advance(499ms);
  CHECK(station.complete_due(clock.now()).empty());
  clock.advance(1ms);
  auto done = station.complete_due(clock.now());
  REQUIRE(done.size() == 1);
  CHECK(done[0].request_id == "b");
  CHECK(station.load_kw() == doctest::Approx(10));

  clock.advance(1500ms);
  done = station.complete_due(clock.now());
  REQUIRE(done.size() == 1);
  CHECK(done[0].energy_kwh == 20);
  CHECK(station.load_kw() == 0);
  CHECK(station.active_sessions() == 0);
  CHECK_FALSE(station.next_completion().has_value());
}

TEST_CASE("a repeated request id gets the same session, not a second one") {
  FakeClock clock;
  Station station("north", 30, 1.0, 7);
  const auto first = station.admit(job("same", 22), clock.now());
  REQUIRE(first.accepted);
  const auto again = station.admit(job("same", 22), clock.now());
  CHECK(again.accepted);
  CHECK(again.repeated);
  CHECK(again.session_id == first.session_id);
  CHECK(station.active_sessions() == 1);
  CHECK(station.load_kw() == doctest::Approx(22));
}

TEST_CASE("a refused request is decided afresh when it comes again") {
  FakeClock clock;
  Station station("north", 100, 3600.0, 7);
  REQUIRE(station.admit(job("big", 90, 45), clock.now()).accepted);  // ends after 0.5 s
  CHECK_FALSE(station.admit(job("late", 20), clock.now()).accepted);
  clock.advance(500ms);
  station.complete_due(clock.now());
  CHECK(station.admit(job("late", 20), clock.now()).accepted);
}

TEST_CASE("session ids differ across boots of the same substation") {
  FakeClock clock;
  Station first_boot("north", 100, 1.0, 1);
  Station second_boot("north", 100, 1.0, 2);
  CHECK(first_boot.admit(job("a", 1), clock.now()).session_id != second_boot.admit(job("a", 1), clock.now()).session_id);
}

TEST_CASE("a cancelled session frees its power, and the request may be admitted afresh later") {
  FakeClock clock;
  Station station("north", 30, 1.0, 7);
  const auto first = station.admit(job("r", 22), clock.now());
  REQUIRE(first.accepted);
  const auto ended = station.cancel("r");
  REQUIRE(ended);
  CHECK(ended->session_id == first.session_id);
  CHECK(station.load_kw() == 0);
  CHECK(station.active_sessions() == 0);
  CHECK_FALSE(station.cancel("r"));        // twice is harmless
  CHECK_FALSE(station.cancel("unknown"));  // so is a request never seen
  const auto again = station.admit(job("r", 22), clock.now());
  CHECK(again.accepted);
  CHECK_FALSE(again.repeated);
  CHECK(station.complete_due(clock.now() + std::chrono::hours(10)).size() == 1);  // only the live one
}

TEST_CASE("a cancel naming a session leaves a newer session of the same request alone") {
  FakeClock clock;
  Station station("north", 30, 1.0, 7);
  const auto first = station.admit(job("r", 10), clock.now());
  REQUIRE(station.cancel("r"));
  const auto second = station.admit(job("r", 10), clock.now());
  CHECK_FALSE(station.cancel("r", first.session_id));
  CHECK(station.active_sessions() == 1);
  CHECK(station.cancel("r", second.session_id));
}

TEST_CASE("issue 9.2: an epsilon never loads a substation past its capacity") {
  FakeClock clock;
  Station station("tiny", 0.3, 1.0, 7);
  CHECK(station.admit(job("a", 0.1), clock.now()).accepted);
  CHECK(station.admit(job("b", 0.2), clock.now()).accepted);
  const auto epsilon = station.admit(job("c", 1e-10), clock.now());
  CHECK_FALSE(epsilon.accepted);
  CHECK(epsilon.refusal == power::Refusal::below_minimum);
  CHECK_FALSE(station.admit(job("d", 0.1), clock.now()).accepted);
  CHECK(station.load_kw() <= station.capacity_kw());
}

TEST_CASE("issue 9.1: the load is the exact sum of the sessions, never negative") {
  // 0.1 + 11 then both ending left -3.6e-16 kW behind with a float running sum.
  FakeClock clock;
  Station station("north", 100, 3600.0, 7);
  REQUIRE(station.admit(job("A", 0.1, 0.2), clock.now()).accepted);
  REQUIRE(station.admit(job("B", 11, 11), clock.now()).accepted);
  REQUIRE(station.admit(job("C", 0.1, 1), clock.now()).accepted);
  clock.advance(std::chrono::seconds(3));  // A (2 h) and B (1 h) are over; C (10 h) is not
  CHECK(station.complete_due(clock.now()).size() == 2);
  CHECK(station.active_sessions() == 1);
  CHECK(station.load_kw() == 0.1);
}

TEST_CASE("property: over random admissions, cancels and completions the load is exact and within capacity") {
  FakeClock clock;
  std::mt19937_64 random(20261129);
  std::uniform_real_distribution<double> power(0.05, 30);
  std::uniform_real_distribution<double> energy(0.1, 50);
  for (int round = 0; round < 20; ++round) {
    const double capacity = std::uniform_real_distribution<double>(0.3, 200)(random);
    Station station("prop", capacity, 3600.0, 7);
    std::vector<std::pair<std::string, power::Watts>> admitted;
    for (int step = 0; step < 500; ++step) {
      const int action = static_cast<int>(random() % 4);
      if (action <= 1) {
        const std::string id = "r" + std::to_string(step);
        const double kw = power(random);
        const auto admission = station.admit(job(id, kw), clock.now());
        if (admission.accepted) admitted.emplace_back(admission.session_id, power::to_watts(kw));
      } else if (action == 2 && !admitted.empty()) {
        station.cancel("r" + std::to_string(random() % static_cast<unsigned>(step + 1)));
      } else {
        clock.advance(std::chrono::milliseconds(random() % 2000));
        station.complete_due(clock.now());
      }
      INFO("round " << round << " step " << step);
      REQUIRE(station.load_kw() >= 0);
      REQUIRE(power::to_watts(station.load_kw()) <= power::to_watts(capacity));
      REQUIRE((station.active_sessions() == 0) == (station.load_kw() == 0));
    }
  }
}
