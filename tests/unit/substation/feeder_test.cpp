// The Station's feeder grant on a fake clock: a grant applies at once, an older one from the same
// balancer boot is ignored, the lease runs out in real time as an event and falls back to
// min(fallback, last grant) without ever raising power on stale data, and a substation on a feeder
// that was never granted admits nothing above its fallback.
#include <doctest/doctest.h>

#include "station_fixture.h"

using namespace grid;
using namespace std::chrono_literals;
using grid::test::StationFixture;
using grid::test::job;

namespace {

proto::FeederGrant grant(double granted_kw, std::uint64_t seq, std::uint64_t boot = 7, double lease_s = 60,
                         double fallback_kw = 4) {
  return proto::FeederGrant{.substation_id = "north", .feeder_id = "f1", .balancer_boot = boot, .seq = seq,
                            .granted_kw = granted_kw, .lease_s = lease_s, .fallback_kw = fallback_kw};
}

substation::StationSettings on_feeder(Duration lease = 3s, std::optional<double> fallback_kw = std::nullopt) {
  return {.capacity_kw = 30, .time_scale = 600, .feeder = {.feeder_id = "f1", .fallback_kw = fallback_kw, .lease = lease}};
}

struct FeederFixture : StationFixture {
  using StationFixture::StationFixture;
  substation::GrantVerdict give(const proto::FeederGrant& g) { return station.grant(g, clock.now(), progress); }
  double feeder_kw() const { return power::to_kw(station.feeder().limit_w().value_or(-1000)); }
  double allocated_kw() const { return power::to_kw(totals().allocated_w); }
};

}  // namespace

TEST_CASE("a feeder grant lowers power at once, and the effective limit is the least of capacity, operator and grant") {
  FeederFixture f(on_feeder());
  REQUIRE(f.give(grant(30, 1)) == substation::GrantVerdict::accepted);
  for (int i = 0; i < 3; ++i) REQUIRE(f.admit(job("r" + std::to_string(i), 11, 1000)).accepted);
  CHECK(f.allocated_kw() == doctest::Approx(30));
  f.give(grant(15, 2));
  CHECK(f.allocated_kw() == doctest::Approx(15));  // no tick, no wait
  CHECK(f.totals().effective_limit_w == power::to_watts(15));
  CHECK(f.totals().limit_w == power::to_watts(30));  // the heartbeat's limit_kw stays capacity/operator
  f.station.set_limit(9, 0, f.clock.now(), f.progress);
  CHECK(f.allocated_kw() == doctest::Approx(9));
  f.station.set_limit(0, 0, f.clock.now(), f.progress);
  f.give(grant(2.9, 3));  // two minimums (1.4 kW each) fit, not three: the last in policy order pause
  CHECK(f.allocated_kw() <= 2.9);
  CHECK(f.totals().paused == 1);
  CHECK_FALSE(f.admit(job("late", 11)).accepted);
  CHECK(f.station.feeder().grant_seq() == 3);
  CHECK_FALSE(f.station.feeder().in_fallback());
}

TEST_CASE("an older grant from the same balancer boot is ignored, a grant from a lower boot is accepted") {
  FeederFixture f(on_feeder());
  REQUIRE(f.give(grant(20, 5)) == substation::GrantVerdict::accepted);
  CHECK(f.give(grant(25, 4)) == substation::GrantVerdict::stale);
  CHECK(f.feeder_kw() == doctest::Approx(20));
  CHECK(f.station.feeder().grant_seq() == 5);
  CHECK(f.give(grant(18, 5)) == substation::GrantVerdict::accepted);  // the same seq again is not older
  CHECK(f.give(grant(12, 1, 6)) == substation::GrantVerdict::accepted);  // a lower boot counts afresh
  CHECK(f.feeder_kw() == doctest::Approx(12));
  CHECK(f.station.feeder().grant_seq() == 1);
  CHECK(f.station.feeder().grant_boot() == 6);
}

