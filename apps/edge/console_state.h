#pragma once
// What the operator console (GET /, docs/console.md) polls once a second: GET /console/state, the
// balancer's substation list with grid totals and the edge's own counters of the API traffic it
// answered. The counters are a handful of relaxed atomics bumped once per answer, so a console
// that nobody has open costs the edge nothing it could measure.
// Thread-safety: ConsoleCounters is safe from any thread; the functions are pure and reentrant.

#include <atomic>
#include <cstdint>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "grid/util/clock.h"
#include "substation_list.h"

namespace grid::edge {

class ConsoleCounters {
public:
  struct Snapshot {
    std::uint64_t api_requests = 0;     // answers of the API routes (not the console, /metrics, /healthz)
    std::uint64_t unavailable = 0;      // of which 503
    std::uint64_t charges_admitted = 0; // POST /charge answered 200
    std::uint64_t charges_refused = 0;  // POST /charge answered 503: no capacity, or too busy
  };

  // One answer of the route labelled `handler` (the router's labels).
  void answered(std::string_view handler, int status);
  Snapshot snapshot() const;

private:
  std::atomic<std::uint64_t> api_requests_{0};
  std::atomic<std::uint64_t> unavailable_{0};
  std::atomic<std::uint64_t> charges_admitted_{0};
  std::atomic<std::uint64_t> charges_refused_{0};
};

// One substation as GET /substations and GET /console/state show it.
nlohmann::json substation_json(const proto::SubstationInfo& info);

// The body of GET /console/state:
//   {"edge": {"uptime_s", "api_requests_total", "unavailable_total", "charges_admitted_total",
//             "charges_refused_total", "operators_enabled"},
//    "totals": {"substations", "live", "capacity_kw", "limit_kw", "allocated_kw", "sessions",
//               "paused_sessions"},   (sums over the live substations; "substations" counts all)
//    "substations": [substation_json, ...]}
nlohmann::json console_state_json(const ConsoleCounters::Snapshot& counters, const SubstationList& substations,
                                  Duration uptime, bool operators_enabled);

}  // namespace grid::edge
