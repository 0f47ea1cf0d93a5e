// grid-loadgen: rush-hour charging traffic for the grid, through an edge over HTTP(S) or straight
// to the balancer over ZeroMQ. Parses flags into a config and runs it.
#include <CLI/CLI.hpp>

#include "curve_flags.h"
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
  grid::app::CurveClientFlags curve;
  grid::app::add_curve_client_flags(app, curve);
  CLI11_PARSE(app, argc, argv);

  grid::setup_logging("loadgen", config.log_level);
  for (const auto& problem : {grid::loadgen::tls_flags_problem(config), grid::loadgen::targets_problem(config)}) {
    if (!problem.empty()) {
      spdlog::critical("cannot start: {}", problem);
      return 1;
    }
  }
  if (config.target().mode == grid::loadgen::Target::Mode::zmq) {
    try {
      config.curve = grid::app::load_curve_client(curve, "loadgen");
    } catch (const std::exception& error) {
      spdlog::critical("cannot start: {}", error.what());
      return 1;
    }
  } else if (!curve.secret_file.empty()) {
    spdlog::critical("cannot start: --curve-secret and --balancer-key apply to a tcp:// target; an http:// target "
                     "goes through the edge, which holds its own key");
    return 1;
  }
  grid::block_shutdown_signals();
  return grid::loadgen::run_loadgen(config);
}
