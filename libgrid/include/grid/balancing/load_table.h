#pragma once
// The balancer's live view of the substations, fed by heartbeats and job results.
//
// Thread-safety: none. The balancer's single thread owns the table; nothing here locks.
//
// It holds rows, liveness and reservations, and tells observers of every change to a row; a policy
// that needs an ordering of its own keeps it (least-utilization's indexes live in that policy).
//
// Costs: a heartbeat, job result, reservation or release is one hash lookup, an O(log n) deadline
// update when it proves life, and one call per observer; it allocates nothing once a substation
// has joined (index nodes are re-used through node extraction).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "grid/power/admission.h"
#include "grid/util/clock.h"

namespace grid::balancing {

// Hashes substation ids so that lookups by string_view allocate nothing.
struct IdHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view id) const { return std::hash<std::string_view>{}(id); }
};

// What a heartbeat tells us about one substation (the fields of proto::Heartbeat).
struct SubstationReport {
  std::string id;
  std::uint64_t boot = 0;  // random id of the substation process run; a new value = it restarted
  std::uint64_t seq = 0;   // heartbeat sequence number within one boot
  double capacity_kw = 0;
  double load_kw = 0;      // allocated to its sessions right now
  std::uint32_t active_sessions = 0;
  // Smart charging. An older substation sends none of these (all 0); see Substation for how the
  // table reads that.
  double limit_kw = 0;     // effective limit: min(capacity, operator limit); 0: an older substation
  double min_kw = 0;       // the sum of its sessions' minimums
  double demand_kw = 0;    // the sum of its sessions' maximums: what they could take
  double energy_wanted_kwh = 0;
  double due_kw = 0;       // power needed to finish every session with a departure by then
  std::uint32_t paused_sessions = 0;
  double granted_kw = 0;   // the feeder limit it obeys (its grant, or its fallback); 0: none
};

// Power a job dispatched to a substation holds there until its answer: the new session's minimum
// (what admission counts) and its maximum (what it could take, what routing counts). Both, so a
// burst between two heartbeats neither overcommits the minimums nor herds onto one substation.
struct Reservation {
  double min_kw = 0;
  double max_kw = 0;
};

// What a substation's answer to a job (proto::JobResult) tells the table.
struct JobSnapshot {
  double load_kw = 0;  // allocated right after the decision
  std::uint32_t active_sessions = 0;
  std::uint64_t after_seq = 0;  // the seq of the last heartbeat published before deciding
  // The session it admitted: its minimum (as the substation set it) and maximum. Zero when it
  // refused, and a zero minimum from an older substation, whose load alone tells the change.
  Reservation admitted{};
};

// One row of the table.
//
// Admission and routing read different sums (docs/protocol.md, "Smart charging at the balancer"):
// - committed_kw() = min_kw + reserved_min_kw: the minimums the substation has promised, and those
//   on their way. A new session fits when its minimum fits on top, under the limit (fits()): the
//   substation's own admission rule, in the same whole-watt arithmetic (power::fits).
// - wanted_kw() = demand_kw + reserved_kw: what its sessions, and those on their way, could take.
//   utilization() = wanted / limit: below 1 every session there gets its maximum.
// An older substation reports only its load: then limit = capacity and its load stands for both
// its minimums and its demand (it admits at full power, so they are the same thing there).
struct Substation {
  std::string id;
  std::uint64_t boot = 0;
  std::uint64_t last_seq = 0;
  double capacity_kw = 0;
  double limit_kw = 0;     // the effective limit: min(own_limit_kw, feeder_cap_kw)
  double own_limit_kw = 0; // what it reports: min(capacity, operator limit) (capacity for an older one)
  // What it last said it obeys: own_limit_kw, or the feeder limit in force there when lower. Lags
  // feeder_cap_kw by one grant's trip while a grant changes.
  double reported_limit_kw = 0;
  // The balancer's cap for the feeder's sake: its feeder grant, 0 to keep it out of routing (a
  // feeder conflict), infinity when none.
  double feeder_cap_kw = std::numeric_limits<double>::infinity();
  double load_kw = 0;      // allocated now
  double min_kw = 0;       // the sum of its sessions' minimums
  double demand_kw = 0;    // the sum of its sessions' maximums
  double reserved_kw = 0;      // maximums of the jobs dispatched to it and not answered yet
  double reserved_min_kw = 0;  // their minimums
  double energy_wanted_kwh = 0;
  double due_kw = 0;
  std::uint32_t active_sessions = 0;
  std::uint32_t paused_sessions = 0;
  TimePoint last_heard{};
  bool live = false;
  bool ejected = false;  // live but taken out of routing for failing its jobs (OutlierDetector)
  bool reports_demand = false;  // a smart-charging substation (it reports its limit)

