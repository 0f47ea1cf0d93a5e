#pragma once
// What a trace replay did to the grid, in the terms an operator (and Caltech's ACN-Sim) judges a
// charging system by: energy asked for against energy delivered before the cars left, how many
// cars left with what they asked, the peak power, any limit crossed, and how sessions and energy
// spread over the substations. A pure function of what the replay recorded, unit-tested without
// a grid. Thread-safety: plain values and pure functions.

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run_report.h"

namespace grid::loadgen {

// One trace session as the replay saw it end.
struct SessionFate {
  enum class Admission { not_sent, admitted, refused, failed };
  Admission admission = Admission::not_sent;
  double requested_kwh = 0;
  std::string session_id;
  std::string substation;
  std::optional<double> delivered_kwh;  // from the answer to the car's unplugging (DELETE)
  std::string final_status;             // "completed", "departed", "stopped"... as the grid said
};

// Everything the replay recorded, filled as answers arrive.
struct TraceTally {
  std::vector<SessionFate> sessions;     // one per trace row, in the trace's order
  std::vector<GridSnapshot> snapshots;   // the grid as GET /substations showed it, in time order
  double max_arrival_lag_ms = 0;         // how late a request left against its trace time
};

struct SubstationTraceShare {
  std::string id;
  std::size_t sessions = 0;
  double session_share = 0;  // of admitted sessions
  double delivered_kwh = 0;
  double energy_share = 0;   // of energy delivered
  double peak_kw = 0;        // highest allocated power seen
  double capacity_kw = 0;    // as last seen (0: never seen in a snapshot)
};

struct TraceSummary {
  std::size_t sessions = 0;
  std::size_t admitted = 0;
  std::size_t refused = 0;    // the grid said no capacity
  std::size_t failed = 0;     // timeouts, errors, or never sent (interrupted)
  std::size_t unsettled = 0;  // admitted, but the final energy is unknown (unplugging unanswered)
  double requested_kwh = 0;   // by every session in the trace, refused ones included
  double delivered_kwh = 0;
  double delivered_share = 0;           // delivered / requested (0..1)
  double delivered_share_admitted = 0;  // delivered / requested by admitted sessions
  std::size_t demand_met = 0;           // sessions that got >= 99% of what they asked
  double demand_met_share = 0;          // of every session in the trace
  double grid_peak_kw = 0;              // highest sum of allocated power over substations at once
  std::size_t limit_violations = 0;     // substation snapshots with allocated power above the limit
  std::size_t snapshots = 0;
  double max_arrival_lag_ms = 0;
  std::vector<SubstationTraceShare> substations;  // by id
};

inline constexpr double demand_met_fraction = 0.99;
// A snapshot counts as a violation when its allocation exceeds the limit by more than this
// (1 W: both are exact whole watts at the substation, shown in kW).
inline constexpr double violation_tolerance_kw = 0.001;

TraceSummary summarize_trace(const TraceTally& tally);

std::string format_trace_summary(const TraceSummary& summary);
nlohmann::json to_json(const TraceSummary& summary);
// The rows of the report's summary table.
std::vector<std::pair<std::string, std::string>> summary_rows(const TraceSummary& summary);
std::vector<SubstationSpread> spread_of(const TraceSummary& summary);

}  // namespace grid::loadgen
