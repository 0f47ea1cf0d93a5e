// Several balancers (issue 16) seen from one FeederController on a fake clock: it stands down on a
// feeder where a substation holds a lower boot's fresh grant (no grants, routing by the reported
// limit), raises nothing while taking over from a higher boot, and leads again once the lower
// boot's grants have lapsed.
#include <doctest/doctest.h>

#include <string>
#include <unordered_map>
#include <vector>

#include "feeder_controller.h"
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

struct Fixture {
  FakeClock clock;
  metrics::Exposition exposition;
  BalancerMetrics metrics{exposition.registry()};
  FeederMetrics feeder_metrics{exposition.registry()};
  RecordingGrants grants;
  FeederController feeders{feeders::Topology::parse(R"({"feeders": [
      {"id": "f", "limit_kw": 120, "substations": ["s1", "s2"]}]})"),
                           {.heartbeat_interval = 250ms, .lease = std::nullopt, .time_scale = 1, .balancer_boot = 50,
                            .first_seq = 100},
                           feeder_metrics, grants};
  GridView view{{.heartbeat_interval = 250ms, .liveness = 3}, metrics};
  std::uint64_t seq = 0;
  Fixture() { view.attach_feeders(feeders); }

  // One heartbeat from each substation, then a control round.
  void beat(std::uint64_t grant_boot, double granted_kw, bool in_fallback = false) {
    for (const char* id : {"s1", "s2"}) {
      proto::Heartbeat hb{.substation_id = id, .boot = 1, .seq = ++seq, .capacity_kw = 100, .load_kw = 10};
      hb.active_sessions = 2;
      hb.limit_kw = 100;
      hb.min_kw = 2.8;
      hb.demand_kw = 100;
      hb.feeder_id = "f";
      hb.granted_kw = granted_kw;
      hb.grant_seq = 7;
      hb.in_fallback = in_fallback;
      hb.grant_boot = grant_boot;
      REQUIRE_FALSE(view.on_heartbeat(hb, clock.now()));
    }
    view.control_feeders(clock.now());
  }
};

}  // namespace

TEST_CASE("a balancer listens first, then stands down where a lower boot leads and routes by the reported limit") {
  Fixture f;
  f.beat(20, 30);
  CHECK(f.grants.sent.empty());  // listening: two heartbeat intervals
  CHECK_FALSE(f.feeders.leading(0));
  for (int i = 0; i < 4; ++i) {
    f.clock.advance(250ms);
    f.beat(20, 30);
  }
  CHECK(f.grants.sent.empty());
  CHECK_FALSE(f.feeders.leading(0));
  CHECK(f.view.table().find("s1")->limit_kw == doctest::Approx(30));  // the leader's grant, as reported
  // The leader died: its leases ran out. One heartbeat in fallback, and this one leads.
  f.clock.advance(250ms);
  f.beat(20, 25, true);
  CHECK(f.feeders.leading(0));
  REQUIRE_FALSE(f.grants.sent.empty());
  double sum = 0;
  for (const auto& grant : f.grants.sent) {
    CHECK(grant.balancer_boot == 50);
    sum += grant.granted_kw;
  }
  CHECK(sum <= 120);
}

TEST_CASE("taking over from a higher boot, a balancer lowers but raises nothing until that boot's grants are gone") {
  Fixture f;
  f.clock.advance(1s);
  f.beat(90, 30);  // a higher boot leads: 30 kW each
  f.clock.advance(1s);
  f.beat(90, 30);
  CHECK(f.feeders.leading(0));
  REQUIRE_FALSE(f.grants.sent.empty());
  for (const auto& grant : f.grants.sent) CHECK(grant.granted_kw <= 30);  // demand 100 each: it would raise
  // Both now hold our grants: the takeover is over, and the room is divided.
  f.grants.sent.clear();
  f.clock.advance(250ms);
  f.beat(50, 30);
  f.clock.advance(250ms);
  f.beat(50, 30);
  f.clock.advance(250ms);
  f.view.on_timers(f.clock.now());
  bool raised = false;
  for (const auto& grant : f.grants.sent) raised = raised || grant.granted_kw > 30;
  CHECK(raised);
}