  double wanted_kw() const { return power::to_kw(power::to_watts(demand_kw) + power::to_watts(reserved_kw)); }
  double committed_kw() const { return power::to_kw(power::to_watts(min_kw) + power::to_watts(reserved_min_kw)); }
  // wanted / limit, as power::utilization defines it (never NaN; a substation without a limit last).
  double utilization() const { return power::utilization(wanted_kw(), limit_kw); }
  double headroom_kw() const { return limit_kw - wanted_kw(); }
  // The substation's own admission rule applied to what we believe of it: does a session with
  // this minimum fit on top of the minimums already committed, under the limit?
  bool fits(double session_min_kw) const {
    return power::fits(power::to_watts(min_kw) + power::to_watts(reserved_min_kw), power::to_watts(session_min_kw),
                       power::to_watts(limit_kw));
  }
};

enum class HeartbeatVerdict {
  joined,     // first time we hear of this id
  updated,    // known and live, newer seq
  restarted,  // a new boot of a known id: row reset (and live again if it was dead)
  rejoined,   // was dead, heard again within the same boot
  stale,      // same boot, seq <= last seq: nothing refreshed; the caller counts it as dropped
  rejected,   // NaN, infinite or negative numbers: nothing touched; the caller counts it as dropped
  // Two live processes share one id (their boots alternate). The first one is kept:
  reverted,   // the first boot spoke again after a second one took over: back to it, pinned
  duplicate,  // a heartbeat of the other boot while the first is pinned: nothing touched
};

std::string_view to_string(HeartbeatVerdict verdict);

// Told about every change to a row, after it happened (Envoy's "host set updated"): a policy that
// keeps an index of its own (least-utilization) keeps it in step here, so the table itself knows
// nothing of how policies order substations.
class RowObserver {
public:
  virtual ~RowObserver() = default;
  // The row joined, came back, died, or what it reports or holds reserved changed.
  virtual void on_row_changed(std::size_t index, const Substation& substation) = 0;
  // The table is being destroyed: forget it, and do not remove yourself from it.
  virtual void on_table_gone() = 0;
};

class LoadTable {
public:
  // A substation is dead after `liveness` heartbeat intervals without any message from it.
  // Throws std::invalid_argument unless heartbeat_interval > 0 and liveness >= 1.
  LoadTable(Duration heartbeat_interval, int liveness);
  ~LoadTable();
  // Observers hold its address: a table stays where it was made.
  LoadTable(const LoadTable&) = delete;
  LoadTable& operator=(const LoadTable&) = delete;

  HeartbeatVerdict on_heartbeat(const SubstationReport& report, TimePoint now);

  // A job answer: the substation's state right after it decided, and the seq of the last heartbeat
  // it had published before deciding. Heartbeats with seq <= after_seq arriving later were
  // published before this answer (PUB/SUB and DEALER/ROUTER are not ordered relative to each
  // other), so they refresh liveness but do not roll the load, minimums or demand back. Likewise a
  // snapshot older than a heartbeat we already applied (after_seq < that heartbeat's seq) is not
  // applied: that heartbeat already counts the session. An applied acceptance adds the session's
  // minimum and maximum to min_kw and demand_kw until a newer heartbeat tells the whole truth.
  // Any message proves life, so this refreshes last_heard and revives a dead row. Returns false
  // for an unknown id or invalid numbers (nothing touched).
  bool on_job_result(std::string_view id, const JobSnapshot& snapshot, TimePoint now);
  // The same, for answers that name the boot they come from: an answer from another boot (a
  // process that has since restarted) is ignored, so its seq cannot mask the new boot's heartbeats.
  bool on_job_result(std::string_view id, std::uint64_t boot, const JobSnapshot& snapshot, TimePoint now);

