// grid-edge: the grid's public HTTP API. Parses flags, runs the node.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <memory>

#include "balancer_list.h"
#include "edge_node.h"
#include "grid/metrics/exposition.h"
#include "grid/metrics/process_collector.h"
#include "grid/util/host_port.h"
#include "grid/util/logging.h"
#include "grid/util/shutdown.h"
#include "curve_flags.h"
#include "node_cli.h"
#include "node_runner.h"

int main(int argc, char** argv) {
  grid::edge::EdgeConfig config;
  std::string listen = "0.0.0.0:8080";
  std::string log_level = "info";
  std::string operator_token_file;

  CLI::App app{"grid-edge: the grid's HTTP API. POST /charge asks the balancer for a charging session; GET and "
               "DELETE /sessions/{id} read or stop one; GET /substations lists the grid; PUT and DELETE "
               "/substations/{id}/limit set or clear an operator limit (with a token); GET /healthz and GET /metrics "
               "are served on the same --listen address"};
  grid::app::add_host_port_flag(app, "--listen", listen,
                                "Where to serve HTTP (HOST:PORT): the API, GET /healthz and GET /metrics");
  app.add_option("--balancer", config.broker.balancer_endpoints,
                 "A balancer's frontend (ZeroMQ endpoint); repeat the flag or give a comma-separated list for several "
                 "balancers, at least one, none twice. The edge connects a DEALER to each and uses all at once: a "
                 "charge goes to the balancer its request id hashes to (rendezvous hashing, so the same "
                 "Idempotency-Key reaches the same balancer from any edge with the same list), other queries in "
                 "turn, a feeder limit to every balancer; a request fails over to the next balancer when its own "
                 "stops answering. All balancers of a grid share one CurveZMQ server key pair: one --balancer-key serves them all")
      ->delimiter(',')
      ->check(CLI::Validator([](std::string& endpoint) { return grid::edge::balancer_endpoint_error(endpoint); },
                             "ENDPOINT"))
      ->capture_default_str();
  grid::app::add_milliseconds_flag(app, "--timeout-ms", config.broker.timeout,
                                   "How long a request (a charge, a session, the substation list, a limit) may wait "
                                   "for the balancer before it is answered 504, in milliseconds",
                                   1, 600'000);
  app.add_option("--max-in-flight", config.max_in_flight,
                 "Charge requests waiting for the balancer at once; beyond it requests are answered 503 at once")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  app.add_option("--threads", config.http_threads, "HTTP threads (the one ZeroMQ thread comes on top)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--operator-token-file", operator_token_file,
                 "A file of the bearer tokens accepted for PUT and DELETE /substations/{id}/limit, one per line (blank "
                 "lines and #-comments ignored); read once at start. Without it the operator endpoints answer 403");
  grid::app::CurveClientFlags curve;
  grid::app::add_curve_client_flags(app, curve);
  app.add_option("--rate-limit", config.rate_limit.per_second,
                 "POST /charge requests per second allowed from one client address (the TCP peer; X-Forwarded-For is "
                 "not trusted); beyond it 429 with Retry-After. 0: no limit")
      ->check(grid::app::finite_range(0.0, 1'000'000.0))
      ->capture_default_str();
  auto* burst = app.add_option("--rate-burst", config.rate_limit.burst,
                               "POST /charge requests one client address may send at once under --rate-limit "
                               "(default: twice the rate, at least 1)")
                    ->check(grid::app::finite_range(1.0, 1'000'000.0))
                    ->needs("--rate-limit");
  std::string tls_cert;
  std::string tls_key;
  auto* cert_flag = app.add_option("--tls-cert", tls_cert,
                                   "A PEM file of the server's certificate (then any intermediates): with --tls-key, "
                                   "--listen serves HTTPS only (TLS 1.2 and later)")
                        ->check(CLI::ExistingFile);
  auto* key_flag = app.add_option("--tls-key", tls_key, "The PEM file of --tls-cert's private key (unencrypted)")
                       ->check(CLI::ExistingFile);
  cert_flag->needs(key_flag);
  key_flag->needs(cert_flag);
  grid::app::add_log_level_flag(app, log_level);
  // Duplicates need the whole list: checked once every flag is parsed, as a parse error.
  app.final_callback([&] {
    if (auto error = grid::edge::balancer_list_error(config.broker.balancer_endpoints); !error.empty()) {
      throw CLI::ValidationError("--balancer", error);
    }
  });
  CLI11_PARSE(app, argc, argv);
  if (!tls_cert.empty()) config.tls = grid::http::TlsFiles{tls_cert, tls_key};
  if (burst->count() == 0) config.rate_limit.burst = std::max(1.0, 2 * config.rate_limit.per_second);
  const auto address = grid::parse_host_port(listen);  // checked by the flag
  config.listen_host = address->host;
  config.listen_port = address->port;

  grid::setup_logging("edge", log_level);
  grid::block_shutdown_signals();
  try {
    config.broker.curve = grid::app::load_curve_client(curve, "edge");
    // A missing, unreadable or empty file stops the start: an operator who configured tokens must
    // not find the endpoints silently disabled.
    if (!operator_token_file.empty()) config.operators = grid::edge::OperatorAuth::from_file(operator_token_file);
    zmq::context_t context;
    grid::metrics::Exposition exposition;
    exposition.add(std::make_shared<grid::metrics::ProcessCollector>());
    grid::edge::EdgeNode node(context, config, exposition);
    node.start_http();
    // /metrics and /healthz are the edge's own routes, so run_node serves no second port.
    const int code = grid::app::run_node({.name = "edge",
                                          .metrics_address = "",
                                          .run = [&] { node.run(); },
                                          .stop = [&] { node.stop(); },
                                          .healthy = [&] { return node.healthy(); }},
                                         exposition);
    node.stop_http();
    return code;
  } catch (const std::exception& error) {
    spdlog::critical("cannot start: {}", error.what());
    return 1;
  }
}
