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

// What a heartbeat (or a job result) tells us about one substation.
struct SubstationReport {
  std::string id;
  std::uint64_t boot = 0;  // random id of the substation process run; a new value = it restarted
  std::uint64_t seq = 0;   // heartbeat sequence number within one boot
  double capacity_kw = 0;
  double load_kw = 0;
  std::uint32_t active_sessions = 0;
};

// One row of the table.
struct Substation {
  std::string id;
  std::uint64_t boot = 0;
  std::uint64_t last_seq = 0;
  double capacity_kw = 0;
  double load_kw = 0;
  double reserved_kw = 0;  // power dispatched to it and not answered yet
  std::uint32_t active_sessions = 0;
  TimePoint last_heard{};
  bool live = false;
  bool ejected = false;  // live but taken out of routing for failing its jobs (OutlierDetector)

  double used_kw() const { return load_kw + reserved_kw; }
  // used / capacity, as power::utilization defines it (never NaN; a substation without capacity last).
  double utilization() const { return power::utilization(used_kw(), capacity_kw); }
  double headroom_kw() const { return capacity_kw - used_kw(); }
  // The substation's own admission rule (power::fits), applied to what we believe of it.
  bool fits(double power_kw) const { return power::fits_kw(used_kw(), power_kw, capacity_kw); }
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
  // The row joined, came back, died, or its load, reservation or capacity changed.
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

  // A job answer: the substation's load right after it decided, and the seq of the last heartbeat
  // it had published before deciding. Heartbeats with seq <= after_seq arriving later were
  // published before this answer (PUB/SUB and DEALER/ROUTER are not ordered relative to each
  // other), so they refresh liveness but do not roll the load back. Likewise a snapshot older than
  // a heartbeat we already applied (after_seq < that heartbeat's seq) is not applied. Any message
  // proves life, so this refreshes last_heard and revives a dead row. Returns false for an unknown
  // id or invalid numbers (nothing touched).
  bool on_job_result(std::string_view id, double load_kw, std::uint32_t active_sessions,
                     std::uint64_t after_seq, TimePoint now);
  // The same, for answers that name the boot they come from: an answer from another boot (a
  // process that has since restarted) is ignored, so its seq cannot mask the new boot's heartbeats.
  bool on_job_result(std::string_view id, std::uint64_t boot, double load_kw,
                     std::uint32_t active_sessions, std::uint64_t after_seq, TimePoint now);

  // Takes a live substation out of routing (or puts it back) without touching its liveness.
  // Unknown ids are ignored.
  void set_ejected(std::string_view id, bool ejected);

  // Power dispatched to a substation and not answered yet. release never takes it below zero (a
  // release that outlives a restart, which zeroes reservations, must not go negative). Unknown ids
  // and non-finite or negative kW are ignored.
  void reserve(std::string_view id, double kw);
  void release(std::string_view id, double kw);

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
    // The position in heartbeat order of the state load_kw describes: a heartbeat's seq, or the
    // after_seq of a job result. Only newer states overwrite it (see on_job_result).
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
  bool apply_job_result(Row& row, double load_kw, std::uint32_t active_sessions,
                        std::uint64_t after_seq, TimePoint now);

  Duration interval_;
  Duration ttl_;
  std::vector<Row> rows_;
  std::unordered_map<std::string, RowIndex, IdHash, std::equal_to<>> index_by_id_;
  std::vector<RowIndex> live_;
  DeadlineIndex by_deadline_;
  mutable std::vector<RowObserver*> observers_;
};

}  // namespace grid::balancing
