// The figures of a trace replay, from what it recorded: energy delivered against requested
// (refused sessions count as requested and not delivered), demand met, peaks, limit violations,
// and each substation's share of sessions and energy.
#include <doctest/doctest.h>

#include "trace_summary.h"

using namespace grid::loadgen;
using Admission = SessionFate::Admission;

namespace {

SessionFate admitted(const std::string& substation, double requested, std::optional<double> delivered) {
  return {.admission = Admission::admitted, .requested_kwh = requested, .session_id = substation + ".1-1",
          .substation = substation, .delivered_kwh = delivered, .final_status = "departed"};
}

SubstationPoint point(const std::string& id, double allocated, double limit, double capacity) {
  return {.id = id, .live = true, .allocated_kw = allocated, .limit_kw = limit, .capacity_kw = capacity,
          .charging = 1, .paused = 0};
}

}  // namespace

TEST_CASE("trace summary: energy shares count refused sessions as requested and not delivered") {
  TraceTally tally;
  tally.sessions = {admitted("north", 10, 10), admitted("north", 10, 9.95), admitted("south", 20, 5),
                    {.admission = Admission::refused, .requested_kwh = 10},
                    {.admission = Admission::failed, .requested_kwh = 50}};
  const auto s = summarize_trace(tally);
  CHECK(s.sessions == 5);
  CHECK(s.admitted == 3);
  CHECK(s.refused == 1);
  CHECK(s.failed == 1);
  CHECK(s.requested_kwh == doctest::Approx(100));
  CHECK(s.delivered_kwh == doctest::Approx(24.95));
  CHECK(s.delivered_share == doctest::Approx(0.2495));
  CHECK(s.delivered_share_admitted == doctest::Approx(24.95 / 40));
  CHECK(s.demand_met == 2);  // 10 of 10 and 9.95 of 10 (>= 99%), not 5 of 20
  CHECK(s.demand_met_share == doctest::Approx(0.4));
  REQUIRE(s.substations.size() == 2);
  CHECK(s.substations[0].id == "north");
  CHECK(s.substations[0].sessions == 2);
  CHECK(s.substations[0].session_share == doctest::Approx(2.0 / 3));
  CHECK(s.substations[0].energy_share == doctest::Approx(19.95 / 24.95));
}

TEST_CASE("trace summary: a session whose unplugging went unanswered is unsettled, not zero") {
  TraceTally tally;
  tally.sessions = {admitted("north", 10, std::nullopt), admitted("north", 10, 10)};
  const auto s = summarize_trace(tally);
  CHECK(s.unsettled == 1);
  CHECK(s.delivered_kwh == doctest::Approx(10));
  CHECK(s.demand_met == 1);
}

TEST_CASE("trace summary: peaks per substation and for the grid, and violations above the limit only") {
  TraceTally tally;
  tally.sessions = {admitted("north", 1, 1)};
  tally.snapshots = {
      {.trace_s = 0, .substations = {point("north", 50, 75, 150), point("south", 100, 100, 100)}},
      {.trace_s = 60, .substations = {point("north", 75.0005, 75, 150), point("south", 80, 100, 100)}},
      {.trace_s = 120, .substations = {point("north", 76, 75, 150), point("south", 100.5, 100, 100)}},
  };
  const auto s = summarize_trace(tally);
  CHECK(s.snapshots == 3);
  CHECK(s.grid_peak_kw == doctest::Approx(176.5));
  CHECK(s.limit_violations == 2);  // 76 on 75 and 100.5 on 100; half a watt over is rounding, not a violation
  REQUIRE(s.substations.size() == 2);
  CHECK(s.substations[0].peak_kw == doctest::Approx(76));
  CHECK(s.substations[1].peak_kw == doctest::Approx(100.5));
  CHECK(s.substations[1].sessions == 0);  // seen in the grid, given no session
  const auto spread = spread_of(s);
  REQUIRE(spread.size() == 2);
  CHECK(spread[0].fair_share == doctest::Approx(0.6));
  CHECK(spread[1].fair_share == doctest::Approx(0.4));
}

TEST_CASE("trace summary: an empty tally gives zeros, never a division by zero") {
  const auto s = summarize_trace({});
  CHECK(s.delivered_share == 0);
  CHECK(s.demand_met_share == 0);
  CHECK(s.grid_peak_kw == 0);
  CHECK(to_json(s)["substations"].empty());
  CHECK(format_trace_summary(s).find("trace replay") == 0);
}

TEST_CASE("trace summary: the JSON carries every figure") {
  TraceTally tally;
  tally.sessions = {admitted("north", 10, 10)};
  tally.max_arrival_lag_ms = 3;
  const auto json = to_json(summarize_trace(tally));
  for (const char* key : {"sessions", "admitted", "refused", "failed", "unsettled", "requested_kwh", "delivered_kwh",
                          "delivered_share", "delivered_share_admitted", "demand_met", "demand_met_share",
                          "grid_peak_kw", "limit_violations", "snapshots", "max_arrival_lag_ms", "substations"}) {
    CAPTURE(key);
    CHECK(json.contains(key));
  }
  CHECK(json["substations"]["north"]["delivered_kwh"] == 10.0);
}
