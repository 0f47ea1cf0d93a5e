#pragma once
// The life of a node process after its flags are parsed: serve /metrics and /healthz, run the
// node's loop on its own thread, and on SIGINT/SIGTERM stop it through its control path and
// return. Call block_shutdown_signals() before creating anything that starts a thread.

#include <functional>
#include <string>

#include "grid/metrics/exposition.h"

namespace grid::app {

struct NodeRun {
  std::string name;                    // for the log
  std::string metrics_address;         // HOST:PORT of the /metrics server; empty for none
  std::function<void()> run;           // blocks until stop()
  std::function<void()> stop;          // any thread
  std::function<bool()> healthy = [] { return true; };
};

// Returns the process exit code: 0 after a signal, 1 when the node or its server failed.
int run_node(const NodeRun& node, const metrics::Exposition& registry);

}  // namespace grid::app
