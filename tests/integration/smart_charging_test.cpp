// Issue 12, point 17, with real processes over HTTP: one 30 kW substation, ten cars asking 11 kW.
// All ten are admitted and share the 30 kW; an operator limit of 15 kW is applied at once and no
// scrape ever shows more; a car unplugging hands its power to the others; energy grows; the
// operator endpoints refuse a missing or wrong token.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <unistd.h>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "cluster.h"
#include "support/http_get.h"
#include "support/wait.h"

using namespace grid::test;
using nlohmann::json;

#ifdef GRID_EDGE_BIN
namespace {

json body_of(const std::optional<HttpReply>& reply) {
  if (!reply) return json{};
  return json::parse(reply->body, nullptr, false);
}

}  // namespace

TEST_CASE("issue 12: ten 11 kW cars share a 30 kW substation, a limit, an unplug and the operator token work end to end") {
  const std::string token_file =
      (std::filesystem::temp_directory_path() / ("grid-operator-tokens-" + std::to_string(getpid()))).string();
  std::ofstream(token_file) << "# operators\nsecret-token-1\n";
  Cluster cluster({.heartbeat_ms = 100, .time_scale = 3600, .substation_extra = {"--control-ms", "200"}});
  cluster.start_balancer();
  cluster.add_substation("north", 30);
  const int edge = cluster.start_edge({"--operator-token-file", token_file});
  REQUIRE(wait_until([&] {
    const auto health = http_get(edge, "/healthz");
    return health && health->status == 200 && health->body.find("\"live_substations\":1") != std::string::npos;
  }));

  // A scraper that watches for the one thing that must never happen.
  std::atomic<bool> done{false};
  std::atomic<int> scrapes{0};
  std::atomic<bool> over_limit{false};
  std::thread scraper([&] {
    const int port = cluster.substation("north").metrics_port;
    while (!done) {
      const auto reply = http_get(port, "/metrics");
      if (!reply) continue;
      const auto allocated = sample(reply->body, "substation_allocated_kw{substation=\"north\"}");
      const auto limit = sample(reply->body, "substation_limit_kw{substation=\"north\"}");
      if (allocated && limit && *allocated > *limit + 1e-9) over_limit = true;
      ++scrapes;
    }
  });

  std::vector<std::string> sessions;
  for (int i = 0; i < 10; ++i) {
    const auto reply = http_request(edge, "POST", "/charge",
                                    R"({"vehicle_id":"EV-)" + std::to_string(i) + R"(","power_kw":11,"energy_kwh":60})",
                                    "application/json");
    REQUIRE(reply);
    INFO(reply->body);
    REQUIRE(reply->status == 200);
    sessions.push_back(body_of(reply)["session_id"].get<std::string>());
  }
  const auto power_of = [&](const std::string& session) {
    return body_of(http_get(edge, "/sessions/" + session)).value("power_kw", -1.0);
  };
  // Every car charges at 3 kW once the last one has arrived (equal-share, the default).
  for (const auto& session : sessions) CHECK(power_of(session) == doctest::Approx(3.0));

  // GET shows the energy growing (one grid hour per real second).
  const double first = body_of(http_get(edge, "/sessions/" + sessions[0])).value("energy_delivered_kwh", -1.0);
  REQUIRE(wait_until([&] {
    return body_of(http_get(edge, "/sessions/" + sessions[0])).value("energy_delivered_kwh", -1.0) > first + 0.1;
  }));

  // The operator endpoints: no token, a wrong one, then the right one.
  const std::string limit_body = R"({"limit_kw":15})";
  CHECK(http_request(edge, "PUT", "/substations/north/limit", limit_body, "application/json")->status == 401);
  CHECK(http_call(edge, {.method = "PUT", .target = "/substations/north/limit", .body = limit_body,
                         .content_type = "application/json", .headers = {{"Authorization", "Bearer wrong"}}})
            ->status == 401);
  const auto set = http_call(edge, {.method = "PUT", .target = "/substations/north/limit", .body = limit_body,
                                    .content_type = "application/json",
                                    .headers = {{"Authorization", "Bearer secret-token-1"}}});
  REQUIRE(set);
  INFO(set->body);
  REQUIRE(set->status == 200);
  // Applied before the answer: the very next scrape and query show it.
  const auto scrape = http_get(cluster.substation("north").metrics_port, "/metrics");
  REQUIRE(scrape);
  CHECK(sample(scrape->body, "substation_allocated_kw{substation=\"north\"}") <= 15.0);
  CHECK(power_of(sessions[1]) == doctest::Approx(1.5));

  // A car unplugs: its power goes to the nine others at once (15 / 9 kW each).
  const auto unplugged = http_request(edge, "DELETE", "/sessions/" + sessions[0]);
  REQUIRE(unplugged);
  CHECK(unplugged->status == 200);
  CHECK(body_of(unplugged)["status"] == "stopped");
  CHECK(power_of(sessions[1]) == doctest::Approx(15.0 / 9).epsilon(0.001));
  // Asked again, the final state is the same.
  CHECK(body_of(http_request(edge, "DELETE", "/sessions/" + sessions[0])) == body_of(unplugged));
  CHECK(http_get(edge, "/sessions/north.00000000-999")->status == 404);

  // A substation nobody knows is a 404, not a silent success.
  CHECK(http_call(edge, {.method = "PUT", .target = "/substations/nowhere/limit", .body = limit_body,
                         .content_type = "application/json",
                         .headers = {{"Authorization", "Bearer secret-token-1"}}})
            ->status == 404);

  // Lifting the limit gives the cars their 3 kW back.
  const auto lifted = http_call(edge, {.method = "DELETE", .target = "/substations/north/limit",
                                       .headers = {{"Authorization", "Bearer secret-token-1"}}});
  REQUIRE(lifted);
  CHECK(lifted->status == 200);
  CHECK(power_of(sessions[1]) == doctest::Approx(30.0 / 9).epsilon(0.001));

  REQUIRE(wait_until([&] { return scrapes > 20; }));
  done = true;
  scraper.join();
  CHECK_FALSE(over_limit);
  std::remove(token_file.c_str());
}
#endif
