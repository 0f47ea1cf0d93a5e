// Smart routing as data (issue 12): substations that report their limit, their sessions' minimums
// and their demand (the sum of what their sessions could take), a new session, and where the
// default policy sends it, next to where ranking by allocated load, (load + power) / capacity,
// would have sent it. Both rankings pick among the same eligible substations (the substation's
// admission rule on minimums), so the table compares rankings only; the former eligibility, load +
// power <= capacity, would have refused the saturated rows outright. Each row also checks that the
// default's pick serves the new session at least as well: the share of its maximum it can expect
// when the limit is shared in proportion to maximums, min(1, limit / (demand + power)).
// One case walks the table; a failure names its row. No sockets, no real clock.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "grid/balancing/policy_registry.h"
#include "grid/util/clock.h"
#include "grid/util/random.h"

using namespace std::chrono_literals;
using namespace grid::balancing;

namespace {

struct Site {
  std::string id;
  double capacity_kw;
  double limit_kw;  // 0: an older substation (no limit, minimums or demand reported)
  double load_kw;   // allocated now
  double min_kw = 0;
  double demand_kw = 0;
};

constexpr std::string_view none = "";

struct Row {
  std::string_view name;
  std::vector<Site> sites;
  double power_kw;  // the new session's maximum
  double min_kw;    // its minimum (0: the default, 1.4 kW)
  std::string_view expected;          // the default policy's pick
  std::string_view expected_by_load;  // ranking by allocated load's pick
};

const std::vector<Row>& rows() {
  static const std::vector<Row> table = {
      {"both saturated: the one whose sessions want 110% of its limit, not 300%",
       {{"a", 100, 100, 100, 20, 300}, {"b", 100, 100, 100, 30, 110}},
       11, 0, "b", "a"},
      {"an operator limit below capacity is seen; allocated load over capacity looks empty",
       {{"a", 200, 50, 50, 10, 80}, {"b", 100, 100, 60, 10, 60}},
       11, 0, "b", "a"},
      {"a limit drop paused sessions: low load, high demand",
       {{"a", 100, 40, 40, 30, 120}, {"b", 100, 100, 70, 20, 70}},
       11, 0, "b", "a"},
      {"a small substation just over its limit beats a large one twice over",
       {{"a", 50, 50, 50, 10, 52}, {"b", 400, 400, 400, 100, 800}},
       11, 0, "a", "b"},
      {"minimums decide where a session fits, not allocated power (both full by load)",
       {{"a", 100, 100, 100, 95, 200}, {"b", 100, 100, 100, 40, 250}},
       11, 6, "b", "b"},
      {"where the minimum does not fit, the lower demand does not help",
       {{"a", 100, 100, 100, 99, 101}, {"b", 100, 100, 100, 60, 400}},
       11, 2, "b", "b"},
      {"room for everyone: the most headroom in demand, as by load",
       {{"a", 100, 100, 30, 10, 30}, {"b", 100, 100, 50, 10, 50}},
       11, 0, "a", "a"},
      {"older substations: demand is load, limit is capacity, the same pick as by load",
       {{"a", 400, 0, 100}, {"b", 100, 0, 20}},
       11, 0, "a", "a"},
      {"an older and a newer substation side by side",
       {{"old", 100, 0, 50}, {"new", 100, 100, 100, 20, 180}},
       11, 0, "old", "old"},
  };
  return table;
}

void load(LoadTable& table, const std::vector<Site>& sites, grid::TimePoint now) {
  for (const Site& site : sites) {
    SubstationReport report{site.id, 1, 1, site.capacity_kw, site.load_kw, 1};
    report.limit_kw = site.limit_kw;
    report.min_kw = site.min_kw;
    report.demand_kw = site.demand_kw;
    table.on_heartbeat(report, now);
  }
}

// The former default's ranking: lowest (load + power) / capacity, then more capacity left, among
// the eligible substations.
std::string by_allocated_load(const LoadTable& table, const std::vector<Site>& sites, const PickRequest& request) {
  const Site* best = nullptr;
  const double power_kw = request.power_kw;
  const auto score = [&](const Site& s) { return (s.load_kw + power_kw) / s.capacity_kw; };
  for (const Site& site : sites) {
    if (!eligible(*table.find(site.id), request)) continue;
    if (best == nullptr || score(site) < score(*best) ||
        (score(site) == score(*best) && site.capacity_kw - site.load_kw > best->capacity_kw - best->load_kw)) {
      best = &site;
    }
  }
  return best == nullptr ? std::string(none) : best->id;
}

// The share of its maximum the new session can expect there (0 where it is not admitted).
double served_share(const LoadTable& table, std::string_view id, double power_kw) {
  const Substation* row = id.empty() ? nullptr : table.find(id);
  if (row == nullptr) return 0;
  return std::min(1.0, row->limit_kw / (row->demand_kw + power_kw));
}

}  // namespace

