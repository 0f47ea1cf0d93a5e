#include "feeder_controller.h"

#include <cmath>
#include <limits>

#include <spdlog/spdlog.h>

#include "grid/feeders/budget.h"
#include "grid/power/admission.h"

namespace grid::balancer {
namespace {

constexpr double no_cap = std::numeric_limits<double>::infinity();

double own_limit_of(const proto::Heartbeat& heartbeat) {
  return heartbeat.limit_kw > 0 ? heartbeat.limit_kw : heartbeat.capacity_kw;
}

// What a substation this balancer has not granted yet may draw: the feeder limit it reports in
// force (an older balancer's grant, or its fallback after that lease ran out), else its own limit.
// Counting it at its own limit instead would let a grant above its fallback pass as a lowering and
// go out before the others' lowerings (found by the feeder integration test: 70 kW on 60).
double ceiling_of(const proto::Heartbeat& heartbeat) {
  const double own = own_limit_of(heartbeat);
  return heartbeat.in_fallback || heartbeat.granted_kw > 0 ? std::min(own, heartbeat.granted_kw) : own;
}

double seconds_of(Duration duration) { return std::chrono::duration<double>(duration).count(); }

}  // namespace

FeederController::FeederController(feeders::Topology topology, FeederSettings settings, FeederMetrics& metrics,
                                   GrantOutbox& outbox)
    : topology_(std::move(topology)),
      settings_(settings),
      metrics_(metrics),
      outbox_(outbox),
      ledger_(topology_, {.lease = settings.effective_lease(), .margin = settings.heartbeat_interval},
              settings.first_seq) {
  for (const auto& feeder : topology_.feeders()) metrics_.limit(feeder.id, feeder.limit_kw);
  sole_.assign(topology_.feeders().size(), false);
}

Duration FeederController::real(double grid_seconds) const {
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(grid_seconds / settings_.time_scale));
}

void FeederController::on_heartbeat(const proto::Heartbeat& heartbeat, bool new_boot, TimePoint now) {
  const std::string& id = heartbeat.substation_id;
  const auto feeder = topology_.feeder_of(id);
  const std::string& expected = feeder ? topology_.feeders()[*feeder].id : std::string();
  // An older substation names no feeder: the topology decides alone. One that names another feeder
  // is wired differently from what we believe: keep it out of routing until the two agree.
  if (!heartbeat.feeder_id.empty() && heartbeat.feeder_id != expected) {
    if (conflicted_.insert(id).second) {
      metrics_.conflict();
      std::size_t suppressed = 0;
      if (conflict_log_.allow(suppressed)) {
        spdlog::error("substation '{}' says it hangs on feeder '{}' but the topology says '{}': not routing to it "
                      "until they agree ({} similar suppressed)",
                      id, heartbeat.feeder_id, expected.empty() ? "none" : expected, suppressed);
      }
    }
  } else if (conflicted_.erase(id) != 0) {
    spdlog::info("substation '{}' now agrees with the topology on its feeder: routing to it again", id);
  }
  if (!feeder) return;
  // 0: none held, or an older substation that does not say (then it can only be ours).
  const bool foreign = heartbeat.grant_boot != 0 && heartbeat.grant_boot != settings_.balancer_boot;
  reported_[id] = {.cap_kw = heartbeat.in_fallback || heartbeat.granted_kw > 0 ? heartbeat.granted_kw : no_cap,
                   .other_boot = foreign && !heartbeat.in_fallback ? heartbeat.grant_boot : 0,
                   .ours = heartbeat.grant_boot == settings_.balancer_boot && !heartbeat.in_fallback};
  if (new_boot || !ledger_.knows(id)) ledger_.reset(id, ceiling_of(heartbeat));
  if (foreign) {
    // Its grant_seq is another boot's and confirms nothing of ours.
    ledger_.hold_foreign(id, ceiling_of(heartbeat));
  } else {
    ledger_.on_heartbeat(id, heartbeat.grant_seq, heartbeat.granted_kw, heartbeat.load_kw, now);
  }
}

std::size_t FeederController::root_of(std::size_t feeder) const {
  const auto& feeders = topology_.feeders();
  while (feeders[feeder].parent != feeders::no_parent) feeder = feeders[feeder].parent;
  return feeder;
}

double FeederController::limit_kw(std::size_t feeder, TimePoint now) const {
  const double own = topology_.feeders()[feeder].limit_kw;
  const auto found = schedules_.find(feeder);
  if (found == schedules_.end()) return own;
  const Schedule& schedule = found->second;
  if (now < schedule.lower_at || (schedule.ends && now >= *schedule.ends)) return own;
  return std::min(own, schedule.limit_kw);
}

