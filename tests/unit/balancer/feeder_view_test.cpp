// Feeder control seen through GridView: a heartbeat naming another feeder than the topology keeps
// the substation out of routing, grants cap the routing limit, and demand-response limits are
// acknowledged and applied.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "feeder_controller.h"
#include "grid/balancing/policy.h"
#include "grid/metrics/exposition.h"
#include "grid_view.h"

using namespace std::chrono_literals;
using namespace grid;
using namespace grid::balancer;

namespace {

struct RecordingGrants final : GrantOutbox {
  std::vector<proto::FeederGrant> sent;
  bool send_grant(const std::string&, const proto::FeederGrant& grant) override {
    sent.push_back(grant);
    return true;
  }
};

proto::Heartbeat heartbeat(const std::string& id, std::uint64_t seq, const std::string& feeder) {
  proto::Heartbeat hb{.substation_id = id, .boot = 1, .seq = seq, .capacity_kw = 100, .load_kw = 10};
  hb.active_sessions = 2;
  hb.limit_kw = 100;
  hb.min_kw = 2.8;
  hb.demand_kw = 20;
  hb.feeder_id = feeder;
  return hb;
}

struct Fixture {
  FakeClock clock;
  metrics::Exposition exposition;
  BalancerMetrics metrics{exposition.registry()};
  FeederMetrics feeder_metrics{exposition.registry()};
  RecordingGrants grants;
  FeederController feeders{feeders::Topology::parse(R"({"feeders": [
      {"id": "f", "limit_kw": 120, "substations": ["s1", "s2"]}]})"),
                           {.heartbeat_interval = 250ms, .lease = std::nullopt, .time_scale = 1, .balancer_boot = 9,
                            .first_seq = 100, .listen_first = Duration::zero()},
                           feeder_metrics, grants};
  GridView view{{.heartbeat_interval = 250ms, .liveness = 3}, metrics};
  Fixture() { view.attach_feeders(feeders); }
};

bool routable(const GridView& view, const std::string& id) {
  const balancing::PickRequest request{.power_kw = 11, .tried = nullptr, .min_power_kw = 1.4};
  return balancing::eligible(*view.table().find(id), request);
}

}  // namespace

TEST_CASE("a heartbeat naming another feeder than the topology makes the substation ineligible") {
  Fixture f;
  REQUIRE_FALSE(f.view.on_heartbeat(heartbeat("s1", 1, "elsewhere"), f.clock.now()));
  REQUIRE_FALSE(f.view.on_heartbeat(heartbeat("s2", 1, "f"), f.clock.now()));
  f.view.control_feeders(f.clock.now());
  CHECK_FALSE(routable(f.view, "s1"));
  CHECK(routable(f.view, "s2"));
  CHECK(f.feeders.conflicted("s1"));
  // Agreeing again puts it back.
  REQUIRE_FALSE(f.view.on_heartbeat(heartbeat("s1", 2, "f"), f.clock.now()));
  f.view.control_feeders(f.clock.now());
  CHECK(routable(f.view, "s1"));
}

TEST_CASE("a substation the topology does not place that names a feeder is kept out of routing") {
  Fixture f;
  REQUIRE_FALSE(f.view.on_heartbeat(heartbeat("stray", 1, "f"), f.clock.now()));
  f.view.control_feeders(f.clock.now());
  CHECK_FALSE(routable(f.view, "stray"));
}

TEST_CASE("grants go out to the feeder's substations and cap their routing limit") {
  Fixture f;
  f.view.on_heartbeat(heartbeat("s1", 1, "f"), f.clock.now());
  f.view.on_heartbeat(heartbeat("s2", 1, "f"), f.clock.now());
  f.view.control_feeders(f.clock.now());
  REQUIRE(f.grants.sent.size() == 2);
  double sum = 0;
  for (const auto& grant : f.grants.sent) {
    CHECK(grant.feeder_id == "f");
    CHECK(grant.balancer_boot == 9);
    CHECK(grant.lease_s == doctest::Approx(0.75));
    CHECK(grant.fallback_kw == doctest::Approx(60));
    CHECK(f.view.table().find(grant.substation_id)->limit_kw == doctest::Approx(grant.granted_kw));
    sum += grant.granted_kw;
  }
  CHECK(sum <= 120);
}

TEST_CASE("a demand-response limit is acknowledged, and one already in force applies at once") {
  Fixture f;
  f.view.on_heartbeat(heartbeat("s1", 1, "f"), f.clock.now());
  f.view.control_feeders(f.clock.now());
  const auto unknown = f.view.on_feeder_limit({.request_id = "r1", .feeder_id = "nope", .limit_kw = 50}, f.clock.now());
  CHECK_FALSE(unknown.applied);
  CHECK(unknown.reason.starts_with("no feeder"));  // the edge answers 404 for it
  const auto later = f.view.on_feeder_limit(
      {.request_id = "r2", .feeder_id = "f", .limit_kw = 50, .starts_in_s = 10, .duration_s = 60}, f.clock.now());
  CHECK(later.applied);
  CHECK(later.topology_kw == 120);
  CHECK(later.expires_in_s == 70);
  CHECK(f.feeders.limit_kw(0, f.clock.now()) == 120);
  // Lowered one lead ahead of its start: tick 250 ms + heartbeat 250 ms + lease 750 ms.
  CHECK(f.feeders.limit_kw(0, f.clock.now() + 10s - 1250ms) == 50);
  CHECK(f.feeders.limit_kw(0, f.clock.now() + 70s) == 120);
  const auto now = f.view.on_feeder_limit({.request_id = "r3", .feeder_id = "f", .limit_kw = 40}, f.clock.now());
  CHECK(now.applied);
  CHECK(f.feeders.limit_kw(0, f.clock.now()) == 40);
  CHECK(f.grants.sent.back().granted_kw <= 40);
}
