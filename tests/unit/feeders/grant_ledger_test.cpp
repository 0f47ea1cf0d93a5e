// The grant ledger: lower first, raise only into confirmed room, leases lapse to the fallback.
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "grid/feeders/budget.h"
#include "grid/feeders/grant_ledger.h"
#include "grid/util/clock.h"

using namespace std::chrono_literals;
using grid::FakeClock;
using grid::feeders::GrantLedger;
using grid::feeders::Topology;

namespace {

const Topology pair_feeder = Topology::parse(R"({"feeders": [
  {"id": "f", "limit_kw": 100, "substations": ["a", "b"]}]})");

}  // namespace

TEST_CASE("a raise waits until the other substation confirms its lowering") {
  FakeClock clock;
  GrantLedger ledger(pair_feeder, {.lease = 750ms, .margin = 250ms}, 1000);
  ledger.reset("a", 100);
  ledger.reset("b", 100);
  // Both unknown at their own limits (200 > 100): only lowerings go out.
  auto grants = ledger.move({100}, {{"a", 70}, {"b", 30}}, {}, clock.now(), false);
  REQUIRE(grants.size() == 2);
  CHECK(grants[0].granted_kw == 70);
  CHECK(grants[1].granted_kw == 30);
  CHECK(ledger.counted_kw("a", clock.now()) == 100);  // not confirmed yet
  ledger.on_heartbeat("a", grants[0].seq, 70, 60, clock.now());
  ledger.on_heartbeat("b", grants[1].seq, 30, 25, clock.now());
  CHECK(ledger.counted_kw("a", clock.now()) == 70);
  CHECK(ledger.counted_kw("b", clock.now()) == 30);

  // Now move 20 kW from a to b: b's raise must wait for a's confirmation.
  grants = ledger.move({100}, {{"a", 50}, {"b", 50}}, {}, clock.now(), false);
  REQUIRE(grants.size() == 1);  // b's raise has no room yet, and an unchanged grant is not resent
  CHECK(grants[0].substation == "a");
  CHECK(grants[0].granted_kw == 50);
  CHECK(ledger.counted_by_feeder(clock.now())[0] <= 100);
  // a applied it but still draws 55: not confirmed.
  ledger.on_heartbeat("a", grants[0].seq, 50, 55, clock.now());
  CHECK(ledger.counted_kw("a", clock.now()) == 70);
  ledger.on_heartbeat("a", grants[0].seq, 50, 49, clock.now());
  grants = ledger.move({100}, {{"a", 50}, {"b", 50}}, {}, clock.now(), false);
  REQUIRE(grants.size() == 1);
  CHECK(grants[0].substation == "b");
  CHECK(grants[0].granted_kw == 50);
}

TEST_CASE("a substation not granted for a lease is counted at its fallback") {
  FakeClock clock;
  GrantLedger ledger(pair_feeder, {.lease = 750ms, .margin = 250ms}, 1);
  ledger.reset("a", 100);
  const auto grants = ledger.move({100}, {{"a", 60}}, {{"a", 40}}, clock.now(), false);
  ledger.on_heartbeat("a", grants[0].seq, 60, 10, clock.now());
  clock.advance(999ms);
  CHECK(ledger.counted_kw("a", clock.now()) == 60);
  clock.advance(1ms);
  CHECK(ledger.counted_kw("a", clock.now()) == 40);
}

TEST_CASE("a heartbeat naming an older balancer's grant confirms nothing") {
  FakeClock clock;
  GrantLedger ledger(pair_feeder, {}, 5000);
  ledger.reset("a", 100);
  const auto grants = ledger.move({100}, {{"a", 60}}, {}, clock.now(), false);
  ledger.on_heartbeat("a", 4000, 60, 10, clock.now());
  CHECK(ledger.counted_kw("a", clock.now()) == 100);
  ledger.on_heartbeat("a", grants[0].seq, 60, 10, clock.now());
  CHECK(ledger.counted_kw("a", clock.now()) == 60);
}

