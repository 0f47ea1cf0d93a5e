// grid-balancer: the broker between charge requests and substations. Parses flags, runs the node.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <csignal>
#include <memory>

#include <sys/signalfd.h>

#include "balancer_node.h"
#include "curve_flags.h"
#include "grid/balancing/policy_registry.h"
#include "grid/metrics/exposition.h"
#include "grid/metrics/process_collector.h"
#include "grid/util/logging.h"
#include "grid/util/shutdown.h"
#include "node_cli.h"
#include "node_runner.h"

int main(int argc, char** argv) {
  grid::balancer::BalancerConfig config;
  std::string metrics = "0.0.0.0:9100";
  std::string log_level = "info";
  auto& grid = config.grid;
  auto& dispatch = config.dispatch;

  CLI::App app{"grid-balancer: routes every EV charge request to a substation that can take it, from a live load "
               "table fed by the substations' heartbeats"};
  grid::app::add_endpoint_flag(app, "--frontend", config.frontend_endpoint,
                               "ROUTER endpoint to bind for edges and load generators (charge requests)");
  grid::app::add_endpoint_flag(app, "--backend", config.backend_endpoint,
                               "ROUTER endpoint to bind for substations (charge jobs)");
  grid::app::add_endpoint_flag(app, "--heartbeats", config.heartbeats_endpoint,
                               "SUB endpoint to bind for substation heartbeats");
  app.add_option("--policy", config.policy, "How to pick a substation for a request")
      ->check(CLI::IsMember(grid::balancing::policy_names()))
      ->capture_default_str();
  grid::app::add_milliseconds_flag(app, "--heartbeat-ms", grid.heartbeat_interval,
                                   "Heartbeat interval the substations use, in milliseconds", 10, 60'000);
  app.add_option("--liveness", grid.liveness,
                 "Heartbeat intervals without a word after which a substation is dead (at least 2: one late "
                 "heartbeat is jitter, not death)")
      ->check(CLI::Range(2, 100))
      ->capture_default_str();
  grid::app::add_milliseconds_flag(app, "--dispatch-timeout-ms", dispatch.dispatch_timeout,
                                   "How long to wait for a substation's answer before trying another, in milliseconds",
                                   10, 60'000);
  app.add_option_function<int>(
         "--warmup-ms", [&config](int ms) { config.warmup = std::chrono::milliseconds(ms); },
         "After start, hold requests this long so every live substation has reported its load first "
         "(default: two heartbeat intervals)")
      ->check(CLI::Range(0, 60'000));
  app.add_option("--eject-after", grid.ejection.consecutive_failures,
                 "Jobs in a row a substation may fail (no answer in time, or unreachable) before it is taken out "
                 "of routing; 0 never ejects")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  grid::app::add_milliseconds_flag(app, "--eject-base-ms", grid.ejection.base,
                                   "How long a first ejection lasts, in milliseconds; each further one lasts this "
                                   "much longer",
                                   10, 3'600'000);
  grid::app::add_milliseconds_flag(app, "--eject-max-ms", grid.ejection.longest,
                                   "The longest an ejection lasts, in milliseconds", 10, 86'400'000);
  app.add_option("--max-ejected-percent", grid.ejection.max_ejected_percent,
                 "The most of the live substations ejected at once, in percent (one may always be)")
      ->check(CLI::Range(0, 100))
      ->capture_default_str();
  app.add_option("--remembered-requests", dispatch.remembered_answers,
                 "Answered request ids kept to answer a retry with the same session (oldest forgotten first)")
      ->check(CLI::Range(1, 10'000'000))
      ->capture_default_str();
  app.add_option("--max-in-flight", dispatch.max_in_flight,
                 "Requests waiting for a substation at once; beyond it requests are answered busy at once")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app.add_option("--max-pending-queries", config.max_pending_queries,
                 "Session, stop and limit queries waiting for a substation at once; beyond it they are answered "
                 "busy at once")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  std::string topology_file;
  app.add_option("--topology", topology_file,
                 "JSON file of feeders: their kW limits, parents and substations (docs/feeders.md); checked at start")
      ->check(CLI::ExistingFile);
  app.add_option_function<int>(
         "--grant-lease-ms", [&config](int ms) { config.grant_lease = std::chrono::milliseconds(ms); },
         "How long a feeder grant holds without renewal before the substation falls back, in milliseconds "
         "(default: three heartbeat intervals)")
      ->check(CLI::Range(10, 600'000));
  app.add_option("--time-scale", config.time_scale,
                 "Grid seconds per real second, as the substations use: demand-response start and duration are "
                 "grid seconds")
      ->check(grid::app::finite_range(0.001, 1e7))
      ->capture_default_str();
  app.add_option("--max-substations", grid.max_substations, "Substations the load table tracks at most")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  std::string curve_secret_file;
  auto* curve_secret = grid::app::add_curve_secret_flag(app, curve_secret_file);
  auto* allow_substations =
      app.add_option("--curve-allow-substations", config.curve_allow.substations,
                     "Directory of the substations' public key files, one per substation named after its id "
                     "(ID.key): the backend and heartbeat sockets admit only these keys; re-read on SIGHUP")
          ->check(CLI::ExistingDirectory);
  auto* allow_clients = app.add_option("--curve-allow-clients", config.curve_allow.clients,
                                       "Directory of the edges' and load generators' public key files (ID.key): "
                                       "the frontend admits only these keys; re-read on SIGHUP")
                            ->check(CLI::ExistingDirectory);
  // All three or none: a balancer with a key but no allow list would refuse everyone, one with
  // allow lists but no key would check nobody.
  curve_secret->needs(allow_substations)->needs(allow_clients);
  allow_substations->needs(curve_secret);
  allow_clients->needs(curve_secret);
  grid::app::add_host_port_flag(app, "--metrics", metrics, "Where to serve GET /metrics and /healthz (HOST:PORT)");
  grid::app::add_log_level_flag(app, log_level);
  CLI11_PARSE(app, argc, argv);
  if (config.grant_lease && *config.grant_lease <= grid.heartbeat_interval) {
    std::fprintf(stderr, "--grant-lease-ms must be longer than --heartbeat-ms: grants are renewed once per interval\n");
    return 2;
  }

  grid::setup_logging("balancer", log_level);
  if (!curve_secret_file.empty()) {
    // SIGHUP re-reads the allow lists: blocked in every thread (before any starts) and read from a
    // signalfd in the balancer's loop, so no work happens in a signal handler.
    sigset_t hangup;
    sigemptyset(&hangup);
    sigaddset(&hangup, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &hangup, nullptr);
    config.reload_fd = signalfd(-1, &hangup, SFD_NONBLOCK | SFD_CLOEXEC);
  }
  grid::block_shutdown_signals();
  try {
    if (curve_secret_file.empty()) {
      grid::app::warn_unauthenticated("balancer");
    } else {
      config.curve_secret_key = grid::transport::load_own_keys(curve_secret_file).secret_key;
    }
    if (!topology_file.empty()) config.topology = grid::feeders::Topology::load(topology_file);
    zmq::context_t context;
    grid::metrics::Exposition exposition;
    exposition.add(std::make_shared<grid::metrics::ProcessCollector>());
    grid::balancer::BalancerNode node(context, config, exposition.registry());
    return grid::app::run_node({.name = "balancer",
                                .metrics_address = metrics,
                                .run = [&] { node.run(); },
                                .stop = [&] { node.stop(); }},
                               exposition);
  } catch (const std::exception& error) {
    spdlog::critical("cannot start: {}", error.what());
    return 1;
  }
}