std::unordered_map<std::string, double> FeederController::fallbacks(const balancing::LoadTable& table,
                                                                    const std::vector<double>& limits) const {
  // Each substation's capacity share of every feeder on its path; the tightest wins. Substations
  // never heard have no capacity to share by yet.
  const auto& feeders = topology_.feeders();
  std::vector<double> capacity(feeders.size(), 0);
  for (std::size_t f = 0; f < feeders.size(); ++f) {
    for (const auto& id : feeders[f].substations) {
      const auto* row = table.find(id);
      if (row == nullptr) continue;
      for (const auto at : topology_.path_of(id)) capacity[at] += row->capacity_kw;
    }
  }
  std::unordered_map<std::string, double> result;
  for (const auto& feeder : feeders) {
    for (const auto& id : feeder.substations) {
      const auto* row = table.find(id);
      if (row == nullptr) continue;
      double tightest = no_cap;
      for (const auto at : topology_.path_of(id)) {
        if (capacity[at] > 0) tightest = std::min(tightest, row->capacity_kw / capacity[at] * limits[at]);
      }
      // Whole watts, rounded down, so the shares never add up past a limit.
      result[id] = std::isfinite(tightest) ? std::floor(tightest * 1000) / 1000 : 0;
    }
  }
  return result;
}

std::vector<std::pair<std::string, double>> FeederController::control(const balancing::LoadTable& table,
                                                                      TimePoint now, bool renew) {
  for (auto it = schedules_.begin(); it != schedules_.end();) {
    it = it->second.ends && now >= *it->second.ends ? schedules_.erase(it) : std::next(it);
  }
  const auto& feeders = topology_.feeders();
  std::vector<double> limits(feeders.size());
  for (std::size_t f = 0; f < feeders.size(); ++f) limits[f] = limit_kw(f, now);

  std::vector<feeders::SubstationNeed> needs;
  std::vector<double> allocated(feeders.size(), 0);
  for (const auto& feeder : feeders) {
    for (const auto& id : feeder.substations) {
      const auto* row = table.find(id);
      if (row == nullptr || !ledger_.knows(id)) continue;
      // Dispatched jobs count too: what they reserve is what their sessions will ask for.
      needs.push_back({.id = id,
                       .live = row->live,
                       .min_kw = row->committed_kw(),
                       .demand_kw = row->wanted_kw(),
                       .capacity_kw = row->capacity_kw,
                       .limit_kw = row->own_limit_kw,
                       .held_kw = row->live ? 0 : ledger_.counted_kw(id, now)});
      for (const auto at : topology_.path_of(id)) allocated[at] += row->load_kw;
    }
  }
  // Who leads each feeder tree: a lower boot's fresh grant on a live substation anywhere in it
  // (a child feeder's share is part of its parent's division) makes this balancer stand down.
  if (!started_) started_ = now;
  const bool listening = now < *started_ + settings_.effective_listen_first();
  std::vector<bool> lower(feeders.size(), false);   // by root feeder
  std::vector<bool> higher(feeders.size(), false);  // by root: taking over from a higher boot
  std::vector<std::size_t> live(feeders.size(), 0), ours(feeders.size(), 0);  // by root
  for (std::size_t f = 0; f < feeders.size(); ++f) {
    for (const auto& id : feeders[f].substations) {
      const auto* row = table.find(id);
      const auto reported = reported_.find(id);
      if (row == nullptr || !row->live || reported == reported_.end()) continue;
      ++live[root_of(f)];
      if (reported->second.ours) ++ours[root_of(f)];
      if (reported->second.other_boot == 0) continue;
      (reported->second.other_boot < settings_.balancer_boot ? lower : higher)[root_of(f)] = true;
    }
  }
  for (std::size_t root = 0; root < feeders.size(); ++root) {
    if (listening || lower[root]) {
      sole_[root] = false;
    } else if (live[root] > 0 && ours[root] == live[root]) {
      sole_[root] = true;
    }
  }
  leading_.assign(feeders.size(), false);
  for (std::size_t f = 0; f < feeders.size(); ++f) {
    leading_[f] = !listening && !lower[root_of(f)];
    metrics_.leading(feeders[f].id, leading_[f]);
  }

  const auto division = feeders::divide(topology_, limits, needs);
  std::unordered_map<std::string, double> targets;
  for (const auto& [id, kw] : division.grant_kw) {
    const auto feeder = topology_.feeder_of(id);
    if (!feeder || !leading_[*feeder]) continue;
    const std::size_t root = root_of(*feeder);
    double target = kw;
    // Not confirmed sole leader yet (just started, or taking over): another balancer may be
    // dividing this tree from its own view at the same time, and a substation takes whichever grant
    // comes first. Safe shares are the same in every balancer and sum within every limit.
    if (!sole_[root]) target = std::min(target, topology_.safe_share_kw(id, limits));
    // Taking over: the higher boot still divides this tree as if its grants held; raising here into
    // room it counts as its own could pass the limit. Lowerings (down to what is held) are safe.
    if (higher[root]) target = std::min(target, ledger_.counted_kw(id, now));
    targets[id] = target;
  }
  const auto grants = ledger_.move(limits, targets, fallbacks(table, limits), now, renew);
  if (renew) last_renewal_ = now;
  const double lease_s = seconds_of(settings_.effective_lease());
  for (const auto& planned : grants) {
    const auto feeder = topology_.feeder_of(planned.substation);
    const proto::FeederGrant grant{.substation_id = planned.substation,
                                   .feeder_id = feeders[*feeder].id,
                                   .balancer_boot = settings_.balancer_boot,
                                   .seq = planned.seq,
                                   .granted_kw = planned.granted_kw,
                                   .lease_s = lease_s,
                                   .fallback_kw = planned.fallback_kw};
    // One that cannot be reached now is counted as granted anyway (GrantLedger): the safe side.
    if (outbox_.send_grant(planned.substation, grant)) metrics_.grant_sent();
    metrics_.granted(grant.feeder_id, planned.substation, planned.granted_kw);
  }
  for (std::size_t f = 0; f < feeders.size(); ++f) {
    metrics_.limit(feeders[f].id, limits[f]);
    metrics_.allocated(feeders[f].id, allocated[f]);
  }

  std::vector<std::pair<std::string, double>> caps;
  for (const auto& need : needs) {
    double cap = ledger_.sent_kw(need.id).value_or(no_cap);
    // Standing down: the limit it reports already holds the leader's grant; our own division is stale.
    if (!leading_[*topology_.feeder_of(need.id)]) cap = reported_.at(need.id).cap_kw;
    caps.emplace_back(need.id, conflicted(need.id) ? 0.0 : cap);
  }
  for (const auto& id : conflicted_) {
    if (!topology_.feeder_of(id)) caps.emplace_back(id, 0.0);
  }
  return caps;
}

