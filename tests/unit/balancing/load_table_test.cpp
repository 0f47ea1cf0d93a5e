// LoadTable: what heartbeats, job results and reservations do to a row, and when a row dies.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

#include "grid/balancing/load_table.h"
#include "grid/util/clock.h"

using namespace std::chrono_literals;
using grid::FakeClock;
using grid::balancing::HeartbeatVerdict;
using grid::balancing::LoadTable;
using grid::balancing::SubstationReport;

namespace {

SubstationReport report(std::string id, std::uint64_t seq, double load_kw, double capacity_kw = 100,
                        std::uint64_t boot = 7, std::uint32_t sessions = 0) {
  return SubstationReport{std::move(id), boot, seq, capacity_kw, load_kw, sessions};
}

constexpr auto interval = 1s;
constexpr int liveness = 3;

}  // namespace

TEST_CASE("a first heartbeat joins the substation as a live row") {
  FakeClock clock;
  LoadTable table(interval, liveness);
  CHECK(table.on_heartbeat(report("north", 1, 20, 100, 7, 3), clock.now()) ==
        HeartbeatVerdict::joined);
  REQUIRE(table.size() == 1);
  REQUIRE(table.live_count() == 1);
  const auto* row = table.find("north");
  REQUIRE(row != nullptr);
  CHECK(row == &table.live(0));
  CHECK(row->boot == 7);
  CHECK(row->last_seq == 1);
  CHECK(row->capacity_kw == 100);
  CHECK(row->load_kw == 20);
  CHECK(row->reserved_kw == 0);
  CHECK(row->active_sessions == 3);
  CHECK(row->live);
  CHECK(row->last_heard == clock.now());
  CHECK(row->utilization() == doctest::Approx(0.2));
  CHECK(row->headroom_kw() == doctest::Approx(80));
  CHECK(table.find("south") == nullptr);
}

TEST_CASE("a newer heartbeat updates the row, an old or repeated one is stale, refreshes nothing") {
  FakeClock clock;
  LoadTable table(interval, liveness);
  table.on_heartbeat(report("north", 5, 20), clock.now());
  clock.advance(1s);
  CHECK(table.on_heartbeat(report("north", 6, 30, 120), clock.now()) == HeartbeatVerdict::updated);
  const auto* row = table.find("north");
  CHECK(row->last_seq == 6);
  CHECK(row->load_kw == 30);
  CHECK(row->capacity_kw == 120);
  CHECK(row->last_heard == clock.now());

  const auto heard = clock.now();
  clock.advance(1s);
  CHECK(table.on_heartbeat(report("north", 6, 99), clock.now()) == HeartbeatVerdict::stale);
  CHECK(table.on_heartbeat(report("north", 4, 99), clock.now()) == HeartbeatVerdict::stale);
  CHECK(row->last_seq == 6);
  CHECK(row->load_kw == 30);
  CHECK(row->last_heard == heard);
}

TEST_CASE("a new boot resets the row, even with a lower seq") {
  FakeClock clock;
  LoadTable table(interval, liveness);
  table.on_heartbeat(report("north", 900, 80, 100, 7), clock.now());
  table.reserve("north", {15, 15});
  table.on_job_result("north", {90, 4, 950}, clock.now());
  clock.advance(1s);
  CHECK(table.on_heartbeat(report("north", 1, 0, 150, 8), clock.now()) ==
        HeartbeatVerdict::restarted);
  const auto* row = table.find("north");
  CHECK(row->boot == 8);
  CHECK(row->last_seq == 1);
  CHECK(row->load_kw == 0);
  CHECK(row->capacity_kw == 150);
  CHECK(row->reserved_kw == 0);
  // The old boot's answer seq (950) must not keep the new boot's heartbeats from applying.
  CHECK(table.on_heartbeat(report("north", 2, 12, 150, 8), clock.now()) ==
        HeartbeatVerdict::updated);
  CHECK(row->load_kw == 12);
}

