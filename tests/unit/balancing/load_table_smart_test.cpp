// LoadTable and smart charging (issue 12): the limit, minimums and demand a heartbeat reports, how
// an older substation's heartbeat is read, what an accepted job adds until the next heartbeat, and
// reservations of both a job's minimum and maximum.
#include <doctest/doctest.h>

#include <chrono>

#include "grid/balancing/load_table.h"
#include "grid/balancing/policy.h"
#include "grid/util/clock.h"

using namespace std::chrono_literals;
using grid::FakeClock;
using grid::balancing::JobSnapshot;
using grid::balancing::LoadTable;
using grid::balancing::PickRequest;
using grid::balancing::SubstationReport;

namespace {

// A smart-charging substation: 100 kW, an operator limit of 60 kW, three sessions (one paused).
SubstationReport smart(std::uint64_t seq, double load_kw = 40, double min_kw = 12, double demand_kw = 55) {
  return {.id = "north",
          .boot = 7,
          .seq = seq,
          .capacity_kw = 100,
          .load_kw = load_kw,
          .active_sessions = 3,
          .limit_kw = 60,
          .min_kw = min_kw,
          .demand_kw = demand_kw,
          .energy_wanted_kwh = 70,
          .due_kw = 20,
          .paused_sessions = 1};
}

}  // namespace

TEST_CASE("a smart heartbeat fills the row: limit, minimums, demand, paused sessions, energy, due") {
  FakeClock clock;
  LoadTable table(1s, 3);
  table.on_heartbeat(smart(1), clock.now());
  const auto* row = table.find("north");
  CHECK(row->reports_demand);
  CHECK(row->capacity_kw == 100);
  CHECK(row->limit_kw == 60);
  CHECK(row->load_kw == 40);
  CHECK(row->min_kw == 12);
  CHECK(row->demand_kw == 55);
  CHECK(row->paused_sessions == 1);
  CHECK(row->energy_wanted_kwh == 70);
  CHECK(row->due_kw == 20);
  CHECK(row->utilization() == doctest::Approx(55.0 / 60));  // demand / limit, not load / capacity
  CHECK(row->headroom_kw() == doctest::Approx(5));
  // Admission counts minimums under the limit: 12 + 48 = 60 fits exactly, a watt more does not.
  CHECK(row->fits(48));
  CHECK_FALSE(row->fits(48.001));
}

TEST_CASE("an older substation's heartbeat: limit = capacity, its load stands for minimums and demand") {
  FakeClock clock;
  LoadTable table(1s, 3);
  table.on_heartbeat({"south", 1, 1, 50, 30, 2}, clock.now());
  const auto* row = table.find("south");
  CHECK_FALSE(row->reports_demand);
  CHECK(row->limit_kw == 50);
  CHECK(row->min_kw == 30);
  CHECK(row->demand_kw == 30);
  CHECK(row->utilization() == doctest::Approx(0.6));
  // Its job answers say nothing of minimums: the load they carry stands for both again.
  CHECK(table.on_job_result("south", {41, 3, 1, {0, 11}}, clock.now()));
  CHECK(row->min_kw == 41);
  CHECK(row->demand_kw == 41);
}

