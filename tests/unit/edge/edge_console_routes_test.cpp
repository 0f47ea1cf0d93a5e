// The operator console's routes over real HTTP on loopback, against a scripted balancer: the page
// and its files with their types and the headers that keep the browser safe (no-store, a strict
// Content-Security-Policy, nosniff), GET /console/state's JSON and the counters behind it, and the
// state's shape for a grid of a thousand substations.
#include <doctest/doctest.h>

#include <regex>

#include <nlohmann/json.hpp>

#include "broker_fixtures.h"
#include "console_routes.h"
#include "console_state.h"
#include "edge_http_fixtures.h"
#include "support/http_get.h"

using namespace grid;
using namespace grid::edge;
using namespace grid::edge::testing;
using namespace grid::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

void check_console_headers(const HttpReply& reply) {
  CHECK(reply.headers.at("cache-control") == "no-store");
  CHECK(reply.headers.at("content-security-policy") == console_security_policy);
  CHECK(reply.headers.at("x-content-type-options") == "nosniff");
  CHECK(reply.headers.at("referrer-policy") == "no-referrer");
}

}  // namespace

TEST_CASE("GET / serves the console page and its files compiled into the edge, each with its type and the console's headers") {
  zmq::context_t context;
  FakeBalancer balancer(context);
  Edge edge(context, balancer.endpoint, OperatorAuth());

  const std::map<std::string, std::string> types{{"/", "text/html; charset=utf-8"},
                                                 {"/console/console.css", "text/css; charset=utf-8"},
                                                 {"/console/console.js", "text/javascript; charset=utf-8"},
                                                 {"/console/console-view.js", "text/javascript; charset=utf-8"},
                                                 {"/console/favicon.svg", "image/svg+xml"}};
  REQUIRE(console_files().size() == types.size());
  for (const auto& file : console_files()) {
    INFO(file.path);
    const auto reply = http_get(edge.port(), std::string(file.path));
    REQUIRE(reply);
    CHECK(reply->status == 200);
    CHECK(reply->headers.at("content-type") == types.at(std::string(file.path)));
    CHECK(reply->body == file.body);
    check_console_headers(*reply);
  }
  const auto page = http_get(edge.port(), "/")->body;
  // Every script is a file of the edge: the policy forbids inline script, so one would not run.
  const std::regex script_tag("<script[^>]*>");
  int scripts = 0;
  for (auto it = std::sregex_iterator(page.begin(), page.end(), script_tag); it != std::sregex_iterator(); ++it) {
    ++scripts;
    CHECK_MESSAGE(it->str().find("src=\"/console/") != std::string::npos, it->str());
  }
  CHECK(scripts == 2);
  // Nothing is fetched from another origin: no absolute URL in the page.
  CHECK(page.find("http://") == std::string::npos);
  CHECK(page.find("https://") == std::string::npos);

  CHECK(http_get(edge.port(), "/console/missing.js")->status == 404);
  CHECK(http_request(edge.port(), "POST", "/")->status == 405);
  // The console's requests are one series of their own.
  const auto metrics = http_get(edge.port(), "/metrics")->body;
  CHECK(sample(metrics, "edge_http_requests_total{code=\"200\",handler=\"console\"}") == 6.0);
}

