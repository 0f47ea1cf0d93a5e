#include <doctest/doctest.h>

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
  CHECK(refused.reason == "capacity");
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
