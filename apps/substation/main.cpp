// grid-substation: one substation of the grid. Parses its flags and runs the node.
#include <CLI/CLI.hpp>
#include <memory>

#include "grid/allocation/policy_registry.h"
#include "grid/metrics/exposition.h"
#include "grid/metrics/process_collector.h"
#include "grid/power/admission.h"
#include "grid/proto/limits.h"
#include "grid/proto/codec.h"
#include "grid/util/logging.h"
#include "grid/util/shutdown.h"
#include "curve_flags.h"
#include "node_cli.h"
#include "node_runner.h"
#include "substation_node.h"

int main(int argc, char** argv) {
  grid::substation::SubstationConfig config;
  auto& station = config.station;
  std::string metrics = "0.0.0.0:9101";
  std::string log_level = "info";

  CLI::App app{"grid-substation: a substation that admits charging sessions while every car's minimum fits under "
               "its limit, shares its power among them with an allocation policy, and publishes its state to the "
               "balancer"};
  app.add_option("--id", station.id, "Substation id, unique in the grid (1-64 printable ASCII characters)")
      ->required()
      ->check([](const std::string& id) { return grid::proto::valid_id(id) ? "" : "must be 1-64 printable ASCII characters"; });
  app.add_option("--capacity-kw", station.capacity_kw, "Power this substation can supply, in kW")
      ->required()
      ->check(grid::app::finite_range(grid::power::min_session_kw, grid::proto::limits::max_capacity_kw));
  grid::app::add_endpoints_flag(app, "--balancer", config.balancer_endpoints,
                                "Every balancer's backend: one DEALER connects to each, and each answer goes back "
                                "to the balancer that asked")
      ->required();
  grid::app::add_endpoints_flag(app, "--heartbeats", config.heartbeats_endpoints,
                                "Every balancer's heartbeat endpoint: the PUB connects to all of them, so each "
                                "balancer hears every heartbeat and every new admission")
      ->required();
  app.add_option("--allocation", config.allocation,
                 "How the limit is shared among the sessions: llf (least laxity first), edf (earliest departure "
                 "first), equal-share (water-filling) or fcfs (first come, first served); higher priorities first, "
                 "and cars a policy does not tell apart (no departure given) share equally")
      ->check(CLI::IsMember(grid::allocation::policy_names()))
      ->capture_default_str();
  app.add_option("--min-power-kw", station.default_min_kw,
                 "The minimum rate of a car whose request names none, in kW (1.4 kW: 6 A on one phase); below its "
                 "minimum a car is paused, never throttled")
      ->check(grid::app::finite_range(grid::power::min_session_kw, grid::proto::limits::max_power_kw))
      ->capture_default_str();
  app.add_option("--min-switch-s", station.min_switch_s,
                 "Grid seconds a car keeps its state after it was paused or resumed, unless a limit drop forces it")
      ->check(grid::app::finite_range(0, 86'400))
      ->capture_default_str();
  grid::app::add_milliseconds_flag(app, "--control-ms", config.control_interval,
                                   "Re-allocate at least this often, in milliseconds (and on every event)", 10, 60'000);
  app.add_option("--remembered-sessions", station.remembered_sessions,
                 "Ended sessions still answered by GET /sessions/{id} (oldest forgotten first)")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  app.add_option("--remembered-requests", station.remembered_requests,
                 "Admitted request ids kept to answer a retried job with the same session (oldest forgotten first)")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  grid::app::add_milliseconds_flag(app, "--heartbeat-ms", config.heartbeat_interval, "Heartbeat interval in milliseconds",
                                   10, 60'000);
  app.add_option("--feeder", station.feeder.feeder_id,
                 "The feeder this substation says it hangs on, sent in every heartbeat (the balancer's topology is "
                 "the source of truth). With --feeder it draws at most --fallback-kw until the balancer first grants "
                 "it a share of the feeder: by default that is 0, so it admits nothing before the first grant")
      ->check([](const std::string& id) { return grid::proto::valid_id(id) ? "" : "must be 1-64 printable ASCII characters"; });
  app.add_option_function<double>(
         "--fallback-kw", [&station](double kw) { station.feeder.fallback_kw = kw; },
         "The feeder limit when no fresh grant holds, in kW (never above the last grant); default: the last grant's "
         "fallback_kw, and 0 before any grant")
      ->check(grid::app::finite_range(0, grid::proto::limits::max_capacity_kw));
  app.add_option_function<int>(
         "--grant-lease-ms",
         [&config](int ms) { config.grant_lease = std::chrono::milliseconds(ms); },
         "Real milliseconds a feeder grant holds without a fresh one before the substation falls back (a grant's "
         "shorter lease wins); default: 3 heartbeat intervals")
      ->check(CLI::Range(10, 3'600'000));
  app.add_option("--time-scale", station.time_scale,
                 "Simulated seconds per real second: a 1-hour session lasts 3600/scale real seconds")
      ->check(grid::app::finite_range(0.001, 1e7))
      ->capture_default_str();
  app.add_option("--state", config.state_path,
                 "SQLite file the sessions, request memory and operator limit are kept in (WAL), committed before "
                 "each answer, so a restart after a crash resumes them; refused at start when it is not this "
                 "substation's own file. Without it the sessions live in memory only")
      ->check([](const std::string& path) { return path.empty() ? "must not be empty" : ""; });
  grid::app::CurveClientFlags curve;
  grid::app::add_curve_client_flags(app, curve);
  grid::app::add_host_port_flag(app, "--metrics", metrics, "Where to serve GET /metrics and /healthz (HOST:PORT)");
  grid::app::add_log_level_flag(app, log_level);
  CLI11_PARSE(app, argc, argv);

  grid::setup_logging("substation:" + station.id, log_level);
  grid::block_shutdown_signals();
  try {
    config.curve = grid::app::load_curve_client(curve, "substation " + station.id);
    zmq::context_t context;
    grid::metrics::Exposition exposition;
    exposition.add(std::make_shared<grid::metrics::ProcessCollector>());
    grid::substation::SubstationNode node(context, config, exposition.registry());
    return grid::app::run_node({.name = "substation " + station.id,
                                .metrics_address = metrics,
                                .run = [&] { node.run(); },
                                .stop = [&] { node.stop(); }},
                               exposition);
  } catch (const std::exception& error) {
    spdlog::critical("cannot start: {}", error.what());
    return 1;
  }
}
