// The edge's smart-charging routes over real HTTP on loopback, against a scripted balancer: each
// route's 200 and every other status it can answer (404, 503, 504; 401 and 403 for the operator
// routes), what reaches the balancer, and the handler labels of the metrics.
#include <doctest/doctest.h>

#include <future>
#include <thread>

#include <nlohmann/json.hpp>

#include "broker_fixtures.h"
#include "edge_node.h"
#include "support/http_get.h"
#include "support/wait.h"

using namespace grid;
using namespace grid::edge;
using namespace grid::edge::testing;
using namespace grid::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

constexpr const char* token = "op-token-7f3a";

struct Edge {
  Edge(zmq::context_t& context, const std::string& balancer, OperatorAuth operators,
       std::chrono::milliseconds timeout = 5s) {
    EdgeConfig config;
    config.listen_host = "127.0.0.1";
    config.listen_port = 0;
    config.broker = {.balancer_endpoint = balancer, .timeout = timeout, .ping_interval = 50ms, .health_window = 300ms};
    config.operators = std::move(operators);
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
std::future<std::optional<HttpReply>> send(int port, const std::string& method, const std::string& target,
                                           const std::string& headers = "", const std::string& body = "") {
  return std::async(std::launch::async, [=]() -> std::optional<HttpReply> {
    const auto exchange = raw_exchange(port, method + " " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
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

std::string bearer(const std::string& value) { return "Authorization: Bearer " + value + "\r\n"; }
constexpr const char* json_type = "Content-Type: application/json\r\n";

json body_of(const std::optional<HttpReply>& reply) {
  REQUIRE(reply);
  return json::parse(reply->body);
}

void connect(FakeBalancer& balancer, Edge& edge) {
  REQUIRE(balancer.serve_until([&] { return edge.node->healthy(); }));
}

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

TEST_CASE("GET /substations: the gathered list as a JSON array; 504 when the balancer does not answer") {
  zmq::context_t context;
  FakeBalancer balancer(context);
  Edge edge(context, balancer.endpoint, OperatorAuth(), 300ms);
  connect(balancer, edge);

  auto reply = send(edge.port(), "GET", "/substations");
  const auto query = balancer.next_of<proto::SubstationsQuery>();
  proto::SubstationInfo south{query.request_id, 1, 2, "south", false, true, 50, 50, 0, 0, 0};
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
