#pragma once
// The write-before-answer rule, in one place: a Station whose every step that matters is committed
// to its StateStore before the step returns, so the node (and the tests) answer only what is on
// disk. An admission is written before its JobResult, a stop or a cancel before its answer, an
// operator limit before it is acknowledged; every control tick checkpoints the running sessions'
// energy in one transaction. Sessions that end on their own (completed, departed) are written by
// the step that ends them.
// A step is applied to the Station in memory first, then committed; nothing of it leaves the
// process (no answer, no heartbeat) before the commit returns: the node's one thread does both.
// Without a store it is the Station alone, in memory, as before --state.
// A failed commit throws (sqlite::Error): the step must not be answered, and the node stops; the
// restarted node starts from the last committed state, which is all that was ever acknowledged.
// No clock of its own: time comes in as for Station; the wall-clock offset to store times with
// comes from `wall_offset` (tests script it).
// Thread-safety: none; the substation's thread owns it.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "grid/allocation/policy.h"
#include "grid/util/clock.h"
#include "state_store.h"
#include "station.h"

namespace grid::substation {

// wall - clock, now: how a time point of `clock` is written as wall-clock (system_clock) time.
Duration wall_offset(const Clock& clock);

// What a restart brought back, for the log.
struct Restored {
  std::size_t sessions = 0;  // running after the restore
  std::size_t ended_while_down = 0;
  power::Watts allocated_w = 0;
  OperatorLimit limit;
  std::uint64_t next_session = 1;
};

class DurableStation {
public:
  struct Hooks {
    std::function<Duration()> wall_offset = [] { return substation::wall_offset(steady_clock()); };
    // After each commit, before the step returns (and so before any answer): tests die there.
    std::function<void()> after_commit;
  };

  DurableStation(StationSettings settings, const allocation::AllocationPolicy& policy,
                 std::unique_ptr<StateStore> store, Hooks hooks);
  DurableStation(StationSettings settings, const allocation::AllocationPolicy& policy)
      : DurableStation(std::move(settings), policy, nullptr, Hooks{}) {}

  // Loads what the store kept into the station, brings it up to `now` and checkpoints the result.
  // Call once, before the first step; without a store it restores nothing.
  Restored restore(TimePoint now, Progress& progress);

  // As Station's, each committed before it returns.
  Admission admit(const proto::ChargeJob& job, TimePoint now, Progress& progress);
  std::optional<Session> cancel(const std::string& request_id, const std::string& session_id, TimePoint now,
                                Progress& progress, std::uint64_t placed_by = 0);
  std::optional<proto::SessionState> query(const std::string& session_id, bool stop, TimePoint now, Progress& progress);
  void set_limit(double limit_kw, double duration_s, TimePoint now, Progress& progress);
  // The grant itself is not kept (a restart waits for a fresh one); the ends its step made are.
  GrantVerdict grant(const proto::FeederGrant& grant, TimePoint now, Progress& progress);
  // With `checkpoint` (the control tick), every running session's energy and power is written too.
  void advance(TimePoint now, Progress& progress, bool checkpoint);

  const Station& station() const { return station_; }
  bool durable() const { return store_ != nullptr; }

private:
  // Where a step's own part of a Progress begins (a caller may pass one Progress to many steps).
  struct Mark {
    std::size_t ended = 0;
    bool limit_expired = false;
  };
  static Mark mark(const Progress& progress) { return {progress.ended.size(), progress.limit_expired}; }
  // Writes what the step ended (and the limit, when it expired) plus `change`, in one transaction.
  void commit(StateChange change, const Progress& progress, Mark since);
  void checkpoint(StateChange& change) const;

  Station station_;
  std::unique_ptr<StateStore> store_;
  Hooks hooks_;
  std::optional<power::Watts> written_fallback_w_;  // the feeder fallback last written
};

}  // namespace grid::substation
