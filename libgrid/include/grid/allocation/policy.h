#pragma once
// How a substation shares its limit among its charging sessions: the allocation policy interface.
//
// A policy says two things, within one priority class (higher classes are always served first):
// - who comes first: the order in which sessions are kept charging when not every minimum fits
//   under the limit (the rest are paused), and in which the power above the minimums is handed out;
// - how that power is shared: in order (each session up to its maximum before the next gets any)
//   or equally (water-filling: equal power, capped by each maximum, raised by what capped sessions
//   leave).
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

enum class Sharing { in_order, equally };

class AllocationPolicy {
public:
  virtual ~AllocationPolicy() = default;
  virtual std::string_view name() const = 0;
  // Within one priority class: does `a` come before `b`? A strict weak order; the allocator breaks
  // ties by arrival.
  virtual bool before(const SessionDemand& a, const SessionDemand& b) const = 0;
  virtual Sharing sharing() const = 0;
};

}  // namespace grid::allocation
