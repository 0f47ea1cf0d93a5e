#include "grid/feeders/grant_ledger.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace grid::feeders {
namespace {

using power::Watts;

Watts watts(double kw) { return std::isfinite(kw) && kw > 0 ? power::to_watts(kw) : 0; }

}  // namespace

GrantLedger::GrantLedger(const Topology& topology, LedgerSettings settings, std::uint64_t first_seq)
    : topology_(topology), settings_(settings), next_seq_(std::max<std::uint64_t>(first_seq, 1)) {}

void GrantLedger::reset(const std::string& substation, double own_limit_kw) {
  const Watts limit = watts(own_limit_kw);
  states_[substation] = State{{Held{0, limit, limit}}, {}, false};
}

void GrantLedger::hold_foreign(const std::string& substation, double kw) {
  const auto found = states_.find(substation);
  if (found == states_.end()) return;
  auto& held = found->second.held;
  // Seq 0 is no grant of ours: kept oldest, so the first of ours confirmed forgets it.
  const Held foreign{0, watts(kw), watts(kw)};
  if (!held.empty() && held.front().seq == 0) {
    held.front() = foreign;
  } else {
    held.insert(held.begin(), foreign);
  }
}

bool GrantLedger::lapsed(const State& state, TimePoint now) const {
  return state.granted && now >= state.last_sent + settings_.lease + settings_.margin;
}

void GrantLedger::settle(State& state, TimePoint now) const {
  if (!lapsed(state, now) || state.held.size() == 1) return;
  Watts fallback = 0;
  for (const Held& held : state.held) fallback = std::max(fallback, std::min(held.kw, held.fallback));
  state.held = {Held{state.held.back().seq, fallback, fallback}};
}

Watts GrantLedger::ceiling(const State& state, TimePoint now) const {
  Watts most = 0;
  const bool fallen_back = lapsed(state, now);
  for (const Held& held : state.held) most = std::max(most, fallen_back ? std::min(held.kw, held.fallback) : held.kw);
  return most;
}

void GrantLedger::on_heartbeat(const std::string& substation, std::uint64_t grant_seq, double granted_kw,
                               double load_kw, TimePoint now) {
  const auto found = states_.find(substation);
  if (found == states_.end() || grant_seq == 0) return;
  State& state = found->second;
  settle(state, now);
  // The grant it holds: the newest we recorded at or before grant_seq.
  auto held = state.held.end();
  for (auto it = state.held.begin(); it != state.held.end(); ++it) {
    if (it->seq <= grant_seq) held = it;
  }
  if (held == state.held.end() || held->seq == 0) return;  // not one of ours (an older balancer's)
  const Watts load = watts(load_kw);
  if (held->seq != grant_seq) {
    // Its grant was folded into a newer, larger one we hold: trust what it says it holds only when
    // that is no more than what we counted for it.
    const Watts said = watts(granted_kw);
    if (said == 0 || said > held->kw || load > said) return;
    held->seq = grant_seq;
    held->kw = said;
  } else if (load > held->kw) {
    return;  // applied but still ramping down: not confirmed yet
  }
  state.held.erase(state.held.begin(), held);
}

double GrantLedger::counted_kw(const std::string& substation, TimePoint now) const {
  const auto found = states_.find(substation);
  return found == states_.end() ? 0.0 : power::to_kw(ceiling(found->second, now));
}

std::optional<double> GrantLedger::sent_kw(const std::string& substation) const {
  const auto found = states_.find(substation);
  if (found == states_.end() || !found->second.granted) return std::nullopt;
  return power::to_kw(found->second.held.back().kw);
}

std::vector<double> GrantLedger::counted_by_feeder(TimePoint now) const {
  std::vector<Watts> sums(topology_.feeders().size(), 0);
  for (const auto& [id, state] : states_) {
    const Watts kw = ceiling(state, now);
    for (const std::size_t f : topology_.path_of(id)) sums[f] += kw;
  }
  add_unheard({}, sums);
  std::vector<double> kw(sums.size());
  for (std::size_t f = 0; f < sums.size(); ++f) kw[f] = power::to_kw(sums[f]);
  return kw;
}

