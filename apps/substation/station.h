#pragma once
// A substation's own books: its capacity and operator limit, its feeder grant, its charging
// sessions, the admission rule and the allocation of power among sessions. It is the authority: a
// job is admitted only if every admitted session can still get its minimum under the effective
// limit (the least of capacity, the operator's limit and the feeder limit in force), whatever the
// balancer believed; and the sum of allocated power never exceeds that limit, at any instant
// (grid/allocation/allocator.h shares it out).
// No sockets and no clock of its own: the node passes the time in, so tests step it.
// Thread-safety: none; the substation node's thread owns it.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "grid/allocation/policy.h"
#include "grid/power/admission.h"
#include "grid/proto/messages.h"
#include "grid/util/bounded_memo.h"
#include "grid/util/clock.h"
#include "feeder_lease.h"
#include "session.h"
#include "session_book.h"

namespace grid::substation {

struct StationSettings {
  std::string id;
  double capacity_kw = 0;
  double time_scale = 1.0;  // grid seconds per real second
  std::uint64_t boot = 0;
  double default_min_kw = power::default_min_session_kw;  // for requests that name no minimum
  double min_switch_s = 60;  // grid seconds a car keeps its state (charging or paused) after a switch
  // Retries come within seconds: 20,000 covers over 30 s at 600 requests per second.
  std::size_t remembered_requests = 20'000;
  std::size_t remembered_sessions = 20'000;  // ended sessions still answered by a query
  FeederSettings feeder{};
};

struct Admission {
  bool accepted = false;
  std::string session_id;
  power::Refusal refusal = power::Refusal::capacity;  // why not, when not accepted
  bool repeated = false;  // the same request id was admitted before: same session, nothing new
  power::Watts power_w = 0;  // the session's power right after admission
  power::Watts min_w = 0;
};

// What the heartbeat and the gauges say about the station as a whole.
struct StationTotals {
  power::Watts limit_w = 0;  // min(capacity, operator limit): the feeder's is apart, below
  std::optional<power::Watts> feeder_limit_w;  // the feeder limit in force (grant or fallback), if any
  power::Watts effective_limit_w = 0;          // what allocation stays under: the least of both
  power::Watts allocated_w = 0;
  power::Watts min_w = 0;
  power::Watts demand_w = 0;  // what the sessions could take: the sum of their maximums
  double energy_wanted_kwh = 0;
  double due_kw = 0;  // power needed to finish every session with a departure by then
  std::uint32_t sessions = 0;
  std::uint32_t paused = 0;
};

// What a step of time did, for the node's counters.
struct Progress {
  double delivered_kwh = 0;  // energy delivered during the step
  std::vector<EndedSession> ended;
  std::uint32_t switches = 0;  // sessions paused or resumed by re-allocation
  bool limit_expired = false;
  bool entered_fallback = false;  // the feeder grant's lease ran out
};

// An operator limit and when it ends (none: until changed).
struct OperatorLimit {
  std::optional<power::Watts> limit_w;
  std::optional<TimePoint> until;
};

// Everything a restart brings back (durable_station.h keeps it on disk). The feeder grant is not
// in it on purpose: a restarted substation waits in its fallback for a fresh grant, the safe side;
// only that fallback is kept, so a substation fed by a grant before the crash does not come back
// without a feeder limit.
struct StationState {
  std::uint64_t next_session = 1;
  std::vector<Session> sessions;  // running
  std::vector<std::pair<std::string, std::string>> requests;  // request id -> session id, oldest first
  std::vector<EndedSession> ended;                            // oldest first
  OperatorLimit limit;
  std::optional<power::Watts> feeder_fallback_w;  // FeederLease::lost_link_w
};

class Station {
public:
  Station(StationSettings settings, const allocation::AllocationPolicy& policy);

