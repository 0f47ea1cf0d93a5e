#pragma once
// grid-edge: the public HTTP API of the grid (docs/http-api.md). POST /charge is checked
// (charge_request.h), handed to the broker thread (broker_client.h) and answered when the
// balancer replies; so are the session endpoints (GET and DELETE /sessions/{id}), the substation
// list (GET /substations) and, for operators with a token (operator_auth.h), the limit endpoints
// (PUT and DELETE /substations/{id}/limit and /feeders/{id}/limit). GET /healthz and GET /metrics are served on the same
// port, and so is the operator console (GET /, console_routes.h). The HTTP handler never blocks: it answers a bad
// request at once and otherwise leaves the answer to the broker thread.
// Thread-safety: construct, start_http(), stop_http() and the destructor from one owner thread;
// run() on the broker thread; stop(), healthy() and port() from any thread.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "broker_client.h"
#include "console_state.h"
#include "edge_metrics.h"
#include "grid/http/in_flight.h"
#include "grid/http/router.h"
#include "grid/http/server.h"
#include "grid/metrics/exposition.h"
#include "grid/util/clock.h"
#include "operator_auth.h"
#include "rate_limiter.h"

namespace grid::edge {

struct EdgeConfig {
  std::string listen_host = "0.0.0.0";
  std::uint16_t listen_port = 8080;
  int http_threads = 2;
  // Requests waiting for the balancer at once (charges and queries); beyond it, 503 at once.
  std::size_t max_in_flight = 4096;
  BrokerConfig broker;
  // Who may set limits; without tokens the operator endpoints answer 403.
  OperatorAuth operators;
  // Requests per second per client address for POST /charge; off by default.
  RateLimit rate_limit;
  // HTTPS only on the listen address when set (--tls-cert, --tls-key).
  std::optional<http::TlsFiles> tls;
};

class EdgeNode {
public:
  // Throws std::runtime_error naming the file when the TLS certificate or key cannot be loaded.
  EdgeNode(zmq::context_t& context, EdgeConfig config, metrics::Exposition& registry,
           const Clock& clock = steady_clock());
  ~EdgeNode();
  EdgeNode(const EdgeNode&) = delete;
  EdgeNode& operator=(const EdgeNode&) = delete;

  // Binds the listen address and starts the HTTP threads. Throws std::runtime_error naming the
  // address when it cannot be bound.
  void start_http();
  std::uint16_t port() const { return server_.port(); }

  // The broker loop: blocks until stop(), then answers every waiting request 503.
  void run() { broker_.run(); }
  void stop() { broker_.stop(); }
  // After run() returned: lets the last answers go out (bounded by `grace`), then closes the
  // listener and every connection.
  void stop_http(std::chrono::milliseconds grace = std::chrono::milliseconds(200));

  bool healthy() const { return broker_.healthy(); }

private:
  void charge(const http::Request& request, http::Respond respond);
  // The query routes (edge_queries.cpp).
  void add_query_routes();
  void session(const http::Request& request, http::Respond respond, bool stop);
  void substations(http::Respond respond);
  void limit(const http::Request& request, http::Respond respond, bool clear);
  void feeder_limit(const http::Request& request, http::Respond respond, bool clear);
  // True for an operator with a valid token; else answers 401 or 403 and returns false.
  bool authorized(const http::Request& request, http::Respond& respond) const;
  // The console's page, files and state (console_routes.cpp).
  void add_console_routes();
  void console_state(http::Respond respond);
  // Asks the balancer `query` holding an in-flight slot, answering with `to_response` of the answer.
  void ask(BrokerQuery query, http::Respond respond, http::Response (*to_response)(const BrokerAnswer&));
  void health(const http::Respond& respond) const;
  // Every answer of every route, observed once by the router.
  void answered(std::string_view handler, int status, Duration elapsed);

  EdgeConfig config_;
  const metrics::Exposition& registry_;
  const Clock& clock_;
  TimePoint started_;
  EdgeMetrics metrics_;
  ConsoleCounters console_counters_;
  RateLimiter rate_limiter_;
  http::InFlight in_flight_;  // before broker_: the broker's last answers give their slots back
  BrokerClient broker_;
  http::Router router_;
  http::Server server_;  // last: stopped and destroyed before what its handler uses
};

}  // namespace grid::edge
