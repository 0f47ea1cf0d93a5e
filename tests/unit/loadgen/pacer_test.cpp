// Pacing without clocks: the ramp, the closed-loop window, the open-loop arrival times, and that
// the wake-up times a driver sleeps until are exactly when the next start becomes allowed.
#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

#include "pacer.h"

using namespace grid::loadgen;

TEST_CASE("the ramp rises linearly from 10% to full") {
  CHECK(ramp_fraction(0, 10) == doctest::Approx(0.1));
  CHECK(ramp_fraction(5, 10) == doctest::Approx(0.55));
  CHECK(ramp_fraction(10, 10) == 1.0);
  CHECK(ramp_fraction(99, 10) == 1.0);
  CHECK(ramp_fraction(0, 0) == 1.0);  // no ramp: full load at once
}

TEST_CASE("closed loop: the window grows with the ramp, at least 1, at most the concurrency") {
  const LoadPlan plan{.vehicles = 100, .concurrency = 20, .rate = 0, .ramp_s = 9};
  CHECK(closed_loop_window(plan, 0) == 2);
  CHECK(closed_loop_window(plan, 4.5) == 11);  // 20 * 0.55
  CHECK(closed_loop_window(plan, 9) == 20);
  CHECK(closed_loop_window({.vehicles = 1, .concurrency = 3, .rate = 0, .ramp_s = 9}, 0) == 1);
  CHECK(closed_loop_window({.vehicles = 1, .concurrency = 3, .rate = 0, .ramp_s = 0}, 0) == 3);
}

TEST_CASE("closed loop: starts fill the window, then wait for answers or the ramp") {
  Pacer pacer({.vehicles = 5, .concurrency = 10, .rate = 0, .ramp_s = 9}, 1);
  // Window 1 at t=0.
  CHECK(pacer.may_start(0, 0));
  pacer.started();
  CHECK_FALSE(pacer.may_start(0, 1));
  const auto wake = pacer.next_wake_s(0, 1);
  REQUIRE(wake);
  // The window reaches 2 when 10 * (0.1 + 0.9 t / 9) = 2, at t = 1.
  CHECK(*wake == doctest::Approx(1.0).epsilon(1e-4));
  CHECK(pacer.may_start(*wake, 1));
  CHECK(pacer.may_start(0, 0));  // an answer makes room at once
  for (int i = 0; i < 4; ++i) pacer.started();
  CHECK(pacer.all_started());
  CHECK_FALSE(pacer.may_start(100, 0));
  CHECK_FALSE(pacer.next_wake_s(100, 0));
  CHECK_THROWS_AS(pacer.started(), std::logic_error);
}

TEST_CASE("closed loop at full concurrency waits for an answer only") {
  Pacer pacer({.vehicles = 10, .concurrency = 2, .rate = 0, .ramp_s = 0}, 1);
  pacer.started();
  pacer.started();
  CHECK_FALSE(pacer.may_start(0, 2));
  CHECK_FALSE(pacer.next_wake_s(0, 2));
}

TEST_CASE("open loop: expected arrivals follow the ramped rate") {
  const LoadPlan flat{.vehicles = 10, .concurrency = 10, .rate = 100, .ramp_s = 0};
  CHECK(open_loop_time_of(flat, 50) == doctest::Approx(0.5));
  const LoadPlan ramped{.vehicles = 10, .concurrency = 10, .rate = 100, .ramp_s = 10};
  // During the ramp: 100 * (0.1 t + 0.045 t^2); by t = 10, 550 arrivals; then 100 per second.
  CHECK(open_loop_time_of(ramped, 100 * (0.1 * 4 + 0.045 * 16)) == doctest::Approx(4.0));
  CHECK(open_loop_time_of(ramped, 550) == doctest::Approx(10.0));
  CHECK(open_loop_time_of(ramped, 650) == doctest::Approx(11.0));
  CHECK(open_loop_time_of(ramped, 0) == 0);
}

TEST_CASE("open loop: the first vehicle arrives at once, the rest as a Poisson process") {
  const LoadPlan plan{.vehicles = 20'000, .concurrency = 100, .rate = 1000, .ramp_s = 0};
  Pacer pacer(plan, 42);
  CHECK(pacer.may_start(0, 0));
  double elapsed = 0;
  std::size_t guard = 0;
  std::size_t wakes_too_early = 0;  // waking at the given time must always let the arrival in
  while (!pacer.all_started() && guard++ < 100'000) {
    if (pacer.may_start(elapsed, 0)) {
      pacer.started();
    } else {
      const auto wake = pacer.next_wake_s(elapsed, 0);
      REQUIRE(wake);
      REQUIRE(*wake > elapsed);
      elapsed = *wake;
      if (!pacer.may_start(elapsed, 0)) ++wakes_too_early;
    }
  }
  REQUIRE(pacer.all_started());
  CHECK(wakes_too_early == 0);
  // 20'000 arrivals at 1000/s take about 20 s; a Poisson count's spread is sqrt(n): 1% here.
  CHECK(elapsed == doctest::Approx(20.0).epsilon(0.04));

  // The same seed gives the same arrival times.
  Pacer again(plan, 42);
  Pacer other(plan, 43);
  again.started();
  other.started();
  CHECK(*again.next_wake_s(0, 0) != *other.next_wake_s(0, 0));
}

TEST_CASE("open loop: arrivals beyond the concurrency wait for an answer") {
  Pacer pacer({.vehicles = 10, .concurrency = 1, .rate = 1e6, .ramp_s = 0}, 1);
  pacer.started();
  CHECK_FALSE(pacer.may_start(100, 1));
  CHECK_FALSE(pacer.next_wake_s(100, 1));
  CHECK(pacer.may_start(100, 0));
}

TEST_CASE("a plan without vehicles or concurrency is refused") {
  CHECK_THROWS_AS(Pacer({.vehicles = 0, .concurrency = 1}, 1), std::invalid_argument);
  CHECK_THROWS_AS(Pacer({.vehicles = 1, .concurrency = 0}, 1), std::invalid_argument);
  CHECK_THROWS_AS(Pacer({.vehicles = 1, .concurrency = 1, .rate = -1}, 1), std::invalid_argument);
}
