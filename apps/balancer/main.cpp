// grid-balancer: the broker between charge requests and substations. Parses flags, runs the node.
#include <CLI/CLI.hpp>
#include <memory>

#include "balancer_node.h"
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
  int heartbeat_ms = 250;
  int dispatch_timeout_ms = 500;
  int warmup_ms = -1;

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
  app.add_option("--heartbeat-ms", heartbeat_ms, "Heartbeat interval the substations use, in milliseconds")
      ->check(CLI::Range(10, 60'000))
      ->capture_default_str();
  app.add_option("--liveness", config.liveness, "Missed heartbeats after which a substation is dead")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--dispatch-timeout-ms", dispatch_timeout_ms,
                 "How long to wait for a substation's answer before trying another, in milliseconds")
      ->check(CLI::Range(10, 60'000))
      ->capture_default_str();
  app.add_option("--warmup-ms", warmup_ms,
                 "After start, hold requests this long so every live substation has reported its load first "
                 "(default: two heartbeat intervals)")
      ->check(CLI::Range(0, 60'000));
  app.add_option("--max-in-flight", config.max_in_flight,
                 "Requests waiting for a substation at once; beyond it requests are answered busy at once")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app.add_option("--max-substations", config.max_substations, "Substations the load table tracks at most")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  grid::app::add_host_port_flag(app, "--metrics", metrics, "Where to serve GET /metrics and /healthz (HOST:PORT)");
  grid::app::add_log_level_flag(app, log_level);
  CLI11_PARSE(app, argc, argv);
  config.heartbeat_interval = std::chrono::milliseconds(heartbeat_ms);
  config.dispatch_timeout = std::chrono::milliseconds(dispatch_timeout_ms);
  config.warmup = std::chrono::milliseconds(warmup_ms >= 0 ? warmup_ms : 2 * heartbeat_ms);

  grid::setup_logging("balancer", log_level);
  grid::block_shutdown_signals();
  try {
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
