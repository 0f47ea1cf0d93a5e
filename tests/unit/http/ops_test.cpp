#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>

#include "grid/http/ops.h"
#include "grid/metrics/process_metrics.h"
#include "grid/metrics/registry.h"
#include "grid/metrics/text_format.h"
#include "test_client.h"

using namespace grid::http;
using namespace grid::http::test;

namespace {

struct OpsServer {
  explicit OpsServer(grid::metrics::Registry& registry)
      : server(ServerOptions{"127.0.0.1"}, ops_handler(registry, [this] { return healthy.load(); })) {
    server.start();
  }
  std::atomic<bool> healthy{true};
  Server server;
};

}  // namespace

TEST_CASE("GET /metrics answers the registry's exposition text") {
  grid::metrics::Registry registry;
  registry.counter("grid_requests_total", "Requests.", {"outcome"}).add({{"outcome", "ok"}}).inc(3);
  OpsServer ops(registry);
  const auto reply = fetch(ops.server.port(), get("/metrics"));
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(reply->header("server") == "grid");
  CHECK(reply->body == grid::metrics::serialize_text(registry.collect()));
  CHECK(reply->body.find("grid_requests_total{outcome=\"ok\"} 3\n") != std::string::npos);
  CHECK(fetch(ops.server.port(), get("/metrics?name[]=x"))->status == 200);
}

TEST_CASE("GET /healthz follows the health function") {
  grid::metrics::Registry registry;
  OpsServer ops(registry);
  auto reply = fetch(ops.server.port(), get("/healthz"));
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->body == R"({"status":"ok"})");
  CHECK(reply->header("content-type") == "application/json");
  ops.healthy = false;
  reply = fetch(ops.server.port(), get("/healthz"));
  REQUIRE(reply);
  CHECK(reply->status == 503);
  CHECK(reply->body == R"({"status":"unhealthy"})");
}

TEST_CASE("unknown paths get 404, other methods on known paths 405 with Allow") {
  grid::metrics::Registry registry;
  OpsServer ops(registry);
  auto reply = fetch(ops.server.port(), get("/nothing-here"));
  REQUIRE(reply);
  CHECK(reply->status == 404);
  CHECK(reply->body == R"({"error":"not found"})");
  reply = fetch(ops.server.port(), "POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n{}");
  REQUIRE(reply);
  CHECK(reply->status == 405);
  CHECK(reply->header("allow") == "GET");
  CHECK(reply->body == R"({"error":"method not allowed"})");
  reply = fetch(ops.server.port(), "DELETE /healthz HTTP/1.1\r\nHost: t\r\n\r\n");
  REQUIRE(reply);
  CHECK(reply->status == 405);
}

TEST_CASE("a live scrape of every metric type passes promtool check metrics") {
  REQUIRE_MESSAGE(std::system("command -v promtool >/dev/null 2>&1") == 0,
                  "promtool is missing: run scripts/install-deps (Debian package prometheus)");
  grid::metrics::Registry registry;
  grid::metrics::add_process_metrics(registry);
  auto& outcomes = registry.counter("grid_edge_requests_total", "Edge requests by code.", {"code"});
  outcomes.add({{"code", "200"}}).inc(12);
  outcomes.add({{"code", "503"}}).inc();
  registry.gauge("substation_capacity_kw", "Capacity.", {"substation"}).add({{"substation", "a\"b\\c\nd"}}).set(150);
  registry.gauge("grid_odd_values", "NaN and infinities.", {"kind"}).add({{"kind", "nan"}}).set(NAN);
  registry.gauge("grid_odd_values", "", {"kind"}).add({{"kind", "inf"}}).set(-INFINITY);
  auto& latency = registry.histogram("grid_edge_latency_seconds", "Edge latency,\nend to end \\ in seconds.",
                                     grid::metrics::exponential_buckets(0.0005, 2, 12));
  latency.add({}).observe(0.004);
  latency.add({}).observe(7);
  OpsServer ops(registry);

  const auto reply = fetch(ops.server.port(), get("/metrics", true));
  REQUIRE(reply);
  REQUIRE(reply->status == 200);
  // Named, not a structured binding: clang 14 cannot capture a binding in INFO's lambda.
  const auto check = promtool_check(reply->body);
  const std::string& output = check.second;
  INFO("promtool said:\n" << output << "\nfor:\n" << reply->body);
  CHECK(check.first == 0);
  CHECK(output.empty());
}

TEST_CASE("json_error escapes what JSON requires") {
  const auto response = json_error(400, "a\"b\\c\nd\x01");
  CHECK(response.status == 400);
  CHECK(response.content_type == "application/json");
  CHECK(response.body == R"({"error":"a\"b\\c\nd\u0001"})");
}
