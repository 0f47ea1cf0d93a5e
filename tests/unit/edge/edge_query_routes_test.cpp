// The edge's smart-charging routes over real HTTP on loopback, against a scripted balancer: each
// route's 200 and every other status it can answer (404, 503, 504), what reaches the balancer, and the handler labels of the metrics. The operator routes
// are in edge_limit_routes_test.cpp.
#include <doctest/doctest.h>

#include <future>
#include <thread>

#include <nlohmann/json.hpp>

#include "broker_fixtures.h"
#include "edge_http_fixtures.h"
#include "support/http_get.h"
#include "support/wait.h"

using namespace grid;
using namespace grid::edge;
using namespace grid::edge::testing;
using namespace grid::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

proto::SessionState running_state(const std::string& request_id) {
  proto::SessionState state;
  state.request_id = request_id;
  state.found = true;
  state.session_id = "north.0000002a-7";
  state.status = proto::SessionStatus::charging;
  state.power_kw = 3;
  state.energy_kwh = 20;
  state.delivered_kwh = 4.5;
  state.min_power_kw = 1.4;
  state.max_power_kw = 11;
  state.departs_in_s = 7200;
  state.completes_in_s = 18600;
  state.substation_id = "north";
  return state;
}

}  // namespace

TEST_CASE("GET /sessions/{id}: 200 with the state, 404 unknown or malformed, 503 not askable, 504 unanswered") {
  zmq::context_t context;
  FakeBalancer balancer(context);
  Edge edge(context, balancer.endpoint, OperatorAuth(), 300ms);
  connect(balancer, edge);

  auto reply = send(edge.port(), "GET", "/sessions/north.0000002a-7");
  auto query = balancer.next_of<proto::SessionQuery>();
  CHECK(query.session_id == "north.0000002a-7");
  CHECK_FALSE(query.stop);
  balancer.answer(running_state(query.request_id));
  auto answer = reply.get();
  REQUIRE(answer);
  CHECK(answer->status == 200);
  CHECK(body_of(answer) == json{{"session_id", "north.0000002a-7"}, {"status", "charging"}, {"substation", "north"},
                                {"power_kw", 3.0}, {"energy_kwh", 20.0}, {"energy_delivered_kwh", 4.5},
                                {"min_power_kw", 1.4}, {"max_power_kw", 11.0}, {"departs_in_s", 7200.0},
                                {"completes_in_s", 18600.0}});

  reply = send(edge.port(), "GET", "/sessions/north.0000002a-8");
  query = balancer.next_of<proto::SessionQuery>();
  balancer.answer(proto::SessionState{.request_id = query.request_id});
  answer = reply.get();
  REQUIRE(answer);
  CHECK(answer->status == 404);
  CHECK(body_of(answer)["error"] == "no such session");

  reply = send(edge.port(), "GET", "/sessions/south.0000002a-1");
  query = balancer.next_of<proto::SessionQuery>();
  balancer.answer(proto::SessionState{.request_id = query.request_id, .reason = "substation south is not live"});
  answer = reply.get();
  REQUIRE(answer);
  CHECK(answer->status == 503);
  CHECK(body_of(answer)["error"] == "substation south is not live");
  CHECK(answer->headers.at("retry-after") == "1");

  // Ids no substation can have made are unknown without asking.
  for (const std::string& malformed : std::vector<std::string>{"no-dot-here", "north.zz-1", "north.0000002A-1", ".0000002a-1",
                                       std::string(120, 'a') + ".0000002a-1"}) {
    CAPTURE(malformed);
    answer = send(edge.port(), "GET", "/sessions/" + malformed).get();
    REQUIRE(answer);
    CHECK(answer->status == 404);
  }
  CHECK_FALSE(balancer.next(100ms));

  reply = send(edge.port(), "GET", "/sessions/north.0000002a-9");
  (void)balancer.next_of<proto::SessionQuery>();
  REQUIRE(balancer.serve_until([&] { return reply.wait_for(0s) == std::future_status::ready; }));
  answer = reply.get();
  REQUIRE(answer);
  CHECK(answer->status == 504);

  const auto metrics = http_get(edge.port(), "/metrics");
  REQUIRE(metrics);
  CHECK(sample(metrics->body, "edge_http_requests_total{code=\"200\",handler=\"session\"}") == 1.0);
  CHECK(sample(metrics->body, "edge_http_requests_total{code=\"404\",handler=\"session\"}") == 6.0);
  CHECK(sample(metrics->body, "edge_http_requests_total{code=\"504\",handler=\"session\"}") == 1.0);
}