TEST_CASE("an accepted job adds its session's minimum and maximum until a newer heartbeat corrects them") {
  FakeClock clock;
  LoadTable table(1s, 3);
  table.on_heartbeat(smart(4), clock.now());
  const auto* row = table.find("north");
  // Admitted after heartbeat 4: min 1.4, max 11, allocated 5.5 now.
  CHECK(table.on_job_result("north", {45.5, 4, 4, {1.4, 11}}, clock.now()));
  CHECK(row->load_kw == 45.5);
  CHECK(row->min_kw == doctest::Approx(13.4));
  CHECK(row->demand_kw == 66);
  // A second one in the same interval adds up, in whole watts.
  CHECK(table.on_job_result("north", {47, 5, 4, {0.1, 0.2}}, clock.now()));
  CHECK(row->min_kw == 13.5);
  CHECK(row->demand_kw == 66.2);

  SUBCASE("a refusal adds nothing") {
    CHECK(table.on_job_result("north", {47, 5, 4, {}}, clock.now()));
    CHECK(row->min_kw == 13.5);
  }
  SUBCASE("heartbeat 4 arriving late (published before the answers) does not roll them back") {
    CHECK(table.on_heartbeat(smart(4), clock.now()) == grid::balancing::HeartbeatVerdict::stale);
    CHECK(row->min_kw == 13.5);
  }
  SUBCASE("a heartbeat the answers overtook, with seq = after_seq, does not roll them back either") {
    LoadTable other(1s, 3);
    other.on_heartbeat(smart(3), clock.now());
    CHECK(other.on_job_result("north", {45.5, 4, 4, {1.4, 11}}, clock.now()));  // decided after seq 4
    CHECK(other.on_heartbeat(smart(4), clock.now()) == grid::balancing::HeartbeatVerdict::updated);
    CHECK(other.find("north")->min_kw == doctest::Approx(13.4));
    CHECK(other.find("north")->demand_kw == 66);
  }
  SUBCASE("a newer heartbeat tells the whole truth") {
    CHECK(table.on_heartbeat(smart(5, 50, 14, 70), clock.now()) == grid::balancing::HeartbeatVerdict::updated);
    CHECK(row->min_kw == 14);
    CHECK(row->demand_kw == 70);
    SUBCASE("and an answer older than it is not added again") {
      CHECK(table.on_job_result("north", {47, 5, 4, {1.4, 11}}, clock.now()));
      CHECK(row->min_kw == 14);
      CHECK(row->load_kw == 50);
    }
  }
}

TEST_CASE("the limit follows every newer heartbeat, even one whose sessions an answer overtook") {
  FakeClock clock;
  LoadTable table(1s, 3);
  table.on_heartbeat(smart(1), clock.now());
  table.on_job_result("north", {45, 4, 2, {1.4, 11}}, clock.now());
  auto dropped = smart(2);
  dropped.limit_kw = 30;  // the operator lowered the limit
  table.on_heartbeat(dropped, clock.now());
  CHECK(table.find("north")->limit_kw == 30);
  CHECK(table.find("north")->min_kw == doctest::Approx(13.4));  // the answer's state stays
}

TEST_CASE("reservations hold a job's minimum and maximum apart, both in whole watts") {
  FakeClock clock;
  LoadTable table(1s, 3);
  table.on_heartbeat(smart(1), clock.now());
  const auto* row = table.find("north");
  const PickRequest request{11, nullptr, 0};
  CHECK(request.session_min_kw() == 1.4);
  table.reserve("north", request.reservation());
  table.reserve("north", {6, 22});
  CHECK(row->reserved_min_kw == 7.4);
  CHECK(row->reserved_kw == 33);
  CHECK(row->committed_kw() == 19.4);
  CHECK(row->wanted_kw() == 88);
  // Admission sees the reserved minimums: 12 + 7.4 + 40.6 = 60.
  CHECK(row->fits(40.6));
  CHECK_FALSE(row->fits(40.601));
  table.release("north", request.reservation());
  table.release("north", {6, 22});
  CHECK(row->reserved_min_kw == 0);
  CHECK(row->reserved_kw == 0);
}

TEST_CASE("a request's minimum: its own, else 1.4 kW capped at its power") {
  CHECK(PickRequest{11, nullptr, 0}.session_min_kw() == 1.4);
  CHECK(PickRequest{1, nullptr, 0}.session_min_kw() == 1);
  CHECK(PickRequest{11, nullptr, 6}.session_min_kw() == 6);
  CHECK(PickRequest{11, nullptr, 0}.reservation().max_kw == 11);
}

TEST_CASE("a lowered feeder cap routes at once, while the limit the substation reports follows its heartbeat") {
  FakeClock clock;
  LoadTable table(250ms, 3);
  auto report = smart(1);
  report.granted_kw = 50;  // its feeder grant in force: below its own 60
  table.on_heartbeat(report, clock.now());
  CHECK(table.find("north")->reported_limit_kw == 50);

  table.set_feeder_cap("north", 30);  // the balancer lowers the grant: routing obeys at once
  CHECK(table.find("north")->limit_kw == 30);
  CHECK(table.find("north")->reported_limit_kw == 50);  // not in force there yet

  report = smart(2, 30);
  report.granted_kw = 30;  // applied and confirmed
  table.on_heartbeat(report, clock.now());
  CHECK(table.find("north")->reported_limit_kw == 30);
  report = smart(3, 30);  // no feeder limit at all: its own limit
  table.on_heartbeat(report, clock.now());
  CHECK(table.find("north")->reported_limit_kw == 60);
}