TEST_CASE("a substation is alive one tick before liveness x interval and dead at the deadline") {
  FakeClock clock;
  LoadTable table(interval, liveness);
  const auto joined = clock.now();
  table.on_heartbeat(report("north", 1, 20), joined);
  const auto deadline = joined + liveness * interval;
  CHECK(table.ttl() == liveness * interval);

  CHECK(table.expire(deadline - grid::Duration(1)).empty());
  CHECK(table.live_count() == 1);
  CHECK(table.find("north")->live);

  const auto expired = table.expire(deadline);
  REQUIRE(expired.size() == 1);
  CHECK(expired.front() == "north");
  CHECK(table.live_count() == 0);
  REQUIRE(table.find("north") != nullptr);  // kept for metrics
  CHECK_FALSE(table.find("north")->live);
  CHECK(table.size() == 1);
  CHECK(table.expire(deadline + 1h).empty());  // reported once

  SUBCASE("a stale heartbeat does not bring it back") {
    CHECK(table.on_heartbeat(report("north", 1, 20), deadline) == HeartbeatVerdict::stale);
    CHECK(table.live_count() == 0);
  }
  SUBCASE("a newer heartbeat brings it back") {
    CHECK(table.on_heartbeat(report("north", 2, 25), deadline) == HeartbeatVerdict::rejoined);
    CHECK(table.live_count() == 1);
    CHECK(table.find("north")->live);
    CHECK(table.next_expiry() == deadline + liveness * interval);
  }
  SUBCASE("a new boot brings it back as restarted") {
    CHECK(table.on_heartbeat(report("north", 1, 0, 100, 9), deadline) ==
          HeartbeatVerdict::restarted);
    CHECK(table.live_count() == 1);
  }
  SUBCASE("a job result is proof of life too") {
    CHECK(table.on_job_result("north", {30, 1, 1}, deadline));
    CHECK(table.live_count() == 1);
    CHECK(table.find("north")->load_kw == 30);
  }
}

TEST_CASE("next_expiry is the earliest deadline among live rows") {
  FakeClock clock;
  LoadTable table(interval, liveness);
  CHECK_FALSE(table.next_expiry().has_value());
  const auto t0 = clock.now();
  table.on_heartbeat(report("north", 1, 0), t0);
  table.on_heartbeat(report("south", 1, 0), t0 + 500ms);
  CHECK(table.next_expiry() == t0 + 3s);

  table.on_heartbeat(report("north", 2, 0), t0 + 1s);  // north now expires after south
  CHECK(table.next_expiry() == t0 + 3500ms);

  CHECK(table.expire(t0 + 3500ms) == std::vector<std::string>{"south"});
  CHECK(table.next_expiry() == t0 + 4s);
  CHECK(table.expire(t0 + 4s) == std::vector<std::string>{"north"});
  CHECK_FALSE(table.next_expiry().has_value());
}

TEST_CASE("expire returns every row past its deadline, earliest first") {
  FakeClock clock;
  LoadTable table(interval, liveness);
  const auto t0 = clock.now();
  table.on_heartbeat(report("c", 1, 0), t0 + 2s);
  table.on_heartbeat(report("a", 1, 0), t0);
  table.on_heartbeat(report("b", 1, 0), t0 + 1s);
  table.on_heartbeat(report("d", 1, 0), t0 + 10s);
  CHECK(table.expire(t0 + 5s) == std::vector<std::string>{"a", "b", "c"});
  CHECK(table.live_count() == 1);
  CHECK(table.live(0).id == "d");
}

TEST_CASE("reservations add up, are released, never go negative and leave no float residue") {
  FakeClock clock;
  LoadTable table(interval, liveness);
  table.on_heartbeat(report("north", 1, 20), clock.now());
  const auto* row = table.find("north");
  table.reserve("north", {7, 7});
  table.reserve("north", {11, 11});
  CHECK(row->reserved_kw == 18);
  CHECK(row->wanted_kw() == 38);
  CHECK(row->committed_kw() == 38);  // an older substation: its load stands for its minimums too
  table.release("north", {7, 7});
  CHECK(row->reserved_kw == 11);
  table.release("north", {50, 50});  // e.g. a release outliving a restart
  CHECK(row->reserved_kw == 0);

  table.reserve("north", {0.1, 0.1});
  table.reserve("north", {0.2, 0.2});
  table.release("north", {0.3, 0.3});
  CHECK(row->reserved_kw == 0);  // exactly, not 5.5e-17

  SUBCASE("nonsense amounts and unknown ids are ignored") {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    table.reserve("north", {nan, 5});
    table.reserve("north", {5, nan});
    table.reserve("north", {-5, -5});
    table.reserve("north", {1, std::numeric_limits<double>::infinity()});
    table.release("north", {nan, nan});
    table.reserve("nowhere", {5, 5});
    CHECK(row->reserved_kw == 0);
    CHECK(row->reserved_min_kw == 0);
    CHECK(table.size() == 1);
  }
}

