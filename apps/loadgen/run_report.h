#pragma once
// What a trace replay collected while it ran, in the shape the HTML report draws: snapshots of
// every substation over time (from the balancer's live view, GET /substations), the answer
// latencies, the spread of sessions and energy over substations, and the summary as label/value
// rows. Filled by the replay; rendered by report.h. Thread-safety: plain values.

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace grid::loadgen {

// One substation as the grid reported it at one instant.
struct SubstationPoint {
  std::string id;
  bool live = false;
  double allocated_kw = 0;  // power handed to its sessions
  double limit_kw = 0;      // effective limit (operator limit, or capacity)
  double capacity_kw = 0;
  std::size_t charging = 0;  // sessions drawing power
  std::size_t paused = 0;    // sessions plugged in at 0 kW
};

// Every substation at one instant of the replay.
struct GridSnapshot {
  double trace_s = 0;  // seconds of trace (grid) time since the trace's start
  std::vector<SubstationPoint> substations;
};

// A substation's share of the sessions and of the energy delivered, against its fair share.
struct SubstationSpread {
  std::string id;
  double session_share = 0;  // of admitted sessions, 0..1
  double energy_share = 0;   // of energy delivered, 0..1
  double fair_share = 0;     // its capacity share (or 1/n), 0..1
};

struct RunReport {
  std::string title;                 // e.g. "Trace replay: workplace.csv"
  std::string description;           // the run's one-line description (target, trace, scale)
  std::vector<GridSnapshot> snapshots;  // in time order; may be empty
  std::vector<double> latencies_ms;     // answered charge requests, any order; may be empty
  std::vector<SubstationSpread> spread;  // by id
  std::vector<std::pair<std::string, std::string>> summary_rows;  // label, value, in order
};

}  // namespace grid::loadgen
