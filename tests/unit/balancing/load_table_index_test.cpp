// The table's derived structures (live list, deadlines) and least-utilization's index that follows
// it, against a brute-force recomputation from the rows, after every one of thousands of random
// operations. One index follows from the start, another from the middle of the run (it must be
// rebuilt from the rows the table already holds).
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "grid/balancing/load_table.h"
#include "grid/balancing/utilization_index.h"
#include "grid/util/clock.h"

using namespace std::chrono_literals;
using grid::balancing::LoadTable;
using grid::balancing::Substation;
using grid::balancing::SubstationReport;
using grid::balancing::UtilizationIndex;

namespace {

void check_index(const UtilizationIndex& index, const std::set<const Substation*>& live_rows) {
  std::vector<const Substation*> by_utilization;
  double previous = -1;
  bool ascending = true;
  index.for_each_by_utilization([&](const Substation& row) {
    by_utilization.push_back(&row);
    ascending = ascending && row.utilization() >= previous;
    previous = row.utilization();
    return true;
  });
  CHECK(ascending);
  CHECK(by_utilization.size() == live_rows.size());
  CHECK(std::set<const Substation*>(by_utilization.begin(), by_utilization.end()) == live_rows);

  std::set<const Substation*> grouped;
  std::set<double> capacities;
  double group_capacity = -1;
  double group_previous = -1;
  bool grouped_right = true;
  index.for_each_by_limit_group([&](const Substation& row, bool first) {
    if (first) {
      grouped_right = grouped_right && row.limit_kw > group_capacity;
      group_capacity = row.limit_kw;
      group_previous = -1;
    }
    grouped_right = grouped_right && row.limit_kw == group_capacity && row.utilization() >= group_previous;
    group_previous = row.utilization();
    grouped.insert(&row);
    capacities.insert(row.limit_kw);
    return true;
  });
  CHECK(grouped_right);
  CHECK(grouped == live_rows);
  CHECK(index.limit_groups() == capacities.size());
}

void check_consistent(const LoadTable& table, grid::TimePoint now, bool just_expired,
                      const std::vector<const UtilizationIndex*>& indexes) {
  std::set<const Substation*> live_rows;
  std::optional<grid::TimePoint> earliest;
  table.for_each([&](const Substation& row) {
    if (!row.live) return;
    live_rows.insert(&row);
    const auto deadline = row.last_heard + table.ttl();
    if (!earliest || deadline < *earliest) earliest = deadline;
    if (just_expired) CHECK(deadline > now);
  });

  REQUIRE(table.live_count() == live_rows.size());
  std::set<const Substation*> by_position;
  for (std::size_t i = 0; i < table.live_count(); ++i) by_position.insert(&table.live(i));
  CHECK(by_position == live_rows);

  for (const auto* index : indexes) check_index(*index, live_rows);
  CHECK(table.next_expiry() == earliest);
}

}  // namespace

TEST_CASE("live list, utilization index and deadlines match brute force after random updates") {
  std::mt19937_64 rng(20240611);
  auto below = [&](std::uint64_t bound) {
    return std::uniform_int_distribution<std::uint64_t>(0, bound - 1)(rng);
  };
  auto kw = [&](double max) { return std::uniform_real_distribution<double>(0, max)(rng); };

  grid::FakeClock clock;
  LoadTable table(1s, 3);
  UtilizationIndex from_start;
  from_start.follow(table);
  UtilizationIndex from_middle;
  std::vector<const UtilizationIndex*> indexes{&from_start};
  struct Known {
    std::uint64_t boot = 1;
    std::uint64_t seq = 0;
  };
  std::map<std::string, Known> known;
  std::vector<std::string> ids;
  for (int i = 0; i < 40; ++i) ids.push_back("substation-" + std::to_string(i));

  std::size_t expired = 0;
  for (int op = 0; op < 5000; ++op) {
    CAPTURE(op);
    if (op == 2500) {
      from_middle.follow(table);
      indexes.push_back(&from_middle);
    }
    const std::string& id = ids[below(ids.size())];
    Known& state = known[id];
    bool just_expired = false;
    switch (below(8)) {
      case 0:
      case 1:
      case 2: {  // heartbeat, sometimes stale, sometimes from a new boot, sometimes no capacity
        if (below(20) == 0) state = Known{state.boot + 1, 0};
        const std::uint64_t seq = below(10) == 0 && state.seq > 2 ? state.seq - 2 : ++state.seq;
        const double capacity = below(25) == 0 ? 0.0 : 50.0 + static_cast<double>(below(4)) * 50;
        SubstationReport report{id, state.boot, seq, capacity, kw(capacity), static_cast<std::uint32_t>(below(10))};
        if (below(2) == 0) {  // a smart-charging substation: an operator limit, minimums and demand
          report.limit_kw = capacity > 0 ? capacity - 25.0 * static_cast<double>(below(2)) : 0;
          report.min_kw = kw(capacity / 2);
          report.demand_kw = report.min_kw + kw(2 * capacity);
        }
        table.on_heartbeat(report, clock.now());
        break;
      }
      case 3:
        table.on_job_result(id, {kw(200), static_cast<std::uint32_t>(below(10)), state.seq + below(2),
                                 {kw(3), kw(22)}},
                            clock.now());
        break;
      case 4: table.reserve(id, {kw(5), kw(30)}); break;
      case 5: table.release(id, {kw(5), kw(30)}); break;
      case 6: clock.advance(std::chrono::milliseconds(below(250))); break;
      default:
        expired += table.expire(clock.now()).size();
        just_expired = true;
        break;
    }
    check_consistent(table, clock.now(), just_expired, indexes);
  }
  // The walk must have exercised deaths and revivals, not only updates.
  CHECK(table.size() == ids.size());
  CHECK(expired > 20);
  CHECK(table.live_count() > 0);
}

TEST_CASE("an index outlives its table safely, and a table outlives its index safely") {
  UtilizationIndex index;
  {
    LoadTable table(1s, 3);
    index.follow(table);
    table.on_heartbeat(SubstationReport{"a", 1, 1, 100, 10, 1}, grid::TimePoint{});
    CHECK(index.size() == 1);
  }
  CHECK(index.size() == 0);  // told that the table is gone
  LoadTable table(1s, 3);
  {
    UtilizationIndex short_lived;
    short_lived.follow(table);
  }
  table.on_heartbeat(SubstationReport{"a", 1, 1, 100, 10, 1}, grid::TimePoint{});  // no dangling observer
  CHECK(table.size() == 1);
}