TEST_CASE("fits: a session's minimum on top of the minimums committed, under the limit, in whole watts") {
  // Eligibility is now the substation's own rule on minimums (issue 12), not load + power <=
  // capacity; the exact-fill and rounding cases carry over unchanged.
  grid::balancing::Substation substation;
  substation.capacity_kw = 1;
  substation.limit_kw = 0.3;
  substation.min_kw = 0.1;
  substation.load_kw = 0.3;  // allocated power does not enter admission: only minimums do
  CHECK(substation.fits(0.2));  // 0.1 + 0.2 > 0.3 in doubles
  CHECK_FALSE(substation.fits(0.21));
  substation.reserved_min_kw = 0.1;  // a dispatched job's minimum counts too
  CHECK(substation.fits(0.1));
  CHECK_FALSE(substation.fits(0.101));
  substation.min_kw = 0.2;  // exactly full: not one watt more (no tolerance, issue 9.2)
  CHECK_FALSE(substation.fits(0.001));
  CHECK(substation.fits(0));
  substation.limit_kw = 0;
  substation.demand_kw = 1;
  CHECK(std::isinf(substation.utilization()));
}

TEST_CASE("a late heartbeat published before a job answer does not roll the load back") {
  FakeClock clock;
  LoadTable table(interval, liveness);
  table.on_heartbeat(report("north", 4, 10, 100, 7, 1), clock.now());
  // The substation publishes heartbeat 5 (10 kW), then accepts a job (now 17 kW) and answers
  // "after seq 5"; the answer overtakes heartbeat 5.
  clock.advance(100ms);
  CHECK(table.on_job_result("north", {17, 2, 5}, clock.now()));
  const auto* row = table.find("north");
  CHECK(row->load_kw == 17);
  CHECK(row->active_sessions == 2);

  clock.advance(100ms);
  CHECK(table.on_heartbeat(report("north", 5, 10, 100, 7, 1), clock.now()) ==
        HeartbeatVerdict::updated);
  CHECK(row->load_kw == 17);  // not rolled back
  CHECK(row->active_sessions == 2);
  CHECK(row->last_seq == 5);
  CHECK(row->last_heard == clock.now());  // but liveness refreshed

  clock.advance(1s);
  CHECK(table.on_heartbeat(report("north", 6, 12, 100, 7, 1), clock.now()) ==
        HeartbeatVerdict::updated);
  CHECK(row->load_kw == 12);  // published after the answer: applies
  CHECK(row->active_sessions == 1);

  SUBCASE("an answer older than a heartbeat we hold does not apply its snapshot") {
    clock.advance(10ms);
    CHECK(table.on_job_result("north", {40, 3, 5}, clock.now()));
    CHECK(row->load_kw == 12);
    CHECK(row->last_heard == clock.now());
  }
  SUBCASE("answers in the same heartbeat interval apply in arrival order") {
    CHECK(table.on_job_result("north", {20, 2, 6}, clock.now()));
    CHECK(table.on_job_result("north", {28, 3, 6}, clock.now()));
    CHECK(row->load_kw == 28);
  }
}

TEST_CASE("job results for unknown ids, other boots or invalid numbers touch nothing") {
  FakeClock clock;
  LoadTable table(interval, liveness);
  table.on_heartbeat(report("north", 1, 10, 100, 7), clock.now());
  const auto heard = clock.now();
  clock.advance(1s);
  CHECK_FALSE(table.on_job_result("nowhere", {10, 1, 1}, clock.now()));
  CHECK_FALSE(table.on_job_result("north", {std::numeric_limits<double>::quiet_NaN(), 1, 1}, clock.now()));
  CHECK_FALSE(table.on_job_result("north", {-1, 1, 1}, clock.now()));
  CHECK_FALSE(table.on_job_result("north", 6, {30, 1, 1}, clock.now()));  // boot 6 is gone
  CHECK(table.find("north")->load_kw == 10);
  CHECK(table.find("north")->last_heard == heard);
  CHECK(table.on_job_result("north", 7, {30, 1, 1}, clock.now()));
  CHECK(table.find("north")->load_kw == 30);
  CHECK(table.size() == 1);
}

