#include "grid/balancing/load_table.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace grid::balancing {
namespace {

// The caller validates reports, but a NaN that slipped through would break the strict weak
// ordering of the utilization index (NaN compares false both ways) and corrupt every later pick.
bool valid_kw(double kw) { return std::isfinite(kw) && kw >= 0; }

}  // namespace

std::string_view to_string(HeartbeatVerdict verdict) {
  switch (verdict) {
    case HeartbeatVerdict::joined: return "joined";
    case HeartbeatVerdict::updated: return "updated";
    case HeartbeatVerdict::restarted: return "restarted";
    case HeartbeatVerdict::rejoined: return "rejoined";
    case HeartbeatVerdict::stale: return "stale";
    case HeartbeatVerdict::rejected: return "rejected";
    case HeartbeatVerdict::reverted: return "reverted";
    case HeartbeatVerdict::duplicate: return "duplicate";
  }
  return "unknown";
}

LoadTable::LoadTable(Duration heartbeat_interval, int liveness) : interval_(heartbeat_interval) {
  if (heartbeat_interval <= Duration::zero()) {
    throw std::invalid_argument("load table: heartbeat interval must be positive");
  }
  if (liveness < 1) throw std::invalid_argument("load table: liveness must be at least 1");
  ttl_ = heartbeat_interval * liveness;
}

LoadTable::~LoadTable() {
  for (RowObserver* observer : observers_) observer->on_table_gone();
}

void LoadTable::add_observer(RowObserver& observer) const {
  observers_.push_back(&observer);
  for (std::size_t index = 0; index < rows_.size(); ++index) observer.on_row_changed(index, rows_[index].sub);
}

void LoadTable::remove_observer(RowObserver& observer) const {
  std::erase(observers_, &observer);
}

void LoadTable::changed(RowIndex index) const {
  for (RowObserver* observer : observers_) observer->on_row_changed(index, rows_[index].sub);
}

namespace {

bool valid_report(const SubstationReport& report) {
  for (const double kw : {report.capacity_kw, report.load_kw, report.limit_kw, report.min_kw, report.demand_kw,
                          report.energy_wanted_kwh, report.due_kw, report.granted_kw}) {
    if (!valid_kw(kw)) return false;
  }
  return true;
}

// a + b in whole watts, as every power the grid adds up (no float residue).
double add_kw(double a, double b) { return power::to_kw(power::to_watts(a) + power::to_watts(b)); }
// a - b in whole watts, never below zero.
double take_kw(double a, double b) {
  const power::Watts left = power::to_watts(a) - power::to_watts(b);
  return left > 0 ? power::to_kw(left) : 0.0;
}

// What a heartbeat says of the substation's sessions: the state load_seq orders.
void apply_report(Substation& sub, const SubstationReport& report) {
  sub.load_kw = report.load_kw;
  sub.active_sessions = report.active_sessions;
  sub.paused_sessions = report.paused_sessions;
  sub.energy_wanted_kwh = report.energy_wanted_kwh;
  sub.due_kw = report.due_kw;
  // An older substation admits at full power and reports no minimums: its load is both.
  sub.min_kw = sub.reports_demand ? report.min_kw : report.load_kw;
  sub.demand_kw = sub.reports_demand ? report.demand_kw : report.load_kw;
}

// The limit and capacity follow every newer heartbeat (job answers do not carry them).
void apply_limits(Substation& sub, const SubstationReport& report) {
  sub.capacity_kw = report.capacity_kw;
  // A smart-charging substation always reports its effective limit, never 0 (an operator limit of
  // 0 clears the limit): 0 means an older substation, whose limit is its capacity.
  sub.reports_demand = report.limit_kw > 0;
  sub.own_limit_kw = sub.reports_demand ? report.limit_kw : report.capacity_kw;
  sub.reported_limit_kw = report.granted_kw > 0 ? std::min(sub.own_limit_kw, report.granted_kw) : sub.own_limit_kw;
  sub.limit_kw = std::min(sub.own_limit_kw, sub.feeder_cap_kw);
}

}  // namespace