  // Each of these first brings the books up to `now` (energy, ends, limit expiry), then acts, then
  // re-allocates. `progress` receives what the step did.
  Admission admit(const proto::ChargeJob& job, TimePoint now, Progress& progress);
  // Ends the session admitted for this request, if it is still running (the balancer placed the
  // request elsewhere). With a session id, only that session. Without one, and from a balancer
  // (`placed_by`) other than the one whose job opened it, nothing: with several balancers, a job
  // that timed out at one must not end a session another placed and answered.
  std::optional<Session> cancel(const std::string& request_id, const std::string& session_id, TimePoint now,
                                Progress& progress, std::uint64_t placed_by = 0);
  // A session's state (nullopt: unknown, or forgotten); with stop, the car unplugged first.
  std::optional<proto::SessionState> query(const std::string& session_id, bool stop, TimePoint now,
                                           Progress& progress);
  // An operator limit (0 clears it; duration 0: until changed). Applied at once: sessions are
  // re-allocated, paused in policy order if even the minimums do not fit.
  void set_limit(double limit_kw, double duration_s, TimePoint now, Progress& progress);
  // A feeder grant for this substation: applied at once (a lowering pauses in policy order like an
  // operator limit), unless older than the grant held from the same balancer boot.
  GrantVerdict grant(const proto::FeederGrant& grant, TimePoint now, Progress& progress);
  // The control tick: brings the books up to now and re-allocates.
  void advance(TimePoint now, Progress& progress);
  // The next moment after `now` something happens on its own: a session completes or departs,
  // the limit expires, the feeder grant's lease runs out, a paused car may resume. (A paused car that may already resume but still
  // gets nothing waits for the next event or control tick, not for a timer that has passed.)
  std::optional<TimePoint> next_event(TimePoint now) const;

  // The request ids admitted here and still remembered, oldest first, with their sessions (running
  // or ended): what a (re)connecting balancer reads to learn who holds which request.
  std::vector<std::pair<std::string, std::string>> admissions() const;

  // The whole state, for a store to keep.
  StationState snapshot() const;
  // Takes a state kept by an earlier run into this fresh station (throws std::logic_error when it
  // has sessions already), then brings it up to `now` like any step: the time the node was down is
  // counted at each session's last allocated power (the car kept drawing it), never past what was
  // asked nor past its departure, and a car whose departure passed ends as departed.
  void restore(StationState state, TimePoint now, Progress& progress);

  // What a store writes after a step: the parts of the state that step may have changed.
  const Session* session(const std::string& session_id) const { return sessions_.find(session_id); }
  const SessionBook& sessions() const { return sessions_; }
  std::uint64_t next_session() const { return next_session_; }
  const std::string* admitted(const std::string& request_id) const { return admitted_.find(request_id); }
  OperatorLimit operator_limit() const { return {operator_limit_w_, limit_until_}; }
  const StationSettings& settings() const { return settings_; }

  StationTotals totals(TimePoint now) const;
  const std::string& id() const { return settings_.id; }
  double capacity_kw() const { return power::to_kw(capacity_w_); }
  double limit_kw() const { return power::to_kw(limit_w()); }
  std::optional<double> limit_expires_in_s(TimePoint now) const;
  const FeederLease& feeder() const { return feeder_; }
  std::uint32_t active_sessions() const { return static_cast<std::uint32_t>(sessions_.size()); }

private:
  power::Watts limit_w() const { return operator_limit_w_ ? std::min(*operator_limit_w_, capacity_w_) : capacity_w_; }
  // The one limit admission and allocation obey.
  power::Watts effective_limit_w() const { return std::min(limit_w(), feeder_.limit_w().value_or(limit_w())); }
  power::Watts min_sum_w() const;
  void settle(TimePoint now, Progress& progress);
  void end(const std::string& session_id, proto::SessionStatus status, Progress& progress);
  void reallocate(TimePoint now, Progress& progress);
  proto::SessionState state_of(const Session& session, proto::SessionStatus status, TimePoint now) const;
  Duration real(double grid_seconds) const;

  StationSettings settings_;
  const allocation::AllocationPolicy& policy_;
  power::Watts capacity_w_;
  std::optional<power::Watts> operator_limit_w_;
  std::optional<TimePoint> limit_until_;
  FeederLease feeder_;
  std::uint64_t next_session_ = 1;
  SessionBook sessions_;
  BoundedMemo<std::string, std::string> admitted_;     // request id -> session id
  BoundedMemo<std::string, EndedSession> ended_;       // session id -> its final state
};

}  // namespace grid::substation
