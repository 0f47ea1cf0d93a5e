// The replay's timing, shared by the HTTP and the ZeroMQ replay: arrivals in trace order at trace
// time / time scale, departures in time order, a look at the grid every interval.
#include <doctest/doctest.h>

#include <sstream>

#include "trace_schedule.h"

using namespace grid;
using namespace grid::loadgen;
using namespace std::chrono_literals;

namespace {

Trace day() {
  std::istringstream in(
      "arrival_s,departure_s,energy_kwh,max_power_kw\n0,3600,10,11\n1800,7200,10,11\n1800,9000,5,7\n");
  return read_trace(in, "day.csv");
}

}  // namespace

TEST_CASE("trace schedule: arrivals come due at trace time over the time scale, in trace order") {
  const auto trace = day();
  TraceSchedule schedule(trace, 3600, 250ms);  // an hour of trace per real second
  const TimePoint start = TimePoint{} + 1h;
  schedule.start(start);
  CHECK(schedule.at(1800) == start + 500ms);
  CHECK(schedule.trace_now(start + 250ms) == doctest::Approx(900));

  const auto first = schedule.next_arrival(start);
  REQUIRE(first);
  CHECK(first->index == 0);
  CHECK(first->lag_ms == 0);
  CHECK_FALSE(schedule.next_arrival(start + 499ms));
  CHECK(schedule.next_wake() == start);  // the first look at the grid is due at once

  schedule.sampled(start);
  CHECK(schedule.next_wake() == start + 250ms);
  CHECK_FALSE(schedule.sample_due(start + 249ms));
  CHECK(schedule.sample_due(start + 250ms));

  schedule.sampled(start + 250ms);
  CHECK(schedule.next_wake() == start + 500ms);  // the next arrival comes before the next look
  const auto late = schedule.next_arrival(start + 510ms);
  REQUIRE(late);
  CHECK(late->index == 1);
  CHECK(late->lag_ms == doctest::Approx(10));
  REQUIRE(schedule.next_arrival(start + 510ms));
  CHECK_FALSE(schedule.arrivals_left());
  CHECK_FALSE(schedule.next_arrival(start + 10s));
}

TEST_CASE("trace schedule: departures come due in time order, whatever order they were added in") {
  const auto trace = day();
  TraceSchedule schedule(trace, 1, 1s);
  const TimePoint start = TimePoint{} + 1h;
  schedule.start(start);
  schedule.sampled(start);
  REQUIRE(schedule.next_arrival(start));  // the next arrival is half an hour on: not the next wake
  schedule.depart_at(start + 300ms, 2);
  schedule.depart_at(start + 100ms, 0);
  CHECK(schedule.departures_left());
  CHECK_FALSE(schedule.next_departure(start + 99ms));
  CHECK(schedule.next_wake() == start + 100ms);
  CHECK(schedule.next_departure(start + 1s) == std::optional<std::size_t>(0));
  CHECK(schedule.next_departure(start + 1s) == std::optional<std::size_t>(2));
  CHECK_FALSE(schedule.departures_left());
}

TEST_CASE("trace schedule: run tokens differ between runs and make valid request ids") {
  const auto one = run_token();
  CHECK(one.size() == 11);
  CHECK(one.rfind("lg-", 0) == 0);
  CHECK(run_token() != one);  // 2^-32 of a chance to fail
}