  // Takes a live substation out of routing (or puts it back) without touching its liveness.
  // Unknown ids are ignored.
  void set_ejected(std::string_view id, bool ejected);
  // Caps a substation's limit for its feeder's sake (see Substation::feeder_cap_kw); it holds
  // across heartbeats until set again. Unknown ids and NaN or negative values are ignored.
  void set_feeder_cap(std::string_view id, double cap_kw);

  // A job dispatched to a substation and not answered yet holds its minimum and maximum there, in
  // whole watts. release never takes either below zero (a release that outlives a restart, which
  // zeroes reservations, must not go negative). Unknown ids and non-finite or negative kW are
  // ignored.
  void reserve(std::string_view id, const Reservation& reservation);
  void release(std::string_view id, const Reservation& reservation);

  // Moves rows whose deadline (last_heard + liveness x interval) is <= now out of the live set and
  // returns their ids. Dead rows stay in the table, never as candidates, until heard again.
  std::vector<std::string> expire(TimePoint now);
  // The earliest deadline among live rows: the balancer's poll timeout is the nearest one.
  std::optional<TimePoint> next_expiry() const;

  Duration heartbeat_interval() const { return interval_; }
  Duration ttl() const { return ttl_; }

  std::size_t size() const { return rows_.size(); }
  std::size_t live_count() const { return live_.size(); }
  // O(1) access to live rows in an unspecified order that changes when rows die (swap-remove).
  const Substation& live(std::size_t i) const { return rows_[live_[i]].sub; }
  const Substation* find(std::string_view id) const;

  // Every row, dead ones included (for metrics), in join order.
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (const Row& row : rows_) fn(row.sub);
  }

  // The row at a stable index (rows are never removed; the index is a row's position in join
  // order, what observers are told).
  const Substation& row(std::size_t index) const { return rows_[index].sub; }

  // Tells `observer` about every row now, then about every change to a row as it happens.
  // Observing does not change what the table holds, so it works on a const table. An observer
  // must be removed before it is destroyed; a table being destroyed tells its observers first.
  void add_observer(RowObserver& observer) const;
  void remove_observer(RowObserver& observer) const;

private:
  using RowIndex = std::size_t;
  using DeadlineIndex = std::set<std::pair<TimePoint, RowIndex>>;
  static constexpr std::size_t not_live = std::numeric_limits<std::size_t>::max();

  struct Row {
    Substation sub;
    // The position in heartbeat order of the state load_kw, min_kw and demand_kw describe: a
    // heartbeat's seq, or the after_seq of a job result. Only newer states overwrite it (see
    // on_job_result).
    std::uint64_t load_seq = 0;
    // Telling a restart from two processes sharing the id: a restart's old boot falls silent,
    // a duplicate's keeps talking. The boot we left and when; pinned once both were heard.
    std::uint64_t previous_boot = 0;
    TimePoint boot_changed_at{};
    bool boot_pinned = false;
    std::size_t live_pos = not_live;
    DeadlineIndex::iterator by_deadline;  // valid while live
  };

  Row* lookup(std::string_view id);
  void make_live(RowIndex index);
  void make_dead(RowIndex index);
  void touch(RowIndex index, TimePoint now);  // proof of life: new deadline, revived if dead
  void changed(RowIndex index) const;         // tells the observers

  void adopt_boot(RowIndex index, const SubstationReport& report, TimePoint now);
  bool apply_job_result(Row& row, const JobSnapshot& snapshot, TimePoint now);

  Duration interval_;
  Duration ttl_;
  std::vector<Row> rows_;
  std::unordered_map<std::string, RowIndex, IdHash, std::equal_to<>> index_by_id_;
  std::vector<RowIndex> live_;
  DeadlineIndex by_deadline_;
  mutable std::vector<RowObserver*> observers_;
};

}  // namespace grid::balancing
