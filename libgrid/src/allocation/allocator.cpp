#include "grid/allocation/allocator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace grid::allocation {

double SessionDemand::laxity_s() const {
  if (!std::isfinite(seconds_to_departure)) return seconds_to_departure;
  const double full_power_kw = power::to_kw(max_w);
  const double seconds_needed = full_power_kw > 0 ? energy_left_kwh / full_power_kw * 3600.0 : 0.0;
  return seconds_to_departure - seconds_needed;
}

namespace {

using power::Watts;

// Shares `extra` watts equally among `members` (in policy order), each capped by its room:
// water-filling. Returns what is left (only when every member is full). Rounding watts go one
// each to the first members in policy order.
Watts share_equally(const std::vector<std::size_t>& members, const std::vector<Watts>& room, Watts extra,
                    std::vector<Watts>& given) {
  std::vector<std::size_t> by_room = members;
  std::stable_sort(by_room.begin(), by_room.end(), [&](std::size_t a, std::size_t b) { return room[a] < room[b]; });
  auto sharing = static_cast<Watts>(by_room.size());
  std::size_t next = 0;
  // Whoever has less room than an equal share takes all of it; what it leaves raises the level.
  for (; next < by_room.size() && room[by_room[next]] * sharing <= extra; ++next, --sharing) {
    given[by_room[next]] = room[by_room[next]];
    extra -= room[by_room[next]];
  }
  if (sharing == 0) return extra;
  // The others all have room for more than the level: each gets it, the first few one watt more.
  const Watts level = extra / sharing;
  Watts rounding = extra % sharing;
  std::vector<bool> at_level(room.size(), false);
  for (std::size_t k = next; k < by_room.size(); ++k) at_level[by_room[k]] = true;
  for (const std::size_t member : members) {
    if (!at_level[member]) continue;
    given[member] = level + (rounding > 0 ? 1 : 0);
    if (rounding > 0) --rounding;
  }
  return 0;
}

}  // namespace

std::vector<Watts> allocate(const AllocationPolicy& policy, std::span<const SessionDemand> sessions, Watts limit_w) {
  const std::size_t n = sessions.size();
  std::vector<Watts> power(n, 0);
  if (n == 0 || limit_w <= 0) return power;

  // Policy order: higher priority first, then the policy's own rank, then arrival. The keys are
  // sorted side by side with their index (not the indices through the demands), so the sort
  // stays in cache at 10,000 sessions.
  struct Key {
    int priority;
    double rank;
    std::uint64_t arrival;
    std::size_t index;
  };
  std::vector<Key> keys(n);
  std::vector<double> rank(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double r = policy.rank(sessions[i]);
    rank[i] = std::isnan(r) ? std::numeric_limits<double>::infinity() : r;  // a strict weak order, whatever comes in
    keys[i] = {sessions[i].priority, rank[i], sessions[i].arrival, i};
  }
  std::sort(keys.begin(), keys.end(), [](const Key& a, const Key& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.rank != b.rank) return a.rank < b.rank;
    return a.arrival < b.arrival;
  });
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = keys[i].index;

  // Who charges: class by class, first those that may not switch and are charging (a car is not
  // paused within --min-switch-s unless the limit leaves no room), then the rest in policy order;
  // a session is kept while the minimums kept so far fit.
  std::vector<bool> on(n, false);
  Watts minimums = 0;
  const auto keep = [&](std::size_t i) {
    if (sessions[i].min_w <= limit_w - minimums) {
      on[i] = true;
      minimums += sessions[i].min_w;
    }
  };
  for (std::size_t begin = 0; begin < n;) {
    std::size_t end = begin;
    while (end < n && sessions[order[end]].priority == sessions[order[begin]].priority) ++end;
    for (std::size_t k = begin; k < end; ++k) {
      const auto& s = sessions[order[k]];
      if (s.charging && !s.may_switch) keep(order[k]);
    }
    for (std::size_t k = begin; k < end; ++k) {
      const auto& s = sessions[order[k]];
      if (s.may_switch) keep(order[k]);  // paused ones that may not switch yet stay paused
    }
    begin = end;
  }

  // How much: every kept session gets its minimum; the rest of the limit goes group by group in
  // policy order (a group: sessions of one class the policy does not tell apart), shared equally
  // within a group.
  std::vector<Watts> room(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    if (!on[i]) continue;
    power[i] = sessions[i].min_w;
    room[i] = sessions[i].max_w - sessions[i].min_w;
  }
  const auto same_group = [&](std::size_t a, std::size_t b) {
    return sessions[a].priority == sessions[b].priority && rank[a] == rank[b];
  };
  Watts extra = limit_w - minimums;
  std::vector<Watts> given(n, 0);
  std::vector<std::size_t> members;
  for (std::size_t begin = 0; begin < n && extra > 0;) {
    std::size_t end = begin;
    members.clear();
    while (end < n && same_group(order[begin], order[end])) {
      if (on[order[end]]) members.push_back(order[end]);
      ++end;
    }
    extra = share_equally(members, room, extra, given);
    begin = end;
  }
  for (std::size_t i = 0; i < n; ++i) power[i] += given[i];
  return power;
}

}  // namespace grid::allocation
