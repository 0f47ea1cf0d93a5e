#pragma once
// One grid-loadgen run from a validated config: send the traffic, stop early on SIGINT/SIGTERM,
// then print the summary and write it as JSON. Call block_shutdown_signals() first.

#include "loadgen_config.h"

namespace grid::loadgen {

// A one-line description of the run, the summary's heading.
std::string describe(const LoadgenConfig& config);

// Returns the process exit code: 0 when every request ended charging or no capacity, 1 when any
// timed out or failed (or the JSON file could not be written), 128 + signal when interrupted.
int run_loadgen(const LoadgenConfig& config);

}  // namespace grid::loadgen
