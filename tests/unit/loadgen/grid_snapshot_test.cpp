// The balancer's substation list read into the replay's snapshot as the edge reads it.
#include <doctest/doctest.h>

#include "grid_snapshot.h"

using namespace grid;
using namespace grid::loadgen;

TEST_CASE("grid snapshot: a limit of 0 is the capacity, paused sessions apart, the empty answer skipped") {
  proto::SubstationList list(3);
  list[0] = {.request_id = "q", .index = 0, .total = 2, .substation_id = "north", .live = true, .ejected = false,
             .capacity_kw = 14, .limit_kw = 0, .allocated_kw = 9.5, .sessions = 4, .paused_sessions = 1};
  list[1] = {.request_id = "q", .index = 1, .total = 2, .substation_id = "east", .live = false, .ejected = false,
             .capacity_kw = 6, .limit_kw = 4, .allocated_kw = 0, .sessions = 1, .paused_sessions = 3};
  list[2] = {.request_id = "q", .index = 0, .total = 0, .substation_id = "", .live = false, .ejected = false,
             .capacity_kw = 0, .limit_kw = 0, .allocated_kw = 0, .sessions = 0, .paused_sessions = 0};
  const auto snapshot = snapshot_of(3600, list);
  CHECK(snapshot.trace_s == 3600);
  REQUIRE(snapshot.substations.size() == 2);
  CHECK(snapshot.substations[0].id == "north");
  CHECK(snapshot.substations[0].live);
  CHECK(snapshot.substations[0].limit_kw == 14);
  CHECK(snapshot.substations[0].allocated_kw == 9.5);
  CHECK(snapshot.substations[0].charging == 3);
  CHECK(snapshot.substations[0].paused == 1);
  CHECK_FALSE(snapshot.substations[1].live);
  CHECK(snapshot.substations[1].limit_kw == 4);
  CHECK(snapshot.substations[1].charging == 0);  // more paused than sessions: never negative
  CHECK(snapshot.substations[1].paused == 1);
}
