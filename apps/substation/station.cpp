#include "station.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "grid/allocation/allocator.h"
#include "grid/proto/session_id.h"

namespace grid::substation {
namespace {

using power::Watts;

double seconds_between(TimePoint from, TimePoint to) { return std::chrono::duration<double>(to - from).count(); }

// Energy is compared with a little slack: sums of float kWh must not leave a session a femtowatt-
// hour short of done forever.
constexpr double energy_slack_kwh = 1e-9;

}  // namespace

Station::Station(StationSettings settings, const allocation::AllocationPolicy& policy)
    : settings_(std::move(settings)),
      policy_(policy),
      capacity_w_(power::to_watts(settings_.capacity_kw)),
      feeder_(settings_.feeder),
      admitted_(settings_.remembered_requests),
      ended_(settings_.remembered_sessions) {}

Duration Station::real(double grid_seconds) const {
  // Capped at about 30 years: a departure of 1e9 grid seconds at --time-scale 0.001 would not fit
  // in a steady_clock duration (nanoseconds in 64 bits), and converting it would be undefined.
  constexpr double longest_s = 1e9;
  const double seconds = std::min(grid_seconds / settings_.time_scale, longest_s);
  return std::chrono::duration_cast<Duration>(std::chrono::duration<double>(seconds));
}

Admission Station::admit(const proto::ChargeJob& job, TimePoint now, Progress& progress) {
  settle(now, progress);
  if (const auto* known = admitted_.find(job.request_id)) {
    Admission repeated{.accepted = true, .session_id = *known, .repeated = true};
    if (const Session* found = sessions_.find(*known)) {
      repeated.power_w = found->power_w;
      repeated.min_w = found->min_w;
    }
    return repeated;
  }
  if (job.power_kw < power::min_session_kw) return Admission{.refusal = power::Refusal::below_minimum};
  const Watts max_w = power::to_watts(job.power_kw);
  const double asked_min = job.min_power_kw > 0 ? job.min_power_kw : settings_.default_min_kw;
  const Watts min_w = std::clamp(power::to_watts(asked_min), power::to_watts(power::min_session_kw), max_w);
  // Every admitted session must still be able to get its minimum: the authority's rule.
  if (!power::fits(min_sum_w(), min_w, effective_limit_w())) return Admission{.refusal = power::Refusal::capacity};

  Session session;
  session.session_id = proto::make_session_id(settings_.id, settings_.boot, next_session_);
  session.request_id = job.request_id;
  session.placed_by = job.placed_by;
  session.arrival = next_session_++;
  session.min_w = min_w;
  session.max_w = max_w;
  session.energy_kwh = job.energy_kwh;
  session.settled_at = now;
  session.departs_in_s = job.departs_in_s;
  if (job.departs_in_s > 0) session.departs_at = now + real(job.departs_in_s);
  session.priority = static_cast<int>(job.priority);
  session.switched_at = now;  // a car that has just started is not paused again at once
  const std::string id = session.session_id;
  admitted_.remember(job.request_id, id);
  sessions_.add(std::move(session));
  reallocate(now, progress);
  const Session& admitted = *sessions_.find(id);
  return Admission{.accepted = true, .session_id = id, .power_w = admitted.power_w, .min_w = admitted.min_w};
}

std::optional<Session> Station::cancel(const std::string& request_id, const std::string& session_id, TimePoint now,
                                       Progress& progress, std::uint64_t placed_by) {
  const auto* admitted = admitted_.find(request_id);
  if (admitted == nullptr) return std::nullopt;
  if (!session_id.empty() && *admitted != session_id) return std::nullopt;
  if (session_id.empty() && placed_by != 0) {
    const Session* held = sessions_.find(*admitted);
    if (held != nullptr && held->placed_by != 0 && held->placed_by != placed_by) return std::nullopt;
  }
  settle(now, progress);
  const std::string session = *admitted;
  admitted_.forget(request_id);  // a later job for this request is decided afresh
  if (sessions_.find(session) == nullptr) return std::nullopt;  // already ended
  Session cancelled = sessions_.take(session);  // not remembered as ended: the request lives on elsewhere
  reallocate(now, progress);
  return cancelled;
}

std::optional<proto::SessionState> Station::query(const std::string& session_id, bool stop, TimePoint now,
                                                  Progress& progress) {
  settle(now, progress);
  if (const Session* found = sessions_.find(session_id)) {
    if (!stop) return state_of(*found, found->charging() ? proto::SessionStatus::charging : proto::SessionStatus::paused,
                               now);
    end(session_id, proto::SessionStatus::stopped, progress);
    reallocate(now, progress);  // its power goes to the others at once
  }
  // Ended (now or before): its final state, the same however often it is asked or stopped again.
  if (const auto* ended = ended_.find(session_id)) return state_of(ended->session, ended->status, now);
  return std::nullopt;
}

void Station::set_limit(double limit_kw, double duration_s, TimePoint now, Progress& progress) {
  settle(now, progress);
  if (limit_kw > 0) {
    operator_limit_w_ = power::to_watts(limit_kw);
    limit_until_ = duration_s > 0 ? std::optional(now + real(duration_s)) : std::nullopt;
  } else {
    operator_limit_w_.reset();
    limit_until_.reset();
  }
  reallocate(now, progress);
}

GrantVerdict Station::grant(const proto::FeederGrant& grant, TimePoint now, Progress& progress) {
  settle(now, progress);
  const GrantVerdict verdict = feeder_.accept(grant, now);
  // A refused grant from the balancer this one took over from may lower the cap it left.
  if (verdict != GrantVerdict::stale) reallocate(now, progress);
  return verdict;
}

void Station::advance(TimePoint now, Progress& progress) {
  settle(now, progress);
  reallocate(now, progress);
}

void Station::settle(TimePoint now, Progress& progress) {
  std::vector<std::pair<std::string, proto::SessionStatus>> ending;
  for (auto& session : sessions_) {
    // A car that has left draws nothing more (this matters after a restart, which can come long
    // after a departure).
    const TimePoint until = session.departs_at ? std::min(now, *session.departs_at) : now;
    if (until > session.settled_at) {
      // Energy at the allocated power since the last settlement, never past what was asked.
      const double grid_hours = seconds_between(session.settled_at, until) * settings_.time_scale / 3600.0;
      const double gained = std::min(power::to_kw(session.power_w) * grid_hours, session.energy_left_kwh());
      session.delivered_kwh += gained;
      progress.delivered_kwh += gained;
      session.settled_at = until;
    }
    if (session.energy_left_kwh() <= energy_slack_kwh) {
      ending.emplace_back(session.session_id, proto::SessionStatus::completed);
    } else if (session.departs_at && *session.departs_at <= now) {
      ending.emplace_back(session.session_id, proto::SessionStatus::departed);
    }
  }
  for (const auto& [id, status] : ending) end(id, status, progress);
  if (limit_until_ && *limit_until_ <= now) {
    operator_limit_w_.reset();
    limit_until_.reset();
    progress.limit_expired = true;
  }
  if (feeder_.expire(now)) progress.entered_fallback = true;
}

void Station::end(const std::string& session_id, proto::SessionStatus status, Progress& progress) {
  Session session = sessions_.take(session_id);
  if (status == proto::SessionStatus::completed) session.delivered_kwh = session.energy_kwh;
  session.power_w = 0;
  progress.ended.push_back({session, status});
  const std::string id = session.session_id;  // the key must not be read from a moved-from session
  ended_.remember(id, EndedSession{std::move(session), status});
}

void Station::reallocate(TimePoint now, Progress& progress) {
  if (sessions_.empty()) return;
  std::vector<Session*> order;
  order.reserve(sessions_.size());
  std::vector<allocation::SessionDemand> demands;
  demands.reserve(sessions_.size());
  const Duration min_switch = real(settings_.min_switch_s);
  for (auto& session : sessions_) {
    order.push_back(&session);
    allocation::SessionDemand demand;
    demand.arrival = session.arrival;
    demand.min_w = session.min_w;
    demand.max_w = session.max_w;
    demand.energy_left_kwh = session.energy_left_kwh();
    if (session.departs_at) demand.seconds_to_departure = seconds_between(now, *session.departs_at) * settings_.time_scale;
    demand.priority = session.priority;
    demand.charging = session.charging();
    // Its first allocation is a start, not a switch; after that it keeps its state for a while.
    demand.may_switch = !session.allocated || now - session.switched_at >= min_switch;
    demands.push_back(demand);
  }
  const auto powers = allocation::allocate(policy_, demands, effective_limit_w());
  for (std::size_t i = 0; i < order.size(); ++i) {
    Session& session = *order[i];
    const bool was_charging = session.charging();
    session.power_w = powers[i];
    if (session.allocated && was_charging != session.charging()) {
      session.switched_at = now;
      ++progress.switches;
    }
    session.allocated = true;
  }
}

power::Watts Station::min_sum_w() const {
  Watts sum = 0;
  for (const auto& session : sessions_) sum += session.min_w;
  return sum;
}

std::optional<TimePoint> Station::next_event(TimePoint now) const {
  std::optional<TimePoint> next = limit_until_;
  const auto sooner = [&next](TimePoint t) { next = next ? std::min(*next, t) : t; };
  if (const auto lease_ends = feeder_.expires_at()) sooner(*lease_ends);
  const Duration min_switch = real(settings_.min_switch_s);
  for (const auto& session : sessions_) {
    if (session.departs_at) sooner(*session.departs_at);
    if (session.charging()) {
      const double grid_hours = session.energy_left_kwh() / power::to_kw(session.power_w);
      sooner(session.settled_at + real(grid_hours * 3600.0));
    } else if (const TimePoint unlocked = session.switched_at + min_switch; unlocked > now) {
      sooner(unlocked);  // it may resume then
    }
  }
  return next;
}

std::vector<std::pair<std::string, std::string>> Station::admissions() const {
  std::vector<std::pair<std::string, std::string>> admissions;
  admissions.reserve(admitted_.size());
  admitted_.for_each([&](const std::string& request, const std::string& session) { admissions.emplace_back(request, session); });
  return admissions;
}

StationState Station::snapshot() const {
  StationState state;
  state.next_session = next_session_;
  state.sessions.assign(sessions_.begin(), sessions_.end());
  std::sort(state.sessions.begin(), state.sessions.end(),
            [](const Session& a, const Session& b) { return a.arrival < b.arrival; });
  admitted_.for_each([&state](const std::string& request, const std::string& session) {
    state.requests.emplace_back(request, session);
  });
  ended_.for_each([&state](const std::string&, const EndedSession& ended) { state.ended.push_back(ended); });
  state.limit = operator_limit();
  state.feeder_fallback_w = feeder_.lost_link_w();
  return state;
}

void Station::restore(StationState state, TimePoint now, Progress& progress) {
  if (!sessions_.empty() || next_session_ != 1) throw std::logic_error("a station restores into a fresh one only");
  next_session_ = state.next_session;
  for (auto& session : state.sessions) {
    // Never hand out an id again, even if the stored counter were behind.
    next_session_ = std::max(next_session_, session.arrival + 1);
    sessions_.add(std::move(session));
  }
  for (auto& [request, session] : state.requests) admitted_.remember(request, std::move(session));
  for (auto& ended : state.ended) {
    const std::string id = ended.session.session_id;
    ended_.remember(id, std::move(ended));
  }
  operator_limit_w_ = state.limit.limit_w;
  limit_until_ = state.limit.limit_w ? state.limit.until : std::nullopt;
  if (state.feeder_fallback_w) feeder_.resume_in_fallback(*state.feeder_fallback_w);
  advance(now, progress);
}

StationTotals Station::totals(TimePoint now) const {
  StationTotals totals;
  totals.limit_w = limit_w();
  totals.feeder_limit_w = feeder_.limit_w();
  totals.effective_limit_w = effective_limit_w();
  for (const auto& session : sessions_) {
    totals.allocated_w += session.power_w;
    totals.min_w += session.min_w;
    totals.demand_w += session.max_w;
    totals.energy_wanted_kwh += session.energy_left_kwh();
    if (session.departs_at) {
      const double grid_hours = std::max(seconds_between(now, *session.departs_at) * settings_.time_scale, 1.0) / 3600.0;
      totals.due_kw += session.energy_left_kwh() / grid_hours;
    }
    if (!session.charging()) ++totals.paused;
  }
  totals.sessions = static_cast<std::uint32_t>(sessions_.size());
  return totals;
}

std::optional<double> Station::limit_expires_in_s(TimePoint now) const {
  if (!limit_until_) return std::nullopt;
  return std::max(0.0, seconds_between(now, *limit_until_) * settings_.time_scale);
}

proto::SessionState Station::state_of(const Session& session, proto::SessionStatus status, TimePoint now) const {
  proto::SessionState state;
  state.found = true;
  state.session_id = session.session_id;
  state.status = status;
  state.power_kw = power::to_kw(session.power_w);
  state.energy_kwh = session.energy_kwh;
  state.delivered_kwh = session.delivered_kwh;
  state.min_power_kw = power::to_kw(session.min_w);
  state.max_power_kw = power::to_kw(session.max_w);
  state.substation_id = settings_.id;
  const bool running = status == proto::SessionStatus::charging || status == proto::SessionStatus::paused;
  if (running && session.departs_at) {
    state.departs_in_s = std::max(0.0, seconds_between(now, *session.departs_at) * settings_.time_scale);
  }
  if (running && session.charging()) {
    state.completes_in_s = session.energy_left_kwh() / power::to_kw(session.power_w) * 3600.0;
  }
  return state;
}

}  // namespace grid::substation