TEST_CASE("smart routing scenarios: the default policy against ranking by allocated load") {
  for (const Row& row : rows()) {
    INFO("scenario: \"", row.name, "\"");
    grid::FakeClock clock;
    LoadTable table(1s, 3);
    load(table, row.sites, clock.now());
    const auto policy = make_policy(default_policy);
    grid::SeededRandom random(1);
    const PickRequest request{row.power_kw, nullptr, row.min_kw};
    const Substation* picked = policy->pick(table, request, random);
    const std::string pick = picked == nullptr ? std::string(none) : picked->id;
    CHECK(pick == row.expected);
    const std::string load_pick = by_allocated_load(table, row.sites, request);
    CHECK(load_pick == row.expected_by_load);
    CHECK(served_share(table, pick, row.power_kw) >= served_share(table, load_pick, row.power_kw));
  }
}

namespace {

// A rush of identical arrivals (11 kW maximum, default minimum, nobody leaves) onto three
// substations, one of them under an operator limit far below its capacity. After each placement
// the substation heartbeats as a work-conserving one would: allocated = min(demand, limit).
// Returns the power allocated in the end over the whole grid: energy delivered per hour.
double rush(bool rank_by_demand) {
  grid::FakeClock clock;
  LoadTable table(1s, 3);
  std::vector<Site> sites{{"a", 100, 100, 0}, {"b", 150, 60, 0}, {"c", 80, 80, 0}};
  load(table, sites, clock.now());
  const auto policy = make_policy(default_policy);
  grid::SeededRandom random(1);
  for (std::uint64_t seq = 2; seq < 32; ++seq) {
    const PickRequest request{11, nullptr, 0};
    const std::string id =
        rank_by_demand ? policy->pick(table, request, random)->id : by_allocated_load(table, sites, request);
    REQUIRE_FALSE(id.empty());
    Site& site = *std::find_if(sites.begin(), sites.end(), [&](const Site& s) { return s.id == id; });
    site.demand_kw += 11;
    site.min_kw += 1.4;
    site.load_kw = std::min(site.demand_kw, site.limit_kw);
    SubstationReport report{site.id, 1, seq, site.capacity_kw, site.load_kw, 1};
    report.limit_kw = site.limit_kw;
    report.min_kw = site.min_kw;
    report.demand_kw = site.demand_kw;
    table.on_heartbeat(report, clock.now());
  }
  double allocated = 0;
  for (const Site& site : sites) allocated += site.load_kw;
  return allocated;
}

}  // namespace

TEST_CASE("over a rush of arrivals the default delivers more energy than ranking by allocated load") {
  // 30 sessions want 330 kW; the limits add up to 240 kW. By allocated load, the substation under
  // its operator limit (60 of 150 kW) always looks 40% full, so it collects the rush while the
  // others stay below their limits. By demand over limit, every limit ends up used.
  const double by_demand = rush(true);
  const double by_load = rush(false);
  MESSAGE("allocated after the rush: by demand/limit " << by_demand << " kW, by allocated load " << by_load
                                                       << " kW");
  CHECK(by_demand == 240);
  CHECK(by_load < 200);
}