TEST_CASE("NaN, infinite and negative reports are rejected without touching the table") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  FakeClock clock;
  LoadTable table(interval, liveness);
  CHECK(table.on_heartbeat(report("north", 1, nan), clock.now()) == HeartbeatVerdict::rejected);
  CHECK(table.on_heartbeat(report("north", 1, 10, nan), clock.now()) ==
        HeartbeatVerdict::rejected);
  CHECK(table.on_heartbeat(report("north", 1, inf), clock.now()) == HeartbeatVerdict::rejected);
  CHECK(table.on_heartbeat(report("north", 1, 10, -inf), clock.now()) ==
        HeartbeatVerdict::rejected);
  CHECK(table.on_heartbeat(report("north", 1, -1), clock.now()) == HeartbeatVerdict::rejected);
  CHECK(table.size() == 0);

  table.on_heartbeat(report("north", 1, 10), clock.now());
  CHECK(table.on_heartbeat(report("north", 2, nan), clock.now()) == HeartbeatVerdict::rejected);
  CHECK(table.find("north")->last_seq == 1);
  CHECK(table.find("north")->load_kw == 10);
}

TEST_CASE("verdicts have names for logs and metrics") {
  CHECK(to_string(HeartbeatVerdict::joined) == "joined");
  CHECK(to_string(HeartbeatVerdict::stale) == "stale");
  CHECK(to_string(HeartbeatVerdict::rejected) == "rejected");
}

TEST_CASE("a table needs a positive interval and a liveness of at least one") {
  CHECK_THROWS_AS(LoadTable(0s, 3), std::invalid_argument);
  CHECK_THROWS_AS(LoadTable(-1s, 3), std::invalid_argument);
  CHECK_THROWS_AS(LoadTable(1s, 0), std::invalid_argument);
  CHECK_NOTHROW(LoadTable(1ms, 1));
}

TEST_CASE("issue 9.5: two processes with one id are told from a restart, and the first one is kept") {
  FakeClock clock;
  LoadTable table(interval, liveness);
  CHECK(table.on_heartbeat(report("north", 1, 10, 100, /*boot=*/1), clock.now()) == HeartbeatVerdict::joined);
  clock.advance(100ms);
  // A second process with the same id and 50 kW: at first it looks like a restart.
  CHECK(table.on_heartbeat(report("north", 1, 0, 50, /*boot=*/2), clock.now()) == HeartbeatVerdict::restarted);
  clock.advance(100ms);
  // The first one speaks again within a liveness window: two processes. Back to the first, pinned.
  CHECK(table.on_heartbeat(report("north", 2, 10, 100, 1), clock.now()) == HeartbeatVerdict::reverted);
  CHECK(table.find("north")->capacity_kw == 100);
  for (std::uint64_t seq = 2; seq < 20; ++seq) {
    clock.advance(100ms);
    CHECK(table.on_heartbeat(report("north", seq, 0, 50, 2), clock.now()) == HeartbeatVerdict::duplicate);
    CHECK(table.on_heartbeat(report("north", seq + 1, 10, 100, 1), clock.now()) == HeartbeatVerdict::updated);
    CHECK(table.find("north")->boot == 1);
    CHECK(table.find("north")->capacity_kw == 100);
  }
  // When the kept one dies, the other is adopted like any process that speaks up.
  clock.advance(table.ttl());
  table.expire(clock.now());
  CHECK(table.on_heartbeat(report("north", 30, 0, 50, 2), clock.now()) == HeartbeatVerdict::restarted);
  CHECK(table.find("north")->live);
}

TEST_CASE("a real restart is a restart: the old boot falls silent, nothing is pinned") {
  FakeClock clock;
  LoadTable table(interval, liveness);
  table.on_heartbeat(report("north", 5, 10, 100, 1), clock.now());
  clock.advance(100ms);
  CHECK(table.on_heartbeat(report("north", 1, 0, 100, 2), clock.now()) == HeartbeatVerdict::restarted);
  clock.advance(100ms);
  CHECK(table.on_heartbeat(report("north", 2, 0, 100, 2), clock.now()) == HeartbeatVerdict::updated);
  // Another restart later on is a restart again, not a conflict.
  clock.advance(table.ttl());
  CHECK(table.on_heartbeat(report("north", 1, 0, 100, 3), clock.now()) == HeartbeatVerdict::restarted);
}

TEST_CASE("an ejected substation stays live but is marked, and unknown ids are ignored") {
  FakeClock clock;
  LoadTable table(interval, liveness);
  table.on_heartbeat(report("north", 1, 10), clock.now());
  table.set_ejected("north", true);
  table.set_ejected("nobody", true);
  CHECK(table.find("north")->ejected);
  CHECK(table.find("north")->live);
  table.set_ejected("north", false);
  CHECK_FALSE(table.find("north")->ejected);
}