namespace {

// A nested tree: main 120 kW holds s1 and the depot (40 kW: s2, s3). Safe shares: s1 40 (120 over
// three), s2 and s3 20 (the depot's 40 over two). Every substation wants 100 kW.
struct ColdStart {
  FakeClock clock;
  metrics::Exposition exposition;
  BalancerMetrics metrics{exposition.registry()};
  FeederMetrics feeder_metrics{exposition.registry()};
  RecordingGrants grants;
  FeederController feeders{feeders::Topology::parse(R"({"feeders": [
      {"id": "main", "limit_kw": 120, "substations": ["s1"]},
      {"id": "depot", "parent": "main", "limit_kw": 40, "substations": ["s2", "s3"]}]})"),
                           {.heartbeat_interval = 250ms, .lease = std::nullopt, .time_scale = 1, .balancer_boot = 50,
                            .first_seq = 100},
                           feeder_metrics, grants};
  GridView view{{.heartbeat_interval = 250ms, .liveness = 3}, metrics};
  std::unordered_map<std::string, proto::FeederGrant> last;  // the newest grant each one got
  std::uint64_t seq = 0;
  ColdStart() { view.attach_feeders(feeders); }

  // One heartbeat from each substation (holding what it got, when `obey`), then a control round.
  void beat(bool obey, const std::vector<std::string>& ids = {"s1", "s2", "s3"}) {
    absorb();
    for (const auto& id : ids) {
      proto::Heartbeat hb{.substation_id = id, .boot = 1, .seq = ++seq, .capacity_kw = 100, .load_kw = 0};
      hb.active_sessions = 2;
      hb.limit_kw = 100;
      hb.min_kw = 2.8;
      hb.demand_kw = 100;
      hb.feeder_id = id == "s1" ? "main" : "depot";
      if (const auto held = last.find(id); obey && held != last.end()) {
        hb.granted_kw = held->second.granted_kw;
        hb.grant_seq = held->second.seq;
        hb.grant_boot = held->second.balancer_boot;
      }
      REQUIRE_FALSE(view.on_heartbeat(hb, clock.now()));
    }
    view.control_feeders(clock.now());
  }
  void absorb() {
    for (const auto& grant : grants.sent) last[grant.substation_id] = grant;
    grants.sent.clear();
  }
  double newest(const std::string& id) {
    absorb();
    return last.at(id).granted_kw;
  }
};

}  // namespace

TEST_CASE("cold start: grants stay within the safe shares until every live substation holds ours, then rise") {
  ColdStart f;
  f.beat(false);  // nobody holds a grant: after listening, nobody leads but us (as far as we know)
  for (int i = 0; i < 3; ++i) {
    f.clock.advance(250ms);
    f.beat(false);  // our grants have not arrived (another balancer's may have)
  }
  REQUIRE(f.feeders.leading(0));
  CHECK_FALSE(f.feeders.sole_leader(0));
  CHECK(f.newest("s1") <= 40);
  CHECK(f.newest("s2") <= 20);
  CHECK(f.newest("s3") <= 20);
  // Two of three hold ours: still not confirmed.
  f.clock.advance(250ms);
  f.beat(true, {"s1", "s2"});
  f.clock.advance(250ms);
  f.beat(false, {"s3"});
  CHECK_FALSE(f.feeders.sole_leader(0));
  CHECK(f.newest("s1") <= 40);
  // All three: confirmed sole leader; s1 rises to its division (the depot's 40 leaves it 80).
  for (int i = 0; i < 4; ++i) {
    f.clock.advance(250ms);
    f.beat(true);
  }
  CHECK(f.feeders.sole_leader(0));
  CHECK(f.feeders.sole_leader(1));
  CHECK(f.newest("s1") == doctest::Approx(80));
  CHECK(f.newest("s2") + f.newest("s3") <= 40);
}

TEST_CASE("a confirmed sole leader stays one when a substation restarts, and stops being one when it stands down") {
  ColdStart f;
  f.beat(false);
  for (int i = 0; i < 8; ++i) {
    f.clock.advance(250ms);
    f.beat(true);
  }
  REQUIRE(f.feeders.sole_leader(0));
  REQUIRE(f.newest("s1") == doctest::Approx(80));
  // s2 restarts: it holds nobody's grant. The others keep their shares (no drop to the safe ones).
  f.last.erase("s2");
  f.clock.advance(250ms);
  f.beat(true);
  CHECK(f.feeders.sole_leader(0));
  CHECK(f.newest("s1") == doctest::Approx(80));
  // A lower boot's fresh grant on s3: stand down; leading again later starts from safe shares.
  f.last["s3"].balancer_boot = 20;
  f.clock.advance(250ms);
  f.beat(true);
  CHECK_FALSE(f.feeders.leading(0));
  CHECK_FALSE(f.feeders.sole_leader(0));
}
