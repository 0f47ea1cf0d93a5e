#pragma once
// What the edge's HTTP tests share: an EdgeNode on loopback with its broker thread, a raw HTTP
// request with header lines of the test's choosing (run on its own thread, so the test can play
// the balancer meanwhile), and the answer's JSON.

#include <doctest/doctest.h>

#include <cctype>
#include <future>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>

#include "broker_fixtures.h"
#include "edge_node.h"
#include "support/http_get.h"

namespace grid::edge::testing {

using namespace std::chrono_literals;
using test::HttpReply;

inline constexpr const char* token = "op-token-7f3a";

struct Edge {
  Edge(zmq::context_t& context, const std::string& balancer, OperatorAuth operators,
       std::chrono::milliseconds timeout = 5s, std::size_t max_in_flight = 100, RateLimit rate_limit = {}) {
    EdgeConfig config;
    config.listen_host = "127.0.0.1";
    config.listen_port = 0;
    config.http_threads = 2;
    config.max_in_flight = max_in_flight;
    config.broker = {.balancer_endpoints = {balancer}, .timeout = timeout, .ping_interval = 50ms, .health_window = 300ms};
    config.operators = std::move(operators);
    config.rate_limit = rate_limit;
    node = std::make_unique<EdgeNode>(context, config, registry);
    node->start_http();
    thread = std::thread([this] { node->run(); });
  }
  ~Edge() {
    node->stop();
    thread.join();
    node->stop_http(0ms);
  }
  int port() const { return node->port(); }

  metrics::Exposition registry;
  std::unique_ptr<EdgeNode> node;
  std::thread thread;
};

// One request with header lines of the test's choosing (each ending in \r\n), on its own thread.
inline std::future<std::optional<HttpReply>> send(int port, const std::string& method, const std::string& target,
                                           const std::string& headers = "", const std::string& body = "") {
  return std::async(std::launch::async, [=]() -> std::optional<HttpReply> {
    const auto exchange = test::raw_exchange(port, method + " " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                                                 headers + "Content-Length: " + std::to_string(body.size()) +
                                                 "\r\n\r\n" + body);
    const auto& text = exchange.received;
    const auto body_at = text.find("\r\n\r\n");
    if (text.rfind("HTTP/1.1 ", 0) != 0 || body_at == std::string::npos) return std::nullopt;
    HttpReply reply{std::stoi(text.substr(9, 3)), {}, text.substr(body_at + 4)};
    std::size_t line = text.find("\r\n") + 2;
    while (line < body_at) {
      const auto end = text.find("\r\n", line);
      const auto colon = text.find(':', line);
      if (colon < end) {
        std::string name = text.substr(line, colon - line);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        reply.headers[name] = text.substr(colon + 2, end - colon - 2);
      }
      line = end + 2;
    }
    return reply;
  });
}

inline std::string bearer(const std::string& value) { return "Authorization: Bearer " + value + "\r\n"; }
inline constexpr const char* json_type = "Content-Type: application/json\r\n";

inline nlohmann::json body_of(const std::optional<HttpReply>& reply) {
  REQUIRE(reply);
  return nlohmann::json::parse(reply->body);
}

inline void connect(FakeBalancer& balancer, Edge& edge) {
  REQUIRE(balancer.serve_until([&] { return edge.node->healthy(); }));
}

}  // namespace grid::edge::testing
