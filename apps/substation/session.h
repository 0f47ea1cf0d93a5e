#pragma once
// One charging session on a substation: what the car asked for, what it has been given, and when
// its power last switched on or off. Energy is integrated from the allocated power over grid time
// (real time x --time-scale) up to `settled_at`.
// Thread-safety: none; the substation's thread owns its sessions.

#include <cstdint>
#include <optional>
#include <string>

#include "grid/power/admission.h"
#include "grid/proto/messages.h"
#include "grid/util/clock.h"

namespace grid::substation {

struct Session {
  std::string session_id;
  std::string request_id;
  std::uint64_t arrival = 0;  // admission order here
  power::Watts min_w = 0;
  power::Watts max_w = 0;
  power::Watts power_w = 0;  // allocated now; 0: paused
  double energy_kwh = 0;     // asked for
  double delivered_kwh = 0;  // up to settled_at
  TimePoint settled_at{};
  std::optional<TimePoint> departs_at;  // real time the car leaves
  double departs_in_s = 0;              // as asked, grid seconds (0: none)
  int priority = 0;
  TimePoint switched_at{};  // when its power last went from 0 to >0 or back (or it was admitted)
  bool allocated = false;   // had its first allocation (which is a start, not a switch)
  // The boot id of the balancer whose job opened it (0: unknown; not kept in the state file, so a
  // restored session is 0): a cancel without a session id from another balancer leaves it alone.
  std::uint64_t placed_by = 0;

  double energy_left_kwh() const { return energy_kwh > delivered_kwh ? energy_kwh - delivered_kwh : 0.0; }
  bool charging() const { return power_w > 0; }
};

// A session that has ended, as a query still answers it.
struct EndedSession {
  Session session;
  proto::SessionStatus status = proto::SessionStatus::completed;
};

}  // namespace grid::substation
