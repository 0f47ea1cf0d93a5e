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
  // Positions in `members`, not session indexes: everything here is sized by the group, so a
  // policy that tells every session apart (n groups of one) stays O(n) over all groups. (Marking
  // the level in a vector sized by all sessions, per group, cost O(n^2) at 10,000 sessions.)
  const std::size_t m = members.size();
  std::vector<std::size_t> by_room(m);
  std::iota(by_room.begin(), by_room.end(), std::size_t{0});
  const auto room_of = [&](std::size_t position) { return room[members[position]]; };
  std::stable_sort(by_room.begin(), by_room.end(), [&](std::size_t a, std::size_t b) { return room_of(a) < room_of(b); });
  auto sharing = static_cast<Watts>(m);
  std::size_t next = 0;
  // Whoever has less room than an equal share takes all of it; what it leaves raises the level.
  for (; next < m && room_of(by_room[next]) * sharing <= extra; ++next, --sharing) {
    given[members[by_room[next]]] = room_of(by_room[next]);
    extra -= room_of(by_room[next]);
  }
  if (sharing == 0) return extra;
  // The others all have room for more than the level: each gets it, the first few one watt more.
  const Watts level = extra / sharing;
  Watts rounding = extra % sharing;
  std::vector<bool> at_level(m, false);
  for (std::size_t k = next; k < m; ++k) at_level[by_room[k]] = true;
  for (std::size_t position = 0; position < m; ++position) {
    if (!at_level[position]) continue;
    given[members[position]] = level + (rounding > 0 ? 1 : 0);
    if (rounding > 0) --rounding;
  }
  return 0;
}

// One session's place in policy order: higher priority first, then the policy's rank, then
// arrival, then its index (so the order is total and the same on every run). Kept side by side
// with the index, 24 bytes, so sorting stays in cache at 10,000 sessions.
struct Key {
  double rank;
  std::uint64_t arrival;
  std::uint32_t index;
  int priority;
};

bool before(const Key& a, const Key& b) {
  if (a.priority != b.priority) return a.priority > b.priority;
  if (a.rank != b.rank) return a.rank < b.rank;
  if (a.arrival != b.arrival) return a.arrival < b.arrival;
  return a.index < b.index;
}

// The sessions in policy order, sorted only as far as someone asks. When every minimum fits (as
// admission keeps it) who charges does not depend on the order, and only the first groups, those
// that share the power above the minimums until it runs out, need one: sorting all 10,000
// sessions for them was most of a re-allocation's cost.
class PolicyOrder {
public:
  explicit PolicyOrder(std::vector<Key> keys) : keys_(std::move(keys)) {}
  // The index of the k-th session in policy order (k < the number of sessions).
  std::size_t at(std::size_t k) {
    if (k >= sorted_) extend(k + 1);
    return keys_[k].index;
  }

private:
  // Makes keys_[0, count) the smallest `count` keys, in order (at least doubling each time, so
  // asking for every session costs O(n log n) in all).
  void extend(std::size_t count) {
    std::size_t upto = std::min(keys_.size(), std::max({count, 2 * sorted_, std::size_t{64}}));
    if (2 * upto >= keys_.size()) upto = keys_.size();  // most of them: one sort is cheaper
    const auto first = keys_.begin() + static_cast<std::ptrdiff_t>(sorted_);
    const auto middle = keys_.begin() + static_cast<std::ptrdiff_t>(upto);
    if (middle != keys_.end()) std::nth_element(first, middle, keys_.end(), before);
    std::sort(first, middle, before);
    sorted_ = upto;
  }

  std::vector<Key> keys_;
  std::size_t sorted_ = 0;
};

}  // namespace

std::vector<Watts> allocate(const AllocationPolicy& policy, std::span<const SessionDemand> sessions, Watts limit_w) {
  const std::size_t n = sessions.size();
  std::vector<Watts> power(n, 0);
  if (n == 0 || limit_w <= 0) return power;

  std::vector<Key> keys(n);
  std::vector<double> rank(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double r = policy.rank(sessions[i]);
    rank[i] = std::isnan(r) ? std::numeric_limits<double>::infinity() : r;  // a strict weak order, whatever comes in
    keys[i] = {rank[i], sessions[i].arrival, static_cast<std::uint32_t>(i), sessions[i].priority};
  }
  PolicyOrder order(std::move(keys));

  // Who charges: class by class, first those that may not switch and are charging (a car is not
  // paused within --min-switch-s unless the limit leaves no room), then the rest in policy order;
  // a session is kept while the minimums kept so far fit. (A paused one that may not switch yet
  // stays paused.) When all their minimums fit together, every one is kept whatever the order.
  std::vector<bool> on(n, false);
  const auto wants_on = [&](const SessionDemand& s) { return s.may_switch || s.charging; };
  Watts minimums = 0;
  Watts wanted = 0;
  for (const auto& s : sessions) {
    if (wants_on(s)) wanted += s.min_w;
  }
  if (wanted <= limit_w) {
    for (std::size_t i = 0; i < n; ++i) on[i] = wants_on(sessions[i]);
    minimums = wanted;
  } else {
    const auto keep = [&](std::size_t i) {
      if (sessions[i].min_w <= limit_w - minimums) {
        on[i] = true;
        minimums += sessions[i].min_w;
      }
    };
    for (std::size_t begin = 0; begin < n;) {
      std::size_t end = begin;
      while (end < n && sessions[order.at(end)].priority == sessions[order.at(begin)].priority) ++end;
      for (std::size_t k = begin; k < end; ++k) {
        const auto& s = sessions[order.at(k)];
        if (s.charging && !s.may_switch) keep(order.at(k));
      }
      for (std::size_t k = begin; k < end; ++k) {
        const auto& s = sessions[order.at(k)];
        if (s.may_switch) keep(order.at(k));
      }
      begin = end;
    }
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
    while (end < n && same_group(order.at(begin), order.at(end))) {
      if (on[order.at(end)]) members.push_back(order.at(end));
      ++end;
    }
    extra = share_equally(members, room, extra, given);
    begin = end;
  }
  for (std::size_t i = 0; i < n; ++i) power[i] += given[i];
  return power;
}

}  // namespace grid::allocation