TEST_CASE("several balancers: the lowest boot leads, a higher one is refused while the held lease runs") {
  FeederFixture f(on_feeder(3s));
  REQUIRE(f.give(grant(20, 5, 7)) == substation::GrantVerdict::accepted);
  // A higher boot is refused and not applied, whatever its seq.
  CHECK(f.give(grant(25, 100, 9)) == substation::GrantVerdict::other_balancer);
  CHECK(f.feeder_kw() == doctest::Approx(20));
  CHECK(f.station.feeder().grant_boot() == 7);
  CHECK(f.station.feeder().grant_seq() == 5);
  // The same boot's older seq is still stale.
  CHECK(f.give(grant(25, 4, 7)) == substation::GrantVerdict::stale);
  // Once the held lease ran out (fallback), any boot is taken: the failover.
  f.advance(3s);
  REQUIRE(f.station.feeder().in_fallback());
  CHECK(f.give(grant(16, 1, 9)) == substation::GrantVerdict::accepted);
  CHECK_FALSE(f.station.feeder().in_fallback());
  CHECK(f.station.feeder().grant_boot() == 9);
  CHECK(f.feeder_kw() == doctest::Approx(16));
  CHECK_FALSE(f.station.feeder().takeover_cap_w());  // nothing fresh was taken over
}

TEST_CASE("a lower boot takes over, capped by the old leader's grant until that lease runs out") {
  FeederFixture f(on_feeder(3s));
  REQUIRE(f.give(grant(20, 5, 7)) == substation::GrantVerdict::accepted);
  f.advance(1s);
  // The new leader's share is higher than what the old leader counts here: the old one's holds.
  REQUIRE(f.give(grant(28, 1, 3)) == substation::GrantVerdict::accepted);
  CHECK(f.station.feeder().grant_boot() == 3);
  CHECK(f.feeder_kw() == doctest::Approx(20));
  CHECK(f.station.feeder().takeover_cap_w() == power::to_watts(20));
  // The old leader has not stood down yet: its grants are refused, but lower and renew the cap.
  CHECK(f.give(grant(15, 6, 7)) == substation::GrantVerdict::other_balancer);
  CHECK(f.feeder_kw() == doctest::Approx(15));
  CHECK(f.give(grant(19, 7, 7)) == substation::GrantVerdict::other_balancer);  // a raise does not raise it
  CHECK(f.feeder_kw() == doctest::Approx(15));
  // The new leader renews; the old one stood down: its cap runs out one lease after its last grant.
  f.advance(2s);
  f.give(grant(28, 2, 3));
  CHECK(f.feeder_kw() == doctest::Approx(15));
  const auto next = f.station.next_event(f.clock.now());
  REQUIRE(next);
  CHECK(*next == f.clock.now() + 1s);  // the cap's end is an event
  f.advance(1s);
  CHECK_FALSE(f.station.feeder().takeover_cap_w());
  CHECK_FALSE(f.station.feeder().in_fallback());
  CHECK(f.feeder_kw() == doctest::Approx(28));
}

TEST_CASE("the lease runs out in real time as an event, and falls back to min(fallback, last grant)") {
  FeederFixture f(on_feeder(3s));
  f.give(grant(20, 1, 7, 60, 6));
  for (int i = 0; i < 3; ++i) REQUIRE(f.admit(job("r" + std::to_string(i), 11, 1000)).accepted);
  // The node's own lease (3 s) is shorter than the grant's (60 s): it wins. At --time-scale 600
  // that is still 3 real seconds, not 3/600 of one.
  const auto next = f.station.next_event(f.clock.now());
  REQUIRE(next);
  CHECK(*next == f.clock.now() + 3s);
  f.advance(2999ms);
  CHECK_FALSE(f.station.feeder().in_fallback());
  CHECK(f.allocated_kw() == doctest::Approx(20));
  f.advance(1ms);
  CHECK(f.progress.entered_fallback);
  CHECK(f.station.feeder().in_fallback());
  CHECK(f.feeder_kw() == doctest::Approx(6));
  CHECK(f.allocated_kw() <= 6);
  CHECK(f.station.feeder().grant_seq() == 1);  // the grant it fell back from
  CHECK_FALSE(f.station.feeder().expires_at());  // no further lease event while in fallback
}