TEST_CASE("GET /console/state answers the substations, live totals and the edge's counts of API answers") {
  zmq::context_t context;
  FakeBalancer balancer(context);
  Edge edge(context, balancer.endpoint, OperatorAuth(std::vector<std::string>{token}));
  connect(balancer, edge);

  // One charge admitted, one refused for want of capacity, one malformed.
  auto admitted = send(edge.port(), "POST", "/charge", json_type, R"({"vehicle_id":"EV-1","power_kw":11})");
  auto request = balancer.next_request();
  balancer.reply({request.request_id, proto::Outcome::charging, "north.0000002a-1", "north", 11});
  REQUIRE(admitted.get()->status == 200);
  auto refused = send(edge.port(), "POST", "/charge", json_type, R"({"vehicle_id":"EV-2","power_kw":11})");
  request = balancer.next_request();
  balancer.reply({request.request_id, proto::Outcome::no_capacity, "", "", 0, "full"});
  REQUIRE(refused.get()->status == 503);
  REQUIRE(send(edge.port(), "POST", "/charge", json_type, "{").get()->status == 400);
  // Neither scrapes nor the console count as API traffic.
  REQUIRE(http_get(edge.port(), "/metrics"));
  REQUIRE(http_get(edge.port(), "/healthz"));
  REQUIRE(http_get(edge.port(), "/"));

  auto reply = send(edge.port(), "GET", "/console/state");
  const auto query = balancer.next_of<proto::SubstationsQuery>();
  balancer.answer(proto::SubstationInfo{query.request_id, 0, 2, "north", true, false, 100, 80, 30, 10, 2});
  balancer.answer(proto::SubstationInfo{query.request_id, 1, 2, "south", false, false, 50, 0, 0, 0, 0});
  const auto answer = reply.get();
  REQUIRE(answer);
  CHECK(answer->status == 200);
  CHECK(answer->headers.at("content-type") == "application/json");
  check_console_headers(*answer);
  auto state = body_of(answer);
  CHECK(state["edge"]["uptime_s"].get<double>() >= 0);
  state["edge"].erase("uptime_s");
  CHECK(state["edge"] == json{{"api_requests_total", 3}, {"unavailable_total", 1}, {"charges_admitted_total", 1},
                              {"charges_refused_total", 1}, {"operators_enabled", true}});
  // Totals are the grid that can charge now: the dead south is listed but not summed.
  CHECK(state["totals"] == json{{"substations", 2}, {"live", 1}, {"capacity_kw", 100.0}, {"limit_kw", 80.0},
                                {"allocated_kw", 30.0}, {"sessions", 10}, {"paused_sessions", 2}});
  CHECK(state["substations"] == json::array({{{"id", "north"}, {"live", true}, {"ejected", false},
                                              {"capacity_kw", 100.0}, {"limit_kw", 80.0}, {"allocated_kw", 30.0},
                                              {"sessions", 10}, {"paused_sessions", 2}},
                                             {{"id", "south"}, {"live", false}, {"ejected", false},
                                              {"capacity_kw", 50.0}, {"limit_kw", 50.0}, {"allocated_kw", 0.0},
                                              {"sessions", 0}, {"paused_sessions", 0}}}));
}

TEST_CASE("GET /console/state tells a balancer that does not answer as GET /substations does, 504") {
  zmq::context_t context;
  FakeBalancer balancer(context);
  Edge edge(context, balancer.endpoint, OperatorAuth(), 300ms);
  connect(balancer, edge);
  auto reply = send(edge.port(), "GET", "/console/state");
  (void)balancer.next_of<proto::SubstationsQuery>();
  REQUIRE(balancer.serve_until([&] { return reply.wait_for(0s) == std::future_status::ready; }));
  const auto answer = reply.get();
  REQUIRE(answer);
  CHECK(answer->status == 504);
  CHECK(body_of(answer) == json{{"error", "balancer timeout"}});
  check_console_headers(*answer);
}

TEST_CASE("the console state of a thousand substations lists each once and sums the live ones") {
  SubstationList grid;
  for (std::uint32_t i = 0; i < 1000; ++i) {
    const bool live = i % 10 != 0;  // every tenth is dead
    grid.push_back({"", i, 1000, "sub-" + std::to_string(i), live, false, 100, i % 2 == 0 ? 50.0 : 0.0, 25, 3, 1});
  }
  const auto state = console_state_json({7, 1, 2, 3}, grid, std::chrono::seconds(90), false);
  CHECK(state["substations"].size() == 1000);
  CHECK(state["substations"][999]["id"] == "sub-999");
  CHECK(state["totals"]["substations"] == 1000);
  CHECK(state["totals"]["live"] == 900);
  CHECK(state["totals"]["capacity_kw"].get<double>() == doctest::Approx(90'000));
  // Half the live substations have a 50 kW limit, the others none (their capacity, 100 kW).
  CHECK(state["totals"]["limit_kw"].get<double>() == doctest::Approx(400 * 50 + 500 * 100));
  CHECK(state["totals"]["allocated_kw"].get<double>() == doctest::Approx(900 * 25));
  CHECK(state["totals"]["sessions"] == 2700);
  CHECK(state["edge"]["uptime_s"] == 90.0);
  CHECK(state["edge"]["api_requests_total"] == 7);
  CHECK(state["edge"]["operators_enabled"] == false);
}

TEST_CASE("the console counts API answers only, and 503s of POST /charge as refused charges") {
  ConsoleCounters counters;
  for (const auto* handler : {"console", "metrics", "healthz"}) counters.answered(handler, 200);
  counters.answered("charge", 200);
  counters.answered("charge", 503);
  counters.answered("charge", 400);
  counters.answered("substations", 503);
  counters.answered("other", 404);
  const auto counted = counters.snapshot();
  CHECK(counted.api_requests == 5);
  CHECK(counted.unavailable == 2);
  CHECK(counted.charges_admitted == 1);
  CHECK(counted.charges_refused == 1);
}
