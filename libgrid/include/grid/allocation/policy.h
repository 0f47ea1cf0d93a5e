#pragma once
// How a substation shares its limit among its charging sessions: the allocation policy interface.
//
// A policy is an order, within one priority class (higher classes are always served first):
// which session comes before which. The allocator keeps sessions charging in that order while
// their minimums fit (the rest are paused), then hands out the power above the minimums group by
// group in that order: each group of sessions the policy does not tell apart gets its share
// before the next group gets any, and within a group the power is shared equally (water-filling:
// equal power, capped by each maximum, raised by what capped sessions leave). So a policy that
// tells nobody apart shares everything equally, and one that orders every session serves them
// one by one, each up to its maximum.
// The arithmetic that applies a policy, and keeps every limit, lives once, in allocator.h.
// Thread-safety: policies are immutable after construction; safe from any thread.

#include <cstdint>
#include <limits>
#include <string_view>

#include "grid/power/admission.h"

namespace grid::allocation {

// What the allocator needs to know about one session, at the moment of allocating.
struct SessionDemand {
  std::uint64_t arrival = 0;  // admission order on this substation: smaller came first
  power::Watts min_w = 0;     // the lowest rate at which it charges at all (> 0)
  power::Watts max_w = 0;     // the most the car and charger take (>= min_w)
  double energy_left_kwh = 0;
  // Grid seconds until the car leaves; infinity: it stays until full.
  double seconds_to_departure = std::numeric_limits<double>::infinity();
  int priority = 0;      // 0-9, higher first
  bool charging = false;  // has power now (false: paused, or new)
  // False while it switched (paused or resumed) less than --min-switch-s ago: the allocator keeps
  // its state unless a limit leaves no other way.
  bool may_switch = true;

  // Grid seconds it can still wait at zero power and finish at full power before it leaves.
  double laxity_s() const;
};

class AllocationPolicy {
public:
  virtual ~AllocationPolicy() = default;
  virtual std::string_view name() const = 0;
  // Within one priority class, a session's place in the order: smaller comes first. Sessions of
  // equal rank are not told apart: they share equally, and when not every minimum fits, the
  // earlier arrival among them stays. A rank (not a comparison) so the allocator computes it once
  // per session rather than twice per comparison: sorting 10,000 sessions by laxity otherwise
  // spends most of its time recomputing laxities. Never NaN; infinity ranks last.
  virtual double rank(const SessionDemand& session) const = 0;
  bool before(const SessionDemand& a, const SessionDemand& b) const { return rank(a) < rank(b); }
};

}  // namespace grid::allocation
