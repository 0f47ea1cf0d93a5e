#pragma once
// Replays a trace: each session is asked for at its arrival (with its departure, energy and
// powers), unplugged at its departure (the answer gives the energy it got), and the grid is
// looked at every --sample-ms for the time series and the limit check. Over HTTP through an edge
// (POST /charge, DELETE /sessions/{id}, GET /substations), or over ZeroMQ straight to the
// balancer's frontend (ChargeRequest, SessionQuery with stop, SubstationsQuery). Trace time runs --time-scale times faster than real
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

// The replay for the target's kind. Throws std::runtime_error when the edge's host does not resolve.
std::unique_ptr<TraceReplay> make_trace_replay(const LoadgenConfig& config, const Trace& trace);
std::unique_ptr<TraceReplay> make_http_trace_replay(const LoadgenConfig& config, const Trace& trace);
std::unique_ptr<TraceReplay> make_zmq_trace_replay(const LoadgenConfig& config, const Trace& trace);

}  // namespace grid::loadgen