HeartbeatVerdict LoadTable::on_heartbeat(const SubstationReport& report, TimePoint now) {
  if (!valid_report(report)) return HeartbeatVerdict::rejected;

  auto found = index_by_id_.find(std::string_view(report.id));
  if (found == index_by_id_.end()) {
    const RowIndex index = rows_.size();
    Row row;
    row.sub.id = report.id;
    row.sub.boot = report.boot;
    row.sub.last_seq = report.seq;
    row.sub.last_heard = now;
    apply_limits(row.sub, report);
    apply_report(row.sub, report);
    row.load_seq = report.seq;
    rows_.push_back(std::move(row));
    index_by_id_.emplace(report.id, index);
    make_live(index);
    return HeartbeatVerdict::joined;
  }

  const RowIndex index = found->second;
  Substation& sub = rows_[index].sub;
  if (sub.boot != report.boot) {
    Row& row = rows_[index];
    if (sub.live && row.boot_pinned) return HeartbeatVerdict::duplicate;
    // The boot we just left is still talking within one liveness window: not a restart but two
    // processes with one id. Keep the first, and ignore the other while the first lives.
    const bool first_speaks_again =
        sub.live && report.boot == row.previous_boot && now - row.boot_changed_at < ttl_;
    adopt_boot(index, report, now);
    row.boot_pinned = first_speaks_again;
    return first_speaks_again ? HeartbeatVerdict::reverted : HeartbeatVerdict::restarted;
  }
  // Duplicated or reordered on the wire: an older state than the one we hold.
  if (report.seq <= sub.last_seq) return HeartbeatVerdict::stale;

  const bool was_live = sub.live;
  sub.last_seq = report.seq;
  apply_limits(sub, report);
  if (report.seq > rows_[index].load_seq) {
    apply_report(sub, report);
    rows_[index].load_seq = report.seq;
  }
  touch(index, now);
  changed(index);
  return was_live ? HeartbeatVerdict::updated : HeartbeatVerdict::rejoined;
}

void LoadTable::adopt_boot(RowIndex index, const SubstationReport& report, TimePoint now) {
  // A new process: everything we knew (its seq numbering, our reservations on it, the load seq
  // of its answers) belonged to the old one. Jobs still in flight to the old process are lost.
  Row& row = rows_[index];
  Substation& sub = row.sub;
  row.previous_boot = sub.boot;
  row.boot_changed_at = now;
  sub.boot = report.boot;
  sub.last_seq = report.seq;
  apply_limits(sub, report);
  apply_report(sub, report);
  sub.reserved_kw = 0;
  sub.reserved_min_kw = 0;
  row.load_seq = report.seq;
  touch(index, now);
  changed(index);
}

bool LoadTable::on_job_result(std::string_view id, const JobSnapshot& snapshot, TimePoint now) {
  Row* row = lookup(id);
  if (row == nullptr) return false;
  return apply_job_result(*row, snapshot, now);
}

bool LoadTable::on_job_result(std::string_view id, std::uint64_t boot, const JobSnapshot& snapshot, TimePoint now) {
  Row* row = lookup(id);
  if (row == nullptr || row->sub.boot != boot) return false;
  return apply_job_result(*row, snapshot, now);
}

bool LoadTable::apply_job_result(Row& row, const JobSnapshot& snapshot, TimePoint now) {
  if (!valid_kw(snapshot.load_kw) || !valid_kw(snapshot.admitted.min_kw) || !valid_kw(snapshot.admitted.max_kw)) {
    return false;
  }
  const auto index = static_cast<RowIndex>(&row - rows_.data());
  // The substation decided after publishing heartbeat after_seq, so its snapshot is newer than
  // that heartbeat and than earlier answers with the same after_seq (one DEALER connection keeps
  // answers in order), but older than any heartbeat with a higher seq we may already hold.
  if (snapshot.after_seq >= row.load_seq) {
    Substation& sub = row.sub;
    sub.load_kw = snapshot.load_kw;
    sub.active_sessions = snapshot.active_sessions;
    row.load_seq = snapshot.after_seq;
    if (!sub.reports_demand) {
      sub.min_kw = sub.demand_kw = snapshot.load_kw;  // an older substation: its load is both
    } else if (snapshot.admitted.min_kw > 0) {
      // What we hold is heartbeat after_seq (or older) plus earlier answers: add this session.
      sub.min_kw = add_kw(sub.min_kw, snapshot.admitted.min_kw);
      sub.demand_kw = add_kw(sub.demand_kw, snapshot.admitted.max_kw);
    }
  }
  touch(index, now);
  changed(index);
  return true;
}