TEST_CASE("property: while budgets move, the sum of ceilings under a feeder never passes its limit") {
  const auto topology = Topology::parse(R"({"feeders": [
    {"id": "root", "limit_kw": 300, "substations": ["a", "b"]},
    {"id": "mid", "parent": "root", "limit_kw": 150, "substations": ["c", "d"]},
    {"id": "leaf", "parent": "mid", "limit_kw": 80, "substations": ["e"]}]})");
  const std::vector<std::string> ids = {"a", "b", "c", "d", "e"};
  std::mt19937 random(7);
  FakeClock clock;
  GrantLedger ledger(topology, {.lease = 750ms, .margin = 250ms}, 1);
  std::unordered_map<std::string, double> load;
  std::unordered_map<std::string, std::pair<std::uint64_t, double>> applied;  // what each substation holds
  for (const auto& id : ids) load[id] = 0;
  std::vector<double> limits = {300, 150, 80};
  // Start from a confirmed state under the limits.
  for (const auto& id : ids) ledger.reset(id, 20);
  for (int step = 0; step < 2000; ++step) {
    CAPTURE(step);
    if (step % 50 == 0) {
      limits = {100 + static_cast<double>(random() % 300), 40 + static_cast<double>(random() % 150),
                20 + static_cast<double>(random() % 80)};
    }
    std::vector<grid::feeders::SubstationNeed> needs;
    for (const auto& id : ids) {
      const double min_kw = static_cast<double>(random() % 10);
      needs.push_back({.id = id, .live = true, .min_kw = min_kw, .demand_kw = min_kw + static_cast<double>(random() % 90),
                       .capacity_kw = 100, .limit_kw = 100, .held_kw = 0});
    }
    const auto division = grid::feeders::divide(topology, limits, needs);
    const auto before = ledger.counted_by_feeder(clock.now());
    const auto grants = ledger.move(limits, division.grant_kw, {}, clock.now(), step % 3 == 0);
    const auto after = ledger.counted_by_feeder(clock.now());
    for (std::size_t f = 0; f < 3; ++f) {
      CAPTURE(f);
      // A move never raises a feeder's ceiling past its limit (it may only be above it from before).
      CHECK(after[f] <= std::max(limits[f], before[f]) + 1e-6);
    }
    // Deliver some grants; each substation draws at most what it holds and confirms in a heartbeat.
    for (const auto& grant : grants) {
      if (random() % 4 != 0) applied[grant.substation] = {grant.seq, grant.granted_kw};
    }
    for (const auto& id : ids) {
      if (applied.count(id) == 0) continue;
      const auto [seq, kw] = applied[id];
      load[id] = std::min(load[id] + static_cast<double>(random() % 30), kw);
      if (random() % 2 == 0) ledger.on_heartbeat(id, seq, kw, load[id], clock.now());
    }
    clock.advance(100ms);
    const auto counted = ledger.counted_by_feeder(clock.now());
    double truth_root = 0;
    for (const auto& id : ids) truth_root += load[id];
    CHECK(truth_root <= counted[0] + 1e-6);  // the ledger never counts less than is drawn
    if (step % 50 == 49) {  // long after a limit change, the lowerings are confirmed
      for (std::size_t f = 0; f < 3; ++f) {
        CAPTURE(f);
        CHECK(counted[f] <= limits[f] + 1e-6);
      }
    }
  }
}

TEST_CASE("a restarted balancer raises nobody into power that substations it has not heard yet may draw") {
  // Three substations in fallback at 20 kW each on a 60 kW feeder; the new balancer has heard only
  // "c" so far. Counting the unheard at 0 would let it raise c to the whole feeder (80 kW drawn).
  const Topology three = Topology::parse(R"({"feeders": [
    {"id": "f", "limit_kw": 60, "substations": ["a", "b", "c"]}]})");
  FakeClock clock;
  GrantLedger ledger(three, {.lease = 750ms, .margin = 250ms}, 5000);
  ledger.reset("c", 20);  // the fallback it reports in force
  CHECK(ledger.counted_by_feeder(clock.now())[0] == doctest::Approx(60));  // a and b at 20 each, unheard
  auto grants = ledger.move({60}, {{"c", 40}}, {}, clock.now(), false);
  REQUIRE(grants.size() == 1);
  CHECK(grants[0].granted_kw == doctest::Approx(20));  // no room to raise
  // Once a and b are heard at their fallbacks and lowered to 10, c gets the room they free.
  ledger.reset("a", 20);
  ledger.reset("b", 20);
  grants = ledger.move({60}, {{"a", 10}, {"b", 10}, {"c", 40}}, {}, clock.now(), false);
  for (const auto& grant : grants) CHECK(grant.substation != "c");
  for (const auto& grant : grants) ledger.on_heartbeat(grant.substation, grant.seq, 10, 9, clock.now());
  grants = ledger.move({60}, {{"a", 10}, {"b", 10}, {"c", 40}}, {}, clock.now(), false);
  REQUIRE(grants.size() == 1);
  CHECK(grants[0].substation == "c");
  CHECK(grants[0].granted_kw == doctest::Approx(40));
  CHECK(ledger.counted_by_feeder(clock.now())[0] <= 60 + 1e-9);
}
