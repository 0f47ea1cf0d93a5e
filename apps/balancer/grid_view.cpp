#include "grid_view.h"

#include <spdlog/spdlog.h>

#include "admission_sync.h"

namespace grid::balancer {
namespace {

balancing::SubstationReport report_of(const proto::Heartbeat& heartbeat) {
  return {.id = heartbeat.substation_id,
          .boot = heartbeat.boot,
          .seq = heartbeat.seq,
          .capacity_kw = heartbeat.capacity_kw,
          .load_kw = heartbeat.load_kw,
          .active_sessions = heartbeat.active_sessions,
          .limit_kw = heartbeat.limit_kw,
          .min_kw = heartbeat.min_kw,
          .demand_kw = heartbeat.demand_kw,
          .energy_wanted_kwh = heartbeat.energy_wanted_kwh,
          .due_kw = heartbeat.due_kw,
          .paused_sessions = heartbeat.paused_sessions,
          .granted_kw = heartbeat.granted_kw};
}

std::string_view label_of(DispatchOutcome outcome) {
  switch (outcome) {
    case DispatchOutcome::accepted: return "accepted";
    case DispatchOutcome::rejected: return "rejected";
    case DispatchOutcome::timeout: return "timeout";
    case DispatchOutcome::unroutable: return "unroutable";
  }
  return "unknown";
}

}  // namespace

GridView::GridView(GridSettings settings, BalancerMetrics& metrics)
    : settings_(settings),
      metrics_(metrics),
      table_(settings.heartbeat_interval, settings.liveness),
      outliers_(settings.ejection) {}

std::optional<std::string_view> GridView::on_heartbeat(const proto::Heartbeat& heartbeat, TimePoint now) {
  const std::string& id = heartbeat.substation_id;
  if (table_.find(id) == nullptr && table_.size() >= settings_.max_substations) return "table_full";
  const auto verdict = table_.on_heartbeat(report_of(heartbeat), now);
  switch (verdict) {
    case balancing::HeartbeatVerdict::stale: return "stale_seq";
    case balancing::HeartbeatVerdict::rejected: return "invalid_value";
    case balancing::HeartbeatVerdict::duplicate:
    case balancing::HeartbeatVerdict::reverted: {
      metrics_.id_conflict();
      std::size_t suppressed = 0;
      if (conflict_log_.allow(suppressed)) {
        spdlog::error("two substation processes use the id '{}' (boots alternate); keeping the first one, boot {:x}, "
                      "and ignoring the other until it stops ({} similar suppressed)",
                      id, table_.find(id)->boot, suppressed);
      }
      if (verdict == balancing::HeartbeatVerdict::duplicate) return "id_conflict";
      break;
    }
    case balancing::HeartbeatVerdict::restarted:
      if (outliers_.ejected(id)) table_.set_ejected(id, false);
      outliers_.forget(id);  // a new process: the old one's failures are not its own
      [[fallthrough]];
    case balancing::HeartbeatVerdict::joined:
    case balancing::HeartbeatVerdict::rejoined:
      spdlog::info("substation '{}' {}: capacity {} kW, limit {} kW, load {} kW", id, balancing::to_string(verdict),
                   heartbeat.capacity_kw, table_.find(id)->limit_kw, heartbeat.load_kw);
      if (sync_ != nullptr) sync_->on_connected(id);  // it may hold requests we do not know of
      break;
    case balancing::HeartbeatVerdict::updated:
      if (sync_ != nullptr) sync_->on_heard(id);
      break;
  }
  if (feeders_ != nullptr) {
    feeders_->on_heartbeat(heartbeat, verdict != balancing::HeartbeatVerdict::updated, now);
    feeders_dirty_ = true;
  }
  metrics_.heartbeat();
  publish(id);
  return std::nullopt;
}

void GridView::on_job_result(const std::string& substation, const proto::JobResult& result, double session_max_kw,
                             TimePoint now) {
  balancing::JobSnapshot snapshot{result.load_kw, result.active_sessions, result.after_seq, {}};
  if (result.accepted && session_max_kw > 0) snapshot.admitted = {result.min_power_kw, session_max_kw};
  table_.on_job_result(substation, result.boot, snapshot, now);
  publish(substation);
}

void GridView::on_dispatch(const std::string& substation, DispatchOutcome outcome, TimePoint now) {
  metrics_.dispatch(substation, label_of(outcome));
  if (outcome == DispatchOutcome::accepted || outcome == DispatchOutcome::rejected) {
    outliers_.on_success(substation);
    return;
  }
  const auto until = outliers_.on_failure(substation, now, table_.live_count());
  if (!until) return;
  table_.set_ejected(substation, true);
  metrics_.ejection();
  spdlog::warn("substation '{}' ejected from routing for {} ms: it failed {} jobs in a row (last: {})", substation,
               std::chrono::duration_cast<std::chrono::milliseconds>(*until - now).count(),
               settings_.ejection.consecutive_failures, label_of(outcome));
  publish(substation);
}

void GridView::reserve(const std::string& substation, const balancing::Reservation& reservation) {
  table_.reserve(substation, reservation);
  publish(substation);
}

void GridView::release(const std::string& substation, const balancing::Reservation& reservation) {
  table_.release(substation, reservation);
  publish(substation);
}

void GridView::control_feeders(TimePoint now) {
  if (feeders_ == nullptr) return;
  const bool renew = feeders_->renewal_due(now);
  if (!feeders_dirty_ && !renew) return;
  feeders_dirty_ = false;
  for (const auto& [id, cap] : feeders_->control(table_, now, renew)) {
    const auto* row = table_.find(id);
    if (row == nullptr || row->feeder_cap_kw == cap) continue;
    table_.set_feeder_cap(id, cap);
    publish(id);
  }
}

proto::FeederLimitAck GridView::on_feeder_limit(const proto::FeederLimit& limit, TimePoint now) {
  if (feeders_ == nullptr) {
    return {.request_id = limit.request_id, .feeder_id = limit.feeder_id, .reason = "no feeder: the balancer was started without --topology"};
  }
  auto ack = feeders_->on_limit(limit, now);
  feeders_dirty_ = true;
  control_feeders(now);  // a limit already in force applies at once
  return ack;
}

void GridView::on_timers(TimePoint now) {
  for (const auto& dead : table_.expire(now)) {
    spdlog::warn("substation '{}' is dead: no heartbeat for {} x {} ms", dead, settings_.liveness,
                 std::chrono::duration_cast<std::chrono::milliseconds>(settings_.heartbeat_interval).count());
    publish(dead);
  }
  for (const auto& restored : outliers_.restore_due(now)) {
    table_.set_ejected(restored, false);
    spdlog::info("substation '{}' back in routing after its ejection", restored);
    publish(restored);
  }
  control_feeders(now);
}

std::optional<TimePoint> GridView::next_deadline() const {
  std::optional<TimePoint> next;
  for (const auto& deadline : {table_.next_expiry(), outliers_.next_restore(),
                               feeders_ ? feeders_->next_deadline() : std::nullopt}) {
    if (deadline && (!next || *deadline < *next)) next = deadline;
  }
  return next;
}

void GridView::publish(const std::string& substation) {
  if (const auto* row = table_.find(substation)) metrics_.substation(*row, table_.live_count());
}

}  // namespace grid::balancer
