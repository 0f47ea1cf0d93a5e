// The operator routes over real HTTP against a scripted balancer: 403 without a token file, 401
// without the right token (and nothing reaches the balancer), then 200, 400, 404 and 503.
#include <doctest/doctest.h>

#include "broker_fixtures.h"
#include "edge_http_fixtures.h"
#include "support/http_get.h"

using namespace grid;
using namespace grid::edge;
using namespace grid::edge::testing;
using namespace grid::test;
using namespace std::chrono_literals;
using nlohmann::json;

TEST_CASE("the limit endpoints: 403 without a token file, 401 without the right token, then 200, 400, 404, 503") {
  zmq::context_t context;
  FakeBalancer balancer(context);
  {
    Edge closed(context, balancer.endpoint, OperatorAuth());
    const auto answer = send(closed.port(), "PUT", "/substations/north/limit", std::string(json_type) + bearer(token),
                             R"({"limit_kw":80})").get();
    REQUIRE(answer);
    CHECK(answer->status == 403);
  }
  Edge edge(context, balancer.endpoint, OperatorAuth(std::vector<std::string>{token}));
  connect(balancer, edge);
  const std::string limit_body = R"({"limit_kw":80,"duration_s":3600})";
  for (const std::string& headers : {std::string(json_type), std::string(json_type) + bearer("wrong"),
                                     std::string(json_type) + "Authorization: Basic b3A6cHc=\r\n",
                                     std::string(json_type) + bearer(token) + bearer(token)}) {
    CAPTURE(headers);
    const auto answer = send(edge.port(), "PUT", "/substations/north/limit", headers, limit_body).get();
    REQUIRE(answer);
    CHECK(answer->status == 401);
    CHECK(answer->headers.at("www-authenticate").rfind("Bearer", 0) == 0);
  }
  const auto unauthorized_delete = send(edge.port(), "DELETE", "/substations/north/limit").get();
  REQUIRE(unauthorized_delete);
  CHECK(unauthorized_delete->status == 401);
  CHECK_FALSE(balancer.next(100ms));  // none reached the balancer

  const std::string operator_headers = std::string(json_type) + bearer(token);
  auto reply = send(edge.port(), "PUT", "/substations/north/limit", operator_headers, limit_body);
  auto set = balancer.next_of<proto::SetLimit>();
  CHECK(set.substation_id == "north");
  CHECK(set.limit_kw == 80);
  CHECK(set.duration_s == 3600);
  balancer.answer(proto::LimitAck{set.request_id, "north", true, 80, 100, 3600, ""});
  auto answer = reply.get();
  REQUIRE(answer);
  CHECK(answer->status == 200);
  CHECK(body_of(answer) ==
        json{{"substation", "north"}, {"limit_kw", 80.0}, {"capacity_kw", 100.0}, {"expires_in_s", 3600.0}});

  answer = send(edge.port(), "PUT", "/substations/north/limit", operator_headers, R"({"limit_kw":0})").get();
  REQUIRE(answer);
  CHECK(answer->status == 400);
  CHECK(body_of(answer)["error"].get<std::string>().find("limit_kw") != std::string::npos);

  reply = send(edge.port(), "DELETE", "/substations/nowhere/limit", bearer(token));
  set = balancer.next_of<proto::SetLimit>();
  CHECK(set.limit_kw == 0);
  CHECK(set.duration_s == 0);
  balancer.answer(proto::LimitAck{set.request_id, "nowhere", false, 0, 0, 0, "no substation 'nowhere'"});
  answer = reply.get();
  REQUIRE(answer);
  CHECK(answer->status == 404);

  reply = send(edge.port(), "DELETE", "/substations/north/limit", bearer(token));
  set = balancer.next_of<proto::SetLimit>();
  balancer.answer(proto::LimitAck{set.request_id, "north", false, 0, 0, 0, "substation north did not answer"});
  answer = reply.get();
  REQUIRE(answer);
  CHECK(answer->status == 503);

  const auto metrics = http_get(edge.port(), "/metrics");
  REQUIRE(metrics);
  CHECK(sample(metrics->body, "edge_http_requests_total{code=\"401\",handler=\"limit\"}") == 5.0);
  CHECK(sample(metrics->body, "edge_http_requests_total{code=\"200\",handler=\"limit\"}") == 1.0);
}

