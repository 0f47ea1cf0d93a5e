#include "durable_station.h"

namespace grid::substation {

Duration wall_offset(const Clock& clock) {
  // Read back to back: the offset is off by the time between the two reads (microseconds at most).
  const auto wall = std::chrono::system_clock::now().time_since_epoch();
  const auto steady = clock.now().time_since_epoch();
  return std::chrono::duration_cast<Duration>(wall) - steady;
}

DurableStation::DurableStation(StationSettings settings, const allocation::AllocationPolicy& policy,
                               std::unique_ptr<StateStore> store, Hooks hooks)
    : station_(std::move(settings), policy), store_(std::move(store)), hooks_(std::move(hooks)) {}

Restored DurableStation::restore(TimePoint now, Progress& progress) {
  Restored restored;
  if (!store_) return restored;
  const Mark since = mark(progress);
  station_.restore(store_->load(hooks_.wall_offset()), now, progress);
  StateChange change;
  checkpoint(change);
  change.limit = station_.operator_limit();
  commit(std::move(change), progress, since);
  restored.sessions = station_.active_sessions();
  restored.ended_while_down = progress.ended.size() - since.ended;
  restored.allocated_w = station_.totals(now).allocated_w;
  restored.limit = station_.operator_limit();
  restored.next_session = station_.next_session();
  return restored;
}

Admission DurableStation::admit(const proto::ChargeJob& job, TimePoint now, Progress& progress) {
  const Mark since = mark(progress);
  const auto admission = station_.admit(job, now, progress);
  StateChange change;
  if (admission.accepted && !admission.repeated) {
    if (const Session* admitted = station_.session(admission.session_id)) change.written.push_back(admitted);
    change.remembered.emplace(job.request_id, admission.session_id);
    change.next_session = station_.next_session();
  }
  commit(std::move(change), progress, since);
  return admission;
}

std::optional<Session> DurableStation::cancel(const std::string& request_id, const std::string& session_id,
                                              TimePoint now, Progress& progress, std::uint64_t placed_by) {
  const Mark since = mark(progress);
  const bool was_admitted = station_.admitted(request_id) != nullptr;
  auto cancelled = station_.cancel(request_id, session_id, now, progress, placed_by);
  StateChange change;
  if (cancelled) change.removed.push_back(cancelled->session_id);
  // Forgotten also when its session had already ended: a later job is decided afresh.
  if (was_admitted && station_.admitted(request_id) == nullptr) change.forgotten = request_id;
  commit(std::move(change), progress, since);
  return cancelled;
}

std::optional<proto::SessionState> DurableStation::query(const std::string& session_id, bool stop, TimePoint now,
                                                         Progress& progress) {
  const Mark since = mark(progress);
  auto state = station_.query(session_id, stop, now, progress);
  commit({}, progress, since);  // a stop is in progress.ended
  return state;
}

void DurableStation::set_limit(double limit_kw, double duration_s, TimePoint now, Progress& progress) {
  const Mark since = mark(progress);
  station_.set_limit(limit_kw, duration_s, now, progress);
  StateChange change;
  change.limit = station_.operator_limit();
  checkpoint(change);  // the limit re-allocated every session
  commit(std::move(change), progress, since);
}

GrantVerdict DurableStation::grant(const proto::FeederGrant& grant, TimePoint now, Progress& progress) {
  const Mark since = mark(progress);
  const auto verdict = station_.grant(grant, now, progress);
  commit({}, progress, since);
  return verdict;
}

void DurableStation::advance(TimePoint now, Progress& progress, bool checkpoint_due) {
  const Mark since = mark(progress);
  station_.advance(now, progress);
  StateChange change;
  if (checkpoint_due) checkpoint(change);
  commit(std::move(change), progress, since);
}

void DurableStation::checkpoint(StateChange& change) const {
  change.written.clear();
  change.written.reserve(station_.sessions().size());
  for (const auto& session : station_.sessions()) change.written.push_back(&session);
}

void DurableStation::commit(StateChange change, const Progress& progress, Mark since) {
  if (!store_) return;
  for (std::size_t i = since.ended; i < progress.ended.size(); ++i) change.ended.push_back(&progress.ended[i]);
  if (progress.limit_expired && !since.limit_expired && !change.limit) change.limit = station_.operator_limit();
  if (const auto fallback = station_.feeder().lost_link_w(); fallback != written_fallback_w_) {
    change.feeder_fallback_w = fallback;
  }
  if (change.empty()) return;
  store_->commit(change, hooks_.wall_offset());
  if (change.feeder_fallback_w) written_fallback_w_ = *change.feeder_fallback_w;
  if (hooks_.after_commit) hooks_.after_commit();
}

}  // namespace grid::substation