TEST_CASE("DELETE /sessions/{id} stops the session and answers its final state") {
  zmq::context_t context;
  FakeBalancer balancer(context);
  Edge edge(context, balancer.endpoint, OperatorAuth());
  connect(balancer, edge);

  auto reply = send(edge.port(), "DELETE", "/sessions/north.0000002a-7");
  const auto query = balancer.next_of<proto::SessionQuery>();
  CHECK(query.stop);
  auto state = running_state(query.request_id);
  state.status = proto::SessionStatus::stopped;
  state.power_kw = 0;
  state.departs_in_s = 0;
  state.completes_in_s = 0;
  balancer.answer(state);
  const auto answer = reply.get();
  REQUIRE(answer);
  CHECK(answer->status == 200);
  const auto body = body_of(answer);
  CHECK(body["status"] == "stopped");
  CHECK(body["energy_delivered_kwh"] == 4.5);
  CHECK_FALSE(body.contains("completes_in_s"));
  CHECK_FALSE(body.contains("departs_in_s"));
}

TEST_CASE("GET /substations: the gathered list as a JSON array, and 504 when the balancer does not answer") {
  zmq::context_t context;
  FakeBalancer balancer(context);
  Edge edge(context, balancer.endpoint, OperatorAuth(), 300ms);
  connect(balancer, edge);

  auto reply = send(edge.port(), "GET", "/substations");
  const auto query = balancer.next_of<proto::SubstationsQuery>();
  // limit_kw 0: a substation that does not report its limit, which is then its capacity.
  proto::SubstationInfo south{query.request_id, 1, 2, "south", false, true, 50, 0, 0, 0, 0};
  proto::SubstationInfo north{query.request_id, 0, 2, "north", true, false, 100, 80, 30, 10, 2};
  balancer.answer(south);
  balancer.answer(north);
  auto answer = reply.get();
  REQUIRE(answer);
  CHECK(answer->status == 200);
  CHECK(body_of(answer) == json::array({{{"id", "north"}, {"live", true}, {"ejected", false}, {"capacity_kw", 100.0},
                                         {"limit_kw", 80.0}, {"allocated_kw", 30.0}, {"sessions", 10},
                                         {"paused_sessions", 2}},
                                        {{"id", "south"}, {"live", false}, {"ejected", true}, {"capacity_kw", 50.0},
                                         {"limit_kw", 50.0}, {"allocated_kw", 0.0}, {"sessions", 0},
                                         {"paused_sessions", 0}}}));

  reply = send(edge.port(), "GET", "/substations");
  (void)balancer.next_of<proto::SubstationsQuery>();
  REQUIRE(balancer.serve_until([&] { return reply.wait_for(0s) == std::future_status::ready; }));
  answer = reply.get();
  REQUIRE(answer);
  CHECK(answer->status == 504);
}

TEST_CASE("POST /charge carries the smart-charging fields and answers the allocation, 0 kW as paused") {
  zmq::context_t context;
  FakeBalancer balancer(context);
  Edge edge(context, balancer.endpoint, OperatorAuth());
  connect(balancer, edge);

  auto reply = send(edge.port(), "POST", "/charge", json_type,
                    R"({"vehicle_id":"EV-9","power_kw":22,"min_power_kw":4.2,"departs_in_s":3600,"priority":2})");
  const auto request = balancer.next_request();
  CHECK(request.min_power_kw == 4.2);
  CHECK(request.departs_in_s == 3600);
  CHECK(request.priority == 2);
  proto::ChargeReply paused{request.request_id, proto::Outcome::charging, "north.0000002a-1", "north", 0, "", 4.2, 3600};
  balancer.reply(paused);
  const auto answer = reply.get();
  REQUIRE(answer);
  CHECK(answer->status == 200);
  // The hand-written body parses to what the JSON encoder would have written.
  CHECK(body_of(answer) == json{{"status", "paused"}, {"vehicle_id", "EV-9"}, {"session_id", "north.0000002a-1"},
                                {"substation", "north"}, {"power_kw", 0.0}, {"min_power_kw", 4.2},
                                {"departs_in_s", 3600.0}});
}
