// grid-loadgen: rush-hour charging traffic for the grid, through an edge over HTTP or straight to
// the balancer over ZeroMQ. Parses flags into a config and runs it.
#include <CLI/CLI.hpp>

#include "grid/util/logging.h"
#include "grid/util/shutdown.h"
#include "loadgen_config.h"
#include "loadgen_run.h"

int main(int argc, char** argv) {
  grid::loadgen::LoadgenConfig config;
  CLI::App app{"grid-loadgen: plays a rush hour of EVs asking to charge, then prints outcomes, throughput, latency "
               "percentiles and how the sessions spread over the substations. Exits 1 when any request timed out "
               "or failed (\"no capacity\" is an answer, not a failure)."};
  grid::loadgen::add_loadgen_flags(app, config);
  CLI11_PARSE(app, argc, argv);

  grid::setup_logging("loadgen", config.log_level);
  grid::block_shutdown_signals();
  return grid::loadgen::run_loadgen(config);
}