TEST_CASE("the feeder limit endpoints: 403 and 401 as for substations, then 200, 400, 404, 503 and 504") {
  zmq::context_t context;
  FakeBalancer balancer(context);
  {
    Edge closed(context, balancer.endpoint, OperatorAuth());
    const auto answer = send(closed.port(), "PUT", "/feeders/f1/limit", std::string(json_type) + bearer(token),
                             R"({"limit_kw":400})").get();
    REQUIRE(answer);
    CHECK(answer->status == 403);
  }
  Edge edge(context, balancer.endpoint, OperatorAuth(std::vector<std::string>{token}));
  connect(balancer, edge);
  const std::string body = R"({"limit_kw":400,"starts_in_s":1800,"duration_s":3600})";
  for (const std::string& headers : {std::string(json_type), std::string(json_type) + bearer("wrong")}) {
    CAPTURE(headers);
    const auto answer = send(edge.port(), "PUT", "/feeders/f1/limit", headers, body).get();
    REQUIRE(answer);
    CHECK(answer->status == 401);
    CHECK(answer->headers.at("www-authenticate").rfind("Bearer", 0) == 0);
  }
  const auto unauthorized_delete = send(edge.port(), "DELETE", "/feeders/f1/limit").get();
  REQUIRE(unauthorized_delete);
  CHECK(unauthorized_delete->status == 401);
  CHECK_FALSE(balancer.next(100ms));  // none reached the balancer

  const std::string operator_headers = std::string(json_type) + bearer(token);
  auto reply = send(edge.port(), "PUT", "/feeders/f1/limit", operator_headers, body);
  auto set = balancer.next_of<proto::FeederLimit>();
  CHECK(set.feeder_id == "f1");
  CHECK(set.limit_kw == 400);
  CHECK(set.starts_in_s == 1800);
  CHECK(set.duration_s == 3600);
  balancer.answer(proto::FeederLimitAck{.request_id = set.request_id, .feeder_id = "f1", .applied = true,
                                        .limit_kw = 400, .starts_in_s = 1800, .expires_in_s = 5400,
                                        .topology_kw = 600});
  auto answer = reply.get();
  REQUIRE(answer);
  CHECK(answer->status == 200);
  CHECK(body_of(answer) == json{{"feeder", "f1"}, {"limit_kw", 400.0}, {"starts_in_s", 1800.0},
                                {"expires_in_s", 5400.0}, {"topology_kw", 600.0}});

  answer = send(edge.port(), "PUT", "/feeders/f1/limit", operator_headers, R"({"limit_kw":400,"start":5})").get();
  REQUIRE(answer);
  CHECK(answer->status == 400);
  CHECK(body_of(answer)["error"].get<std::string>().find("start") != std::string::npos);

  reply = send(edge.port(), "DELETE", "/feeders/nowhere/limit", bearer(token));
  set = balancer.next_of<proto::FeederLimit>();
  CHECK(set.limit_kw == 0);  // 0 clears
  CHECK(set.starts_in_s == 0);
  CHECK(set.duration_s == 0);
  balancer.answer(proto::FeederLimitAck{.request_id = set.request_id, .feeder_id = "nowhere", .applied = false,
                                        .reason = "no feeder 'nowhere' in the topology"});
  answer = reply.get();
  REQUIRE(answer);
  CHECK(answer->status == 404);
  CHECK(body_of(answer)["error"] == "no feeder 'nowhere' in the topology");

  reply = send(edge.port(), "DELETE", "/feeders/f1/limit", bearer(token));
  set = balancer.next_of<proto::FeederLimit>();
  balancer.answer(proto::FeederLimitAck{.request_id = set.request_id, .feeder_id = "f1", .applied = false,
                                        .reason = "the balancer is not ready"});
  answer = reply.get();
  REQUIRE(answer);
  CHECK(answer->status == 503);

  const auto metrics = http_get(edge.port(), "/metrics");
  REQUIRE(metrics);
  CHECK(sample(metrics->body, "edge_http_requests_total{code=\"401\",handler=\"feeder_limit\"}") == 3.0);
  CHECK(sample(metrics->body, "edge_http_requests_total{code=\"200\",handler=\"feeder_limit\"}") == 1.0);
  CHECK(sample(metrics->body, "edge_http_requests_total{code=\"404\",handler=\"feeder_limit\"}") == 1.0);

  // An answer of the wrong kind does not answer a feeder limit: it waits for the deadline, 504.
  Edge hasty(context, balancer.endpoint, OperatorAuth(std::vector<std::string>{token}), 400ms);
  connect(balancer, hasty);
  reply = send(hasty.port(), "DELETE", "/feeders/f1/limit", bearer(token));
  set = balancer.next_of<proto::FeederLimit>();
  balancer.answer(proto::LimitAck{set.request_id, "f1", true, 80, 100, 0, ""});
  answer = reply.get();
  REQUIRE(answer);
  CHECK(answer->status == 504);
}
