#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <memory>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include "grid/http/ops.h"
#include "grid/metrics/buckets.h"
#include "grid/metrics/exposition.h"
#include "grid/metrics/process_collector.h"
#include "test_client.h"

using namespace grid::http;
using namespace grid::http::test;

namespace {

struct OpsServer {
  explicit OpsServer(const grid::metrics::Exposition& registry)
      : server(ServerOptions{"127.0.0.1"}, ops_handler(registry, [this] { return healthy.load(); })) {
    server.start();
  }
  std::atomic<bool> healthy{true};
  Server server;
};

}  // namespace

TEST_CASE("GET /metrics answers the registry's exposition text") {
  grid::metrics::Exposition registry;
  prometheus::BuildCounter()
      .Name("grid_requests_total")
      .Help("Requests.")
      .Register(registry.registry())
      .Add({{"outcome", "ok"}})
      .Increment(3);
  OpsServer ops(registry);
  const auto reply = fetch(ops.server.port(), get("/metrics"));
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(reply->header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(reply->header("server") == "grid");
  CHECK(reply->body == registry.text());
  CHECK(reply->body.find("grid_requests_total{outcome=\"ok\"} 3\n") != std::string::npos);
  CHECK(fetch(ops.server.port(), get("/metrics?name[]=x"))->status == 200);
}

TEST_CASE("GET /healthz follows the health function") {
  grid::metrics::Exposition registry;
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
  grid::metrics::Exposition registry;
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
  grid::metrics::Exposition registry;
  registry.add(std::make_shared<grid::metrics::ProcessCollector>());
  auto& r = registry.registry();
  auto& outcomes = prometheus::BuildCounter().Name("grid_edge_requests_total").Help("Edge requests by code.").Register(r);
  outcomes.Add({{"code", "200"}}).Increment(12);
  outcomes.Add({{"code", "503"}}).Increment();
  prometheus::BuildGauge()
      .Name("substation_capacity_kw")
      .Help("Capacity.")
      .Register(r)
      .Add({{"substation", "a\"b\\c\nd"}})
      .Set(150);
  auto& odd = prometheus::BuildGauge().Name("grid_odd_values").Help("NaN and infinities.").Register(r);
  odd.Add({{"kind", "nan"}}).Set(NAN);
  odd.Add({{"kind", "inf"}}).Set(-INFINITY);
  auto& latency = prometheus::BuildHistogram()
                      .Name("grid_edge_latency_seconds")
                      .Help("Edge latency,\nend to end \\ in seconds.")
                      .Register(r)
                      .Add({}, grid::metrics::exponential_buckets(0.0005, 2, 12));
  latency.Observe(0.004);
  latency.Observe(7);
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