void LoadTable::set_ejected(std::string_view id, bool ejected) {
  if (Row* row = lookup(id)) row->sub.ejected = ejected;
}

void LoadTable::set_feeder_cap(std::string_view id, double cap_kw) {
  Row* row = lookup(id);
  if (row == nullptr || std::isnan(cap_kw) || cap_kw < 0) return;
  row->sub.feeder_cap_kw = cap_kw;
  row->sub.limit_kw = std::min(row->sub.own_limit_kw, cap_kw);
  changed(static_cast<RowIndex>(row - rows_.data()));
}

void LoadTable::reserve(std::string_view id, const Reservation& reservation) {
  Row* row = lookup(id);
  if (row == nullptr || !valid_kw(reservation.min_kw) || !valid_kw(reservation.max_kw)) return;
  // In whole watts, like every power the grid adds up: releases return both to exactly zero.
  row->sub.reserved_kw = add_kw(row->sub.reserved_kw, reservation.max_kw);
  row->sub.reserved_min_kw = add_kw(row->sub.reserved_min_kw, reservation.min_kw);
  changed(static_cast<RowIndex>(row - rows_.data()));
}

void LoadTable::release(std::string_view id, const Reservation& reservation) {
  Row* row = lookup(id);
  if (row == nullptr || !valid_kw(reservation.min_kw) || !valid_kw(reservation.max_kw)) return;
  row->sub.reserved_kw = take_kw(row->sub.reserved_kw, reservation.max_kw);
  row->sub.reserved_min_kw = take_kw(row->sub.reserved_min_kw, reservation.min_kw);
  changed(static_cast<RowIndex>(row - rows_.data()));
}

std::vector<std::string> LoadTable::expire(TimePoint now) {
  std::vector<std::string> expired;
  while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
    const RowIndex index = by_deadline_.begin()->second;
    expired.push_back(rows_[index].sub.id);
    make_dead(index);
  }
  return expired;
}

std::optional<TimePoint> LoadTable::next_expiry() const {
  if (by_deadline_.empty()) return std::nullopt;
  return by_deadline_.begin()->first;
}

const Substation* LoadTable::find(std::string_view id) const {
  auto found = index_by_id_.find(id);
  return found == index_by_id_.end() ? nullptr : &rows_[found->second].sub;
}

LoadTable::Row* LoadTable::lookup(std::string_view id) {
  auto found = index_by_id_.find(id);
  return found == index_by_id_.end() ? nullptr : &rows_[found->second];
}

void LoadTable::make_live(RowIndex index) {
  Row& row = rows_[index];
  row.sub.live = true;
  row.live_pos = live_.size();
  live_.push_back(index);
  row.by_deadline = by_deadline_.emplace(row.sub.last_heard + ttl_, index).first;
  changed(index);
}

void LoadTable::make_dead(RowIndex index) {
  Row& row = rows_[index];
  // Swap-remove keeps live() O(1) without holes; only the moved row's position changes.
  const RowIndex moved = live_.back();
  live_[row.live_pos] = moved;
  rows_[moved].live_pos = row.live_pos;
  live_.pop_back();
  by_deadline_.erase(row.by_deadline);
  row.live_pos = not_live;
  row.sub.live = false;
  row.boot_pinned = false;  // the process we kept is gone: whoever speaks next is adopted
  changed(index);
}

void LoadTable::touch(RowIndex index, TimePoint now) {
  Row& row = rows_[index];
  row.sub.last_heard = now;
  if (!row.sub.live) {
    make_live(index);
    return;
  }
  // Re-use the node: no allocation per heartbeat. The new deadline is usually the latest one, so
  // the end() hint makes the insertion amortized constant.
  auto node = by_deadline_.extract(row.by_deadline);
  node.value().first = now + ttl_;
  row.by_deadline = by_deadline_.insert(by_deadline_.end(), std::move(node));
}

}  // namespace grid::balancing