std::optional<TimePoint> FeederController::next_deadline() const {
  if (topology_.empty()) return std::nullopt;
  TimePoint next = last_renewal_ + settings_.control_tick();
  for (const auto& [feeder, schedule] : schedules_) {
    (void)feeder;
    if (schedule.lower_at > last_renewal_) next = std::min(next, schedule.lower_at);
    if (schedule.ends) next = std::min(next, *schedule.ends);
  }
  return next;
}

proto::FeederLimitAck FeederController::on_limit(const proto::FeederLimit& limit, TimePoint now) {
  proto::FeederLimitAck ack{.request_id = limit.request_id, .feeder_id = limit.feeder_id};
  const auto feeder = topology_.feeder_index(limit.feeder_id);
  if (!feeder) {
    ack.reason = "no feeder with that id in the topology";
    return ack;
  }
  ack.topology_kw = topology_.feeders()[*feeder].limit_kw;
  ack.applied = true;
  if (limit.limit_kw <= 0) {
    schedules_.erase(*feeder);
    spdlog::info("feeder '{}': demand-response limit cleared (request {})", limit.feeder_id, limit.request_id);
    return ack;
  }
  const TimePoint starts = now + real(limit.starts_in_s);
  Schedule schedule{.limit_kw = limit.limit_kw, .lower_at = starts - settings_.lead(), .ends = std::nullopt};
  if (limit.duration_s > 0) schedule.ends = starts + real(limit.duration_s);
  schedules_[*feeder] = schedule;
  ack.limit_kw = limit.limit_kw;
  ack.starts_in_s = limit.starts_in_s;
  ack.expires_in_s = limit.duration_s > 0 ? limit.starts_in_s + limit.duration_s : 0;
  spdlog::info("feeder '{}': demand-response limit {} kW from {} s for {} s (grid time; grants lower {} ms ahead), "
               "request {}",
               limit.feeder_id, limit.limit_kw, limit.starts_in_s, limit.duration_s,
               std::chrono::duration_cast<std::chrono::milliseconds>(settings_.lead()).count(), limit.request_id);
  return ack;
}

}  // namespace grid::balancer
