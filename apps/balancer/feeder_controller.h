#pragma once
// The balancer's feeder control: divides each feeder's budget among its substations (feeders::divide),
// moves their grants safely (feeders::GrantLedger), sends them, schedules demand-response limits,
// and tells GridView each substation's routing cap (its newest grant; 0 in a feeder conflict).
// GridView calls it with the table it owns; it writes no table itself.
// Several balancers (issue 16), each with the same topology: the lowest balancer boot leads. For a
// feeder tree (a root feeder and all below it) where a live substation reports a fresh grant from
// a lower boot, this balancer stands down: it sends no grants there and routes with the feeder
// limit each substation reports in force. It leads again once no substation holds such a grant
// (the leader died: its leases ran out). Taking over from a higher boot, it lowers but raises
// nothing in that tree until no substation holds the higher boot's grant any more. After its
// start it only listens for listen_first, so it learns who leads before it grants.
// Two balancers may still both find nobody leading (started together, or a grant lost): each then
// divides the tree as if alone, and a substation takes whichever grant comes first. So a balancer
// raises a substation above its safe share (Topology::safe_share_kw, the same number in every
// balancer) only while it is the confirmed sole leader of the tree: every live substation of it
// has reported holding this boot's fresh grant. Safe shares of two divisions sum within every
// limit; the lower boot then takes every substation over, is confirmed, and raises.
// Time comes in as a parameter. Thread-safety: none; the balancer thread owns it.

#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "feeder_metrics.h"
#include "grid/balancing/load_table.h"
#include "grid/feeders/grant_ledger.h"
#include "grid/feeders/topology.h"
#include "grid/proto/messages.h"
#include "grid/util/clock.h"
#include "grid/util/logging.h"

namespace grid::balancer {

struct FeederSettings {
  Duration heartbeat_interval = std::chrono::milliseconds(250);
  // Unset: three heartbeat intervals.
  std::optional<Duration> lease{};
  double time_scale = 1;  // grid seconds per real second (demand-response times are grid seconds)
  std::uint64_t balancer_boot = 0;
  std::uint64_t first_seq = 1;  // above any seq an earlier balancer boot sent (see GrantLedger)
  // Unset: two heartbeat intervals (every live substation has said whose grant it holds by then).
  std::optional<Duration> listen_first{};
  Duration effective_lease() const { return lease.value_or(3 * heartbeat_interval); }
  Duration control_tick() const { return heartbeat_interval; }
  Duration effective_listen_first() const { return listen_first.value_or(2 * heartbeat_interval); }
  // A demand-response limit lowers grants this long before it starts: a control tick to divide and
  // send, a heartbeat for the substation to confirm, and a lease so one that missed the lowered
  // grant has fallen back by then.
  Duration lead() const { return control_tick() + heartbeat_interval + effective_lease(); }
};

class GrantOutbox {
public:
  virtual ~GrantOutbox() = default;
  virtual bool send_grant(const std::string& substation, const proto::FeederGrant& grant) = 0;
};

class FeederController {
public:
  FeederController(feeders::Topology topology, FeederSettings settings, FeederMetrics& metrics, GrantOutbox& outbox);

  // A heartbeat the table applied. new_boot: the substation joined or restarted (it holds no grant).
  void on_heartbeat(const proto::Heartbeat& heartbeat, bool new_boot, TimePoint now);
  bool conflicted(const std::string& substation) const { return conflicted_.count(substation) != 0; }

  // Re-divides every feeder and sends the grants that changed (all of them when renew: the lease).
  // Returns the routing cap of every substation it has a view on (infinity: none).
  std::vector<std::pair<std::string, double>> control(const balancing::LoadTable& table, TimePoint now, bool renew);
  // Renewal is due at this time (and at each demand-response boundary).
  std::optional<TimePoint> next_deadline() const;
  bool renewal_due(TimePoint now) const { return now >= last_renewal_ + settings_.control_tick(); }

  proto::FeederLimitAck on_limit(const proto::FeederLimit& limit, TimePoint now);
  // A feeder's effective limit now: its topology limit, or a demand-response limit in force (from
  // its start minus the lead).
  double limit_kw(std::size_t feeder, TimePoint now) const;

  // Whether this balancer granted the feeder at the last control (false before the first).
  bool leading(std::size_t feeder) const { return feeder < leading_.size() && leading_[feeder]; }
  // Whether it leads the feeder's tree as the confirmed sole leader (grants above the safe shares).
  bool sole_leader(std::size_t feeder) const { return leading(feeder) && sole_[root_of(feeder)]; }
  const feeders::Topology& topology() const { return topology_; }
  const feeders::GrantLedger& ledger() const { return ledger_; }

private:
  struct Schedule {
    double limit_kw = 0;
    TimePoint lower_at{};
    std::optional<TimePoint> ends{};
  };
  // What a substation's last heartbeat said about the grant it holds.
  struct Reported {
    double cap_kw = 0;             // the feeder limit it says is in force (infinity: none)
    std::uint64_t other_boot = 0;  // another balancer boot whose fresh grant it holds; 0: none
    bool ours = false;             // it holds this boot's fresh grant
  };
  std::size_t root_of(std::size_t feeder) const;
  std::unordered_map<std::string, double> fallbacks(const balancing::LoadTable& table,
                                                    const std::vector<double>& limits) const;
  Duration real(double grid_seconds) const;

  feeders::Topology topology_;
  FeederSettings settings_;
  FeederMetrics& metrics_;
  GrantOutbox& outbox_;
  feeders::GrantLedger ledger_;
  std::unordered_map<std::size_t, Schedule> schedules_;  // by feeder index
  std::unordered_set<std::string> conflicted_;
  std::unordered_map<std::string, Reported> reported_;
  std::vector<bool> leading_;  // by feeder index, as of the last control
  // By root feeder: confirmed sole leader of the tree. Set once every live substation of it holds
  // our fresh grant; kept while this balancer leads there (a substation joining or restarting
  // holds nobody's grant, and a higher boot's grant is taken over), dropped when it stands down
  // or listens.
  std::vector<bool> sole_;
  std::optional<TimePoint> started_;  // the first control
  TimePoint last_renewal_{};
  LogRateLimit conflict_log_{1, std::chrono::seconds(10)};
};

}  // namespace grid::balancer
