#pragma once
// Replays a trace through an edge: each session is asked for at its arrival (POST /charge with
// its departure, energy and powers), unplugged at its departure (DELETE /sessions/{id}, whose
// answer gives the energy it got), and the grid is looked at every --sample-ms (GET /substations)
// for the time series and the limit check. Trace time runs --time-scale times faster than real
// time, as the substations' does. No per-session polling: two requests per session, plus one
// look at the grid per sample. Thread-safety: run() on one thread, stop() from any.

#include <memory>

#include "driver.h"
#include "trace.h"
#include "trace_summary.h"

namespace grid::loadgen {

class TraceReplay : public Driver {
public:
  // What the replay recorded beyond the charge outcomes; complete once run() has returned.
  virtual const TraceTally& trace_tally() const = 0;
};

// Throws std::runtime_error when the edge's host does not resolve.
std::unique_ptr<TraceReplay> make_trace_replay(const LoadgenConfig& config, const Trace& trace);

}  // namespace grid::loadgen
