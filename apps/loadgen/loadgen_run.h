#pragma once
// One grid-loadgen run from a validated config: send the traffic, stop early on SIGINT/SIGTERM,
// then print the summary and write it as JSON. Call block_shutdown_signals() first.

#include "loadgen_config.h"
#include "trace.h"

namespace grid::loadgen {

// A one-line description of the run, the summary's heading; `trace` when it replays one.
std::string describe(const LoadgenConfig& config, const Trace* trace = nullptr);

// Returns the process exit code: 0 when every request ended charging or no capacity, 1 when any
// timed out or failed (or the JSON file or report could not be written, or a replay saw a limit
// crossed), 2 for a trace that cannot be replayed, 128 + signal when interrupted.
int run_loadgen(const LoadgenConfig& config);

}  // namespace grid::loadgen
