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

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

http::Response method_not_allowed(std::string_view allow) {
  auto response = json_response(405, {{"error", "method not allowed"}});
  response.headers.emplace_back("Allow", std::string(allow));
  return response;
}

http::ServerOptions server_options(const EdgeConfig& config) {
  http::ServerOptions options;
  options.host = config.listen_host;
  options.port = config.listen_port;
  options.threads = config.http_threads;
  options.body_limit = 64 * 1024;  // larger charge requests are 413 before we see them
  // Each waiting request holds a connection: room for all of them and for the ops endpoints.
  options.max_connections = std::max<std::size_t>(options.max_connections, config.max_in_flight + 64);
  return options;
}

}  // namespace

EdgeNode::EdgeNode(zmq::context_t& context, EdgeConfig config, metrics::Exposition& registry, const Clock& clock)
    : config_(std::move(config)),
      clock_(clock),
      registry_(registry),
      metrics_(registry.registry()),
      broker_(context, config_.broker, metrics_, clock),
      server_(server_options(config_), [this](http::Request request, http::Respond respond) {
        handle(std::move(request), std::move(respond));
      }) {}

EdgeNode::~EdgeNode() { server_.stop(); }

void EdgeNode::start_http() {
  server_.start();
  spdlog::info("edge: HTTP on {}:{} ({} threads): POST /charge, GET /healthz, GET /metrics", config_.listen_host,
               server_.port(), config_.http_threads);
}

void EdgeNode::stop_http(std::chrono::milliseconds grace) {
  // run() has answered every request; the answers are being written by the HTTP threads.
  const auto until = std::chrono::steady_clock::now() + grace;
  while (in_flight_.load() > 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Every answer has been handed to its connection; the server's stop lets a write in progress
  // finish before it closes that connection.
  server_.stop();
}

void EdgeNode::handle(http::Request request, http::Respond respond) {
  const auto path = path_of(request.target);
  if (path == "/charge") {
    if (request.method != "POST") return answer("charge", respond, method_not_allowed("POST"));
    return charge(request, std::move(respond));
  }
  if (path == "/healthz" || path == "/metrics") {
    const std::string_view handler = path == "/healthz" ? "healthz" : "metrics";
    if (request.method != "GET") return answer(handler, respond, method_not_allowed("GET"));
    if (path == "/metrics") return answer(handler, respond, http::metrics_response(registry_));
    const bool up = broker_.healthy();
    return answer(handler, respond,
                  json_response(up ? 200 : 503, {{"status", up ? "ok" : "unhealthy"},
                                                 {"balancer", up ? "up" : "down"},
                                                 {"live_substations", up ? broker_.live_substations() : 0}}));
  }
  answer("other", respond, json_response(404, {{"error", "not found"}}));
}

void EdgeNode::charge(const http::Request& request, http::Respond respond) {
  const TimePoint start = clock_.now();
  auto parsed = parse_charge_request(request.content_type, request.body);
  if (auto* rejection = std::get_if<ChargeRejection>(&parsed)) {
    metrics_.charge_seconds(std::chrono::duration<double>(clock_.now() - start).count());
    return answer("charge", respond, json_response(rejection->status, {{"error", rejection->message}}));
  }
  if (in_flight_.fetch_add(1) >= config_.max_in_flight) {
    in_flight_.fetch_sub(1);
    metrics_.charge_seconds(std::chrono::duration<double>(clock_.now() - start).count());
    return answer("charge", respond, unavailable_response("edge overloaded", retry_after_busy_s));
  }
  metrics_.request_started();
  auto input = std::get<ChargeInput>(std::move(parsed));
  if (!request.idempotency_key.empty()) {
    auto id = request_id_for_key(request.idempotency_key);
    if (!id) {
      in_flight_.fetch_sub(1);
      metrics_.charge_seconds(std::chrono::duration<double>(clock_.now() - start).count());
      return answer("charge", respond,
                    json_response(400, {{"error", "Idempotency-Key must be 1-62 printable ASCII characters"}}));
    }
    input.request_id = std::move(*id);
  }
  std::string vehicle_id = input.vehicle_id;
  broker_.submit(std::move(input), [this, respond = std::move(respond), vehicle_id = std::move(vehicle_id),
                                    start](BrokerAnswer result) {
    auto response = charge_response(result, vehicle_id);
    metrics_.charge_seconds(std::chrono::duration<double>(clock_.now() - start).count());
    answer("charge", respond, std::move(response));
    in_flight_.fetch_sub(1);
    metrics_.request_finished();
  });
}

void EdgeNode::answer(std::string_view handler, const http::Respond& respond, http::Response response) {
  metrics_.answered(handler, response.status);
  respond(std::move(response));
}

}  // namespace grid::edge