TEST_CASE("a grant's shorter lease_s wins over the substation's own lease") {
  FeederFixture f(on_feeder(3s));
  f.give(grant(20, 1, 7, 0.5));
  f.advance(499ms);
  CHECK_FALSE(f.station.feeder().in_fallback());
  f.advance(1ms);
  CHECK(f.station.feeder().in_fallback());
}

TEST_CASE("stale data never raises power: the fallback is capped by the last grant, and only a fresh grant leaves it") {
  FeederFixture f(on_feeder(1s));
  f.give(grant(30, 1));
  for (int i = 0; i < 3; ++i) REQUIRE(f.admit(job("r" + std::to_string(i), 11, 1000)).accepted);
  f.give(grant(5, 3, 7, 60, 25));  // a fallback above the grant is no way up
  f.advance(2s);
  REQUIRE(f.station.feeder().in_fallback());
  CHECK(f.feeder_kw() == doctest::Approx(5));
  CHECK(f.allocated_kw() <= 5);
  CHECK(f.give(grant(28, 2)) == substation::GrantVerdict::stale);  // an old grant is not fresh data
  CHECK(f.station.feeder().in_fallback());
  CHECK(f.allocated_kw() <= 5);
  f.advance(10min);  // time alone changes nothing
  CHECK(f.station.feeder().in_fallback());
  CHECK(f.allocated_kw() <= 5);
  CHECK(f.give(grant(28, 4)) == substation::GrantVerdict::accepted);
  CHECK_FALSE(f.station.feeder().in_fallback());
  CHECK(f.allocated_kw() == doctest::Approx(28));
}

TEST_CASE("--fallback-kw overrides the grant's fallback, still never above the last grant") {
  FeederFixture low(on_feeder(1s, 3.0));
  low.give(grant(20, 1, 7, 60, 10));
  low.advance(1s);
  CHECK(low.feeder_kw() == doctest::Approx(3));
  FeederFixture high(on_feeder(1s, 50.0));
  high.give(grant(20, 1, 7, 60, 10));
  high.advance(1s);
  CHECK(high.feeder_kw() == doctest::Approx(20));
}

TEST_CASE("on a feeder and never granted, a substation admits nothing above --fallback-kw") {
  FeederFixture none(on_feeder());
  CHECK(none.station.feeder().in_fallback());
  CHECK(none.feeder_kw() == doctest::Approx(0));
  CHECK_FALSE(none.admit(job("a", 11)).accepted);
  CHECK_FALSE(none.station.next_event(none.clock.now()));  // nothing to expire

  FeederFixture some(on_feeder(3s, 12.0));
  REQUIRE(some.admit(job("a", 11)).accepted);
  CHECK(some.allocated_kw() <= 12);
  auto big = job("b", 11);
  big.min_power_kw = 11;  // with the first car's minimum, more than 12 kW
  CHECK_FALSE(some.admit(big).accepted);
  CHECK(some.admit(job("c", 11)).accepted);  // two default minimums fit
  CHECK(some.allocated_kw() <= 12);
}

TEST_CASE("without --feeder and without a grant there is no feeder limit") {
  FeederFixture f({.capacity_kw = 30});
  CHECK_FALSE(f.station.feeder().in_fallback());
  CHECK_FALSE(f.station.feeder().limit_w());
  CHECK(f.admit(job("a", 11)).accepted);
  CHECK(f.totals().effective_limit_w == power::to_watts(30));
}
