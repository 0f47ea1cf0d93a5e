#include "edge_node.h"

#include <thread>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "charge_request.h"
#include "charge_response.h"
#include "grid/http/ops.h"
#include "grid/util/host_port.h"

namespace grid::edge {
namespace {

http::ServerOptions server_options(const EdgeConfig& config) {
  http::ServerOptions options;
  options.host = config.listen_host;
  options.port = config.listen_port;
  options.threads = config.http_threads;
  options.body_limit = 64 * 1024;  // larger charge requests are 413 before we see them
  // Each waiting request holds a connection: room for all of them and for the ops endpoints.
  options.max_connections = std::max<std::size_t>(options.max_connections, config.max_in_flight + 64);
  options.tls = config.tls;
  return options;
}

}  // namespace

EdgeNode::EdgeNode(zmq::context_t& context, EdgeConfig config, metrics::Exposition& registry, const Clock& clock)
    : config_(std::move(config)),
      registry_(registry),
      clock_(clock),
      started_(clock.now()),
      metrics_(registry.registry()),
      rate_limiter_(config_.rate_limit),
      in_flight_(config_.max_in_flight,
                 [this](int delta) { delta > 0 ? metrics_.request_started() : metrics_.request_finished(); }),
      broker_(context, config_.broker, metrics_, clock),
      router_([this](std::string_view handler, int status, Duration elapsed) { answered(handler, status, elapsed); },
              clock),
      server_(server_options(config_), http::handler_of(router_)) {
  router_
      .route("POST", "/charge", "charge",
             [this](http::Request request, http::Respond respond) { charge(request, std::move(respond)); })
      .route("GET", "/healthz", "healthz", [this](const http::Request&, const http::Respond& respond) { health(respond); })
      .route("GET", "/metrics", "metrics", [this](const http::Request&, const http::Respond& respond) {
        respond(http::metrics_response(registry_));
      });
  add_query_routes();
  add_console_routes();
}

EdgeNode::~EdgeNode() { server_.stop(); }

void EdgeNode::start_http() {
  server_.start();
  const char* scheme = config_.tls ? "https" : "http";
  spdlog::info("edge: {} on {}:{} ({} threads): POST /charge, GET|DELETE /sessions/{{id}}, GET /substations, "
               "PUT|DELETE /substations/{{id}}/limit and /feeders/{{id}}/limit (operators: {}), GET /healthz, GET /metrics; "
               "the operator console on {}://{}:{}/",
               config_.tls ? "HTTPS" : "HTTP", config_.listen_host, server_.port(), config_.http_threads,
               config_.operators.enabled() ? "token file" : "disabled, no --operator-token-file", scheme,
               config_.listen_host == "0.0.0.0" ? "127.0.0.1" : config_.listen_host, server_.port());
}

void EdgeNode::stop_http(std::chrono::milliseconds grace) {
  // run() has answered every request; the answers are being written by the HTTP threads.
  const auto until = std::chrono::steady_clock::now() + grace;
  while (in_flight_.count() > 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Every answer has been handed to its connection; the server's stop lets a write in progress
  // finish before it closes that connection.
  server_.stop();
}

void EdgeNode::charge(const http::Request& request, http::Respond respond) {
  // Before anything else, so a greedy client costs no parsing and no in-flight slot.
  if (const auto decision = rate_limiter_.admit(request.remote_address, clock_.now()); !decision.admitted) {
    metrics_.rate_limited();
    return respond(rate_limited_response(decision.retry_after_s));
  }
  auto parsed = parse_charge(request);
  if (auto* rejection = std::get_if<ChargeRejection>(&parsed)) {
    return respond(json_response(rejection->status, {{"error", rejection->message}}));
  }
  // From here the slot travels with the answer: whoever answers (the broker, a shutdown, a
  // dropped callback) gives it back.
  auto held = in_flight_.hold(respond);
  if (!held) return respond(unavailable_response("edge overloaded", retry_after_busy_s));
  auto input = std::get<ChargeInput>(std::move(parsed));
  std::string vehicle_id = input.vehicle_id;
  broker_.submit(std::move(input), [respond = std::move(*held), vehicle_id = std::move(vehicle_id)](BrokerAnswer result) {
    respond(charge_response(result, vehicle_id));
  });
}

void EdgeNode::health(const http::Respond& respond) const {
  // 200 while at least one balancer answers: the edge can place requests.
  const std::size_t answering = broker_.answering_balancers();
  const bool up = answering > 0;
  respond(json_response(up ? 200 : 503, {{"status", up ? "ok" : "unhealthy"},
                                         {"balancer", up ? "up" : "down"},
                                         {"balancers_answering", answering},
                                         {"balancers_configured", broker_.configured_balancers()},
                                         {"live_substations", up ? broker_.live_substations() : 0}}));
}

void EdgeNode::answered(std::string_view handler, int status, Duration elapsed) {
  metrics_.answered(handler, status);
  console_counters_.answered(handler, status);
  // The latency of POST /charge only: a 405 on /charge was not a charge request.
  if (handler == "charge" && status != 405) metrics_.charge_seconds(std::chrono::duration<double>(elapsed).count());
}

}  // namespace grid::edge