// A substation of the topology this balancer has not heard from may be drawing all the same (a
// restarted balancer has not heard anyone yet, and one cut off from us holds its fallback): it is
// counted at its safe share (Topology::safe_share_kw: an equal share of each feeder on its path,
// the tightest), so nobody is raised into power it may be using. Found by the feeder integration
// test: a restarted balancer raised the first substation it heard to the whole feeder while the
// others still drew their fallbacks.
void GrantLedger::add_unheard(const std::vector<double>& feeder_limit_kw, std::vector<Watts>& sums) const {
  for (const auto& feeder : topology_.feeders()) {
    for (const auto& substation : feeder.substations) {
      if (states_.count(substation) != 0) continue;
      const Watts share = watts(topology_.safe_share_kw(substation, feeder_limit_kw));
      for (const std::size_t f : topology_.path_of(substation)) sums[f] += share;
    }
  }
}

std::vector<PlannedGrant> GrantLedger::move(const std::vector<double>& feeder_limit_kw,
                                            const std::unordered_map<std::string, double>& target_kw,
                                            const std::unordered_map<std::string, double>& fallback_kw, TimePoint now,
                                            bool renew) {
  const auto& feeders = topology_.feeders();
  std::vector<Watts> sums(feeders.size(), 0);
  for (auto& [id, state] : states_) {
    settle(state, now);
    const Watts kw = ceiling(state, now);
    for (const std::size_t f : topology_.path_of(id)) sums[f] += kw;
  }
  add_unheard(feeder_limit_kw, sums);
  // Lowerings first (they never need room), then raises in id order, each into the room left.
  std::vector<std::pair<std::string, Watts>> order;
  for (const auto& [id, kw] : target_kw) {
    if (states_.count(id) != 0) order.emplace_back(id, std::max<Watts>(watts(kw), 1));  // the wire's least grant: 1 W
  }
  std::sort(order.begin(), order.end(), [this, now](const auto& a, const auto& b) {
    const bool a_lowers = a.second <= ceiling(states_.at(a.first), now);
    const bool b_lowers = b.second <= ceiling(states_.at(b.first), now);
    return a_lowers != b_lowers ? a_lowers : a.first < b.first;
  });

  std::vector<PlannedGrant> grants;
  for (const auto& [id, target] : order) {
    State& state = states_.at(id);
    const Watts before = ceiling(state, now);
    const auto path = topology_.path_of(id);
    Watts grant = target;
    if (target > before) {
      Watts room = target - before;
      for (const std::size_t f : path) {
        const Watts limit = f < feeder_limit_kw.size() ? watts(feeder_limit_kw[f]) : watts(feeders[f].limit_kw);
        room = std::min(room, std::max<Watts>(0, limit - sums[f]));
      }
      grant = before + room;
    }
    const auto fb = fallback_kw.find(id);
    const Watts fallback = std::min(grant, fb == fallback_kw.end() ? grant : std::max<Watts>(watts(fb->second), 1));
    if (!renew && state.granted && state.held.back().kw == grant && state.held.back().fallback == fallback) continue;
    // Older grants no larger than this one add nothing to the ceiling; keep the list short.
    std::erase_if(state.held, [grant](const Held& held) { return held.kw <= grant; });
    state.held.push_back({next_seq_, grant, fallback});
    if (state.held.size() > max_held) {  // merge the two oldest, keeping the larger power (conservative)
      state.held[1].kw = std::max(state.held[0].kw, state.held[1].kw);
      state.held[1].fallback = std::max(state.held[0].fallback, state.held[1].fallback);
      state.held.erase(state.held.begin());
    }
    state.granted = true;
    state.last_sent = now;
    const Watts after = ceiling(state, now);
    for (const std::size_t f : path) sums[f] += after - before;
    grants.push_back({id, next_seq_, power::to_kw(grant), power::to_kw(fallback)});
    ++next_seq_;
  }
  return grants;
}

}  // namespace grid::feeders
