#include <doctest/doctest.h>

#include "grid/balancing/outlier_detector.h"

using namespace grid;
using namespace grid::balancing;
using namespace std::chrono_literals;

namespace {
const EjectionSettings settings{.consecutive_failures = 3, .base = 10s, .longest = 25s, .max_ejected_percent = 50};
}

TEST_CASE("three failures in a row eject for the base time, an answer in between resets the run") {
  FakeClock clock;
  OutlierDetector detector(settings);
  CHECK_FALSE(detector.on_failure("a", clock.now(), 4));
  CHECK_FALSE(detector.on_failure("a", clock.now(), 4));
  detector.on_success("a");
  CHECK_FALSE(detector.on_failure("a", clock.now(), 4));
  CHECK_FALSE(detector.on_failure("a", clock.now(), 4));
  const auto until = detector.on_failure("a", clock.now(), 4);
  REQUIRE(until);
  CHECK(*until == clock.now() + 10s);
  CHECK(detector.ejected("a"));
  CHECK(detector.next_restore() == clock.now() + 10s);

  clock.advance(10s - 1ms);
  CHECK(detector.restore_due(clock.now()).empty());
  clock.advance(1ms);
  CHECK(detector.restore_due(clock.now()) == std::vector<std::string>{"a"});
  CHECK_FALSE(detector.ejected("a"));
}

TEST_CASE("each further ejection lasts longer, up to the cap, and healthy time forgives") {
  FakeClock clock;
  OutlierDetector detector(settings);
  const auto eject = [&] {
    std::optional<TimePoint> until;
    for (int i = 0; i < 3 && !until; ++i) until = detector.on_failure("a", clock.now(), 4);
    REQUIRE(until);
    const auto length = *until - clock.now();
    clock.advance(length);
    detector.restore_due(clock.now());
    return length;
  };
  CHECK(eject() == 10s);
  CHECK(eject() == 20s);
  CHECK(eject() == 25s);  // capped
  clock.advance(30s);      // three healthy base periods forgive three ejections
  CHECK(eject() == 10s);
}

TEST_CASE("no more than the allowed share of the grid is ejected at once, but one always may be") {
  FakeClock clock;
  OutlierDetector detector(settings);
  for (const char* id : {"a", "b", "c"}) {
    for (int i = 0; i < 3; ++i) detector.on_failure(id, clock.now(), 4);
  }
  CHECK(detector.ejected_count() == 2);  // 50% of 4
  CHECK_FALSE(detector.ejected("c"));

  OutlierDetector small(settings);
  for (int i = 0; i < 3; ++i) small.on_failure("only", clock.now(), 1);
  CHECK(small.ejected("only"));  // 50% of 1 rounds to 0, but one may always go
}

TEST_CASE("a restarted substation starts with a clean record, 0 failures disables ejection") {
  FakeClock clock;
  OutlierDetector detector(settings);
  for (int i = 0; i < 3; ++i) detector.on_failure("a", clock.now(), 4);
  REQUIRE(detector.ejected("a"));
  detector.forget("a");
  CHECK_FALSE(detector.ejected("a"));
  CHECK_FALSE(detector.next_restore());

  OutlierDetector never({.consecutive_failures = 0});
  for (int i = 0; i < 100; ++i) CHECK_FALSE(never.on_failure("a", clock.now(), 4));
}
