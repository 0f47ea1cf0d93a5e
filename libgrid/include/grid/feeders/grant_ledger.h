#pragma once
// Moving grants without ever letting a feeder's substations draw past its limit, even while
// budgets move: lower first, raise only into room that confirmed lowerings have freed.
//
// For each substation the ledger keeps the grants it may still be acting on: those sent and not yet
// superseded by a confirmed later one. What it may draw (its ceiling) is the largest of them. A
// grant is confirmed when a heartbeat shows grant_seq >= its seq and load_kw <= it; the older ones
// are then forgotten. A raise is sent only as far as every feeder on the substation's path has
// room: the sum of its substations' ceilings stays within the feeder's limit. A substation not
// granted for lease + margin is counted at its fallback (it has fallen back); one never granted
// at the feeder limit it reports in force, else its own limit; one of the topology never heard
// from at an equal share of its feeders (it may be drawing all the same).
// Time comes in as a parameter. Thread-safety: none; one owner.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "grid/feeders/topology.h"
#include "grid/power/admission.h"
#include "grid/util/clock.h"

namespace grid::feeders {

struct LedgerSettings {
  Duration lease = std::chrono::milliseconds(750);
  // How late a substation may see a lease start after we sent it (delivery, its poll).
  Duration margin = std::chrono::milliseconds(250);
};

struct PlannedGrant {
  std::string substation;
  std::uint64_t seq = 0;
  double granted_kw = 0;
  double fallback_kw = 0;
};

class GrantLedger {
public:
  // first_seq: the seq of the first grant; a new balancer boot must start above what an older one
  // sent (the caller derives it from the wall clock), or an old grant_seq would confirm new grants.
  GrantLedger(const Topology& topology, LedgerSettings settings, std::uint64_t first_seq);

  // A substation that joined, restarted, or was granted by another balancer boot: it may draw up
  // to `ceiling_kw` (the feeder limit it reports in force, else its own limit) until our grants
  // to it are confirmed.
  void reset(const std::string& substation, double ceiling_kw);
  bool knows(const std::string& substation) const { return states_.count(substation) != 0; }
  // Several balancers: the substation holds another balancer boot's grant, `kw` in force (its
  // last heartbeat). It is counted at least at that until one of our grants is confirmed; the
  // newer report replaces the older (the other balancer may have lowered it). Its heartbeats'
  // grant_seq are that boot's and must not go to on_heartbeat.
  void hold_foreign(const std::string& substation, double kw);
  // A heartbeat's grant_seq, granted_kw and load_kw.
  void on_heartbeat(const std::string& substation, std::uint64_t grant_seq, double granted_kw, double load_kw,
                    TimePoint now);
  // What the substation may be drawing now, as far as we know.
  double counted_kw(const std::string& substation, TimePoint now) const;
  // The newest grant sent, if any: what routing counts as its limit.
  std::optional<double> sent_kw(const std::string& substation) const;

  // Moves each listed substation's grant toward its target (a division's grant), as far as the
  // limits allow. fallback_kw: each one's fallback. renew: resend unchanged grants too (the lease).
  // Returns the grants to send, already recorded as sent.
  std::vector<PlannedGrant> move(const std::vector<double>& feeder_limit_kw,
                                 const std::unordered_map<std::string, double>& target_kw,
                                 const std::unordered_map<std::string, double>& fallback_kw, TimePoint now,
                                 bool renew);

  // The sum of ceilings under each feeder, nested included (for tests and checks).
  std::vector<double> counted_by_feeder(TimePoint now) const;

private:
  struct Held {
    std::uint64_t seq = 0;
    power::Watts kw = 0;
    power::Watts fallback = 0;
  };
  struct State {
    std::vector<Held> held;  // oldest first
    TimePoint last_sent{};
    bool granted = false;  // a grant was ever sent
  };
  static constexpr std::size_t max_held = 16;

  power::Watts ceiling(const State& state, TimePoint now) const;
  bool lapsed(const State& state, TimePoint now) const;
  void settle(State& state, TimePoint now) const;  // a lapsed lease: only the fallback remains
  void add_unheard(const std::vector<double>& feeder_limit_kw, std::vector<power::Watts>& sums) const;

  const Topology& topology_;
  LedgerSettings settings_;
  std::uint64_t next_seq_;
  std::unordered_map<std::string, State> states_;
};

}  // namespace grid::feeders
