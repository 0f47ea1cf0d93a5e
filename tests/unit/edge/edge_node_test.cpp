// The edge node over real HTTP on loopback, with a scripted balancer behind it: routes, the
// mapping of every balancer outcome to a status, and the in-flight cap.
#include <doctest/doctest.h>

#include <future>
#include <thread>

#include <nlohmann/json.hpp>

#include "edge_http_fixtures.h"
#include "edge_node.h"
#include "grid/transport/sockets.h"
#include "grid/transport/wire.h"
#include "support/http_get.h"
#include "support/wait.h"

using namespace grid;
using namespace grid::edge;
using namespace grid::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

// The balancer frontend, answering pings; charge requests are handed to the test.
struct ScriptedBalancer {
  explicit ScriptedBalancer(zmq::context_t& context)
      : router(transport::make_socket(context, zmq::socket_type::router, {.router_mandatory = true})) {
    router.bind("tcp://127.0.0.1:*");
    endpoint = transport::last_endpoint(router);
  }
  // The next charge request, answering pings meanwhile; empty after `limit`.
  std::optional<proto::ChargeRequest> next_request(std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 10ms);
      auto inbound = transport::receive_message(router, true);
      if (!inbound || !std::holds_alternative<proto::Message>(inbound->message)) continue;
      client = inbound->routing_id;
      auto& message = std::get<proto::Message>(inbound->message);
      if (const auto* ping = std::get_if<proto::Ping>(&message)) {
        transport::send_message(router, proto::Pong{ping->nonce, 3}, client);
      } else if (auto* request = std::get_if<proto::ChargeRequest>(&message)) {
        return *request;
      }
    }
    return std::nullopt;
  }
  void reply(proto::ChargeReply reply) { transport::send_message(router, reply, client); }

  zmq::socket_t router;
  std::string endpoint;
  std::string client;
};

// An edge without operator tokens; max_in_flight and the timeout as each test needs.
struct RunningEdge : testing::Edge {
  RunningEdge(zmq::context_t& context, const std::string& balancer, std::size_t max_in_flight = 100,
              std::chrono::milliseconds timeout = 2s)
      : Edge(context, balancer, OperatorAuth(), timeout, max_in_flight) {}
};

// A request sent before the edge's DEALER has connected is answered 504 at once (by design), so
// tests wait for the first pong, which proves the connection.
void wait_connected(RunningEdge& edge, ScriptedBalancer& balancer) {
  REQUIRE(wait_until([&] {
    balancer.next_request(10ms);
    return edge.node->healthy();
  }));
}

std::future<std::optional<HttpReply>> post_charge(int port, std::string body,
                                                  std::string content_type = "application/json") {
  return std::async(std::launch::async, [=] { return http_request(port, "POST", "/charge", body, content_type); });
}

std::string header_of(const std::optional<HttpReply>& reply, const std::string& name) {
  REQUIRE(reply);
  const auto found = reply->headers.find(name);
  return found == reply->headers.end() ? std::string() : found->second;
}

json body_of(const std::optional<HttpReply>& reply) {
  REQUIRE(reply);
  return json::parse(reply->body);
}

}  // namespace

TEST_CASE("routes: 404 elsewhere, 405 with Allow for the wrong method, metrics and health on the same port") {
  zmq::context_t context;
  ScriptedBalancer balancer(context);
  RunningEdge edge(context, balancer.endpoint);

  const auto missing = http_get(edge.port(), "/nowhere");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  CHECK(body_of(missing)["error"] == "not found");

  const auto get_charge = http_get(edge.port(), "/charge");
  REQUIRE(get_charge);
  CHECK(get_charge->status == 405);
  CHECK(header_of(get_charge, "allow") == "POST");
  const auto post_metrics = http_request(edge.port(), "POST", "/metrics", "{}", "application/json");
  REQUIRE(post_metrics);
  CHECK(post_metrics->status == 405);
  CHECK(header_of(post_metrics, "allow") == "GET");

  // No pong yet: unhealthy. Then the balancer answers a ping, and the edge is healthy.
  const auto before = http_get(edge.port(), "/healthz");
  REQUIRE(before);
  CHECK(before->status == 503);
  CHECK(body_of(before)["status"] == "unhealthy");
  std::optional<HttpReply> after;
  REQUIRE(wait_until([&] {
    balancer.next_request(20ms);
    after = http_get(edge.port(), "/healthz");
    return after && after->status == 200;
  }));
  CHECK(body_of(after)["live_substations"] == 3);
  CHECK(body_of(after)["balancers_answering"] == 1);
  CHECK(body_of(after)["balancers_configured"] == 1);

  const auto metrics = http_get(edge.port(), "/metrics?x=1");
  REQUIRE(metrics);
  CHECK(metrics->status == 200);
  CHECK(promtool_check_metrics(metrics->body) == "");
  CHECK(sample(metrics->body, "edge_http_requests_total{code=\"404\",handler=\"other\"}") == 1.0);
  CHECK(sample(metrics->body, "edge_http_requests_total{code=\"405\",handler=\"charge\"}") == 1.0);
}

TEST_CASE("each balancer outcome becomes its status, with Retry-After on a 503") {
  zmq::context_t context;
  ScriptedBalancer balancer(context);
  RunningEdge edge(context, balancer.endpoint, 100, 300ms);
  wait_connected(edge, balancer);
  struct Row {
    proto::Outcome outcome;
    int status;
    std::string error;
    std::string retry_after;
  };
  const std::vector<Row> table{{proto::Outcome::charging, 200, "", ""},
                               {proto::Outcome::no_capacity, 503, "no capacity", "10"},
                               {proto::Outcome::busy, 503, "balancer busy", "1"},
                               {proto::Outcome::invalid, 400, "vehicle banned", ""}};
  for (const auto& row : table) {
    CAPTURE(row.status);
    auto reply = post_charge(edge.port(), R"({"vehicle_id": "EV-42", "power_kw": 22})");
    const auto request = balancer.next_request();
    REQUIRE(request);
    CHECK(request->vehicle_id == "EV-42");
    CHECK(request->power_kw == 22);
    CHECK(request->energy_kwh == 20);
    const bool charging = row.outcome == proto::Outcome::charging;
    balancer.reply({request->request_id, row.outcome, charging ? "sess-7" : "", charging ? "north" : "",
                    charging ? 22.0 : 0.0, charging ? "" : "vehicle banned"});
    const auto answer = reply.get();
    REQUIRE(answer);
    CHECK(answer->status == row.status);
    CHECK(header_of(answer, "content-type") == "application/json");
    const auto body = body_of(answer);
    if (charging) {
      CHECK(body == json{{"status", "charging"}, {"vehicle_id", "EV-42"}, {"session_id", "sess-7"},
                         {"substation", "north"}, {"power_kw", 22.0}, {"min_power_kw", 0.0}});
    } else {
      CHECK(body["error"] == row.error);
    }
    CHECK(header_of(answer, "retry-after") == row.retry_after);
  }

  // No answer at all: 504 after the timeout.
  auto reply = post_charge(edge.port(), R"({"vehicle_id": "EV-43"})");
  REQUIRE(balancer.next_request());
  const auto answer = reply.get();
  REQUIRE(answer);
  CHECK(answer->status == 504);
  CHECK(body_of(answer)["error"] == "balancer timeout");
}

TEST_CASE("over --max-in-flight the edge answers 503 at once, without asking the balancer") {
  zmq::context_t context;
  ScriptedBalancer balancer(context);
  RunningEdge edge(context, balancer.endpoint, 2, 10s);
  wait_connected(edge, balancer);
  auto first = post_charge(edge.port(), R"({"vehicle_id": "EV-1"})");
  auto second = post_charge(edge.port(), R"({"vehicle_id": "EV-2"})");
  const auto one = balancer.next_request();
  const auto two = balancer.next_request();
  REQUIRE(one);
  REQUIRE(two);

  const auto third = http_request(edge.port(), "POST", "/charge", R"({"vehicle_id": "EV-3"})", "application/json");
  REQUIRE(third);
  CHECK(third->status == 503);
  CHECK(header_of(third, "retry-after") == "1");
  CHECK(body_of(third)["error"] == "edge overloaded");
  CHECK_FALSE(balancer.next_request(100ms));

  const auto metrics = http_get(edge.port(), "/metrics");
  REQUIRE(metrics);
  CHECK(sample(metrics->body, "edge_requests_in_flight") == 2.0);

  for (const auto& request : {*one, *two}) {
    balancer.reply({request.request_id, proto::Outcome::charging, "s-" + request.vehicle_id, "north", 11, ""});
  }
  CHECK(first.get()->status == 200);
  CHECK(second.get()->status == 200);
  // The gauge drops just after the answer is handed to the connection: wait for it, do not race it.
  CHECK(wait_until([&] {
    const auto after = http_get(edge.port(), "/metrics");
    return after && sample(after->body, "edge_requests_in_flight") == 0.0;
  }));
}

TEST_CASE("bad requests are answered by the edge itself: 400, 413, 415") {
  zmq::context_t context;
  ScriptedBalancer balancer(context);
  RunningEdge edge(context, balancer.endpoint);

  const auto malformed = http_request(edge.port(), "POST", "/charge", "{\"vehicle_id\":", "application/json");
  REQUIRE(malformed);
  CHECK(malformed->status == 400);
  CHECK(body_of(malformed)["error"].get<std::string>().find("malformed JSON") != std::string::npos);

  const auto text = http_request(edge.port(), "POST", "/charge", R"({"vehicle_id":"EV-1"})", "text/plain");
  REQUIRE(text);
  CHECK(text->status == 415);

  const std::string big = R"({"vehicle_id":"EV-1","x":")" + std::string(70 * 1024, 'x') + "\"}";
  const auto too_big = http_request(edge.port(), "POST", "/charge", big, "application/json");
  REQUIRE(too_big);
  CHECK(too_big->status == 413);

  CHECK_FALSE(balancer.next_request(100ms));  // none of them reached the balancer
}

namespace {

// POST /charge with header lines of the test's choosing (each ending in \r\n).
std::optional<HttpReply> post_with_headers(int port, const std::string& headers, const std::string& body) {
  const auto exchange = raw_exchange(port, "POST /charge HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + headers +
                                               "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  const auto& text = exchange.received;
  const auto body_at = text.find("\r\n\r\n");
  if (text.rfind("HTTP/1.1 ", 0) != 0 || body_at == std::string::npos) return std::nullopt;
  return HttpReply{std::stoi(text.substr(9, 3)), {}, text.substr(body_at + 4)};
}

constexpr const char* json_type = "Content-Type: application/json\r\n";

}  // namespace

TEST_CASE("issue 9.6: a request refused for its Idempotency-Key gives its in-flight slot back") {
  zmq::context_t context;
  ScriptedBalancer balancer(context);
  RunningEdge edge(context, balancer.endpoint, 2, 10s);
  wait_connected(edge, balancer);
  for (int i = 0; i < 3; ++i) {
    const auto refused = post_with_headers(edge.port(), std::string(json_type) + "Idempotency-Key: " +
                                                            std::string(80, 'k') + "\r\n",
                                           R"({"vehicle_id":"EV-1"})");
    REQUIRE(refused);
    CHECK(refused->status == 400);
  }
  const auto metrics = http_get(edge.port(), "/metrics");
  REQUIRE(metrics);
  CHECK(sample(metrics->body, "edge_requests_in_flight") == 0.0);
  // And the cap of 2 still has room for two real requests.
  auto first = post_charge(edge.port(), R"({"vehicle_id": "EV-1"})");
  auto second = post_charge(edge.port(), R"({"vehicle_id": "EV-2"})");
  for (int i = 0; i < 2; ++i) {
    const auto request = balancer.next_request();
    REQUIRE(request);
    balancer.reply({request->request_id, proto::Outcome::charging, "s-" + request->vehicle_id, "north", 11, ""});
  }
  CHECK(first.get()->status == 200);
  CHECK(second.get()->status == 200);
  CHECK(wait_until([&] {
    const auto after = http_get(edge.port(), "/metrics");
    return after && sample(after->body, "edge_requests_in_flight") == 0.0;
  }));
}

TEST_CASE("issue 9.7: an Idempotency-Key reused for a different request while the first waits is 422") {
  zmq::context_t context;
  ScriptedBalancer balancer(context);
  RunningEdge edge(context, balancer.endpoint, 100, 10s);
  wait_connected(edge, balancer);
  const std::string key = "Idempotency-Key: K-1\r\n";
  auto first = std::async(std::launch::async, [&] {
    return post_with_headers(edge.port(), json_type + key, R"({"vehicle_id":"EV-x"})");
  });
  const auto request = balancer.next_request();
  REQUIRE(request);
  CHECK(request->request_id == "k-K-1");

  const auto other = post_with_headers(edge.port(), json_type + key, R"({"vehicle_id":"EV-other","power_kw":22})");
  REQUIRE(other);
  CHECK(other->status == 422);
  CHECK(body_of(other)["error"] == "Idempotency-Key already used for a different request (vehicle_id differs)");
  const auto more_power = post_with_headers(edge.port(), json_type + key, R"({"vehicle_id":"EV-x","power_kw":22})");
  REQUIRE(more_power);
  CHECK(more_power->status == 422);
  CHECK(body_of(more_power)["error"].get<std::string>().find("power_kw differs") != std::string::npos);

  // The first request is untouched by the conflicts: it gets its own answer, with its own vehicle.
  CHECK_FALSE(balancer.next_request(100ms));
  balancer.reply({request->request_id, proto::Outcome::charging, "S", "north", 11, ""});
  const auto reply = first.get();
  REQUIRE(reply);
  CHECK(reply->status == 200);
  CHECK(body_of(reply)["session_id"] == "S");
  CHECK(body_of(reply)["vehicle_id"] == "EV-x");
}

TEST_CASE("issue 9.7: the balancer's conflict answer is 422 with its reason") {
  zmq::context_t context;
  ScriptedBalancer balancer(context);
  RunningEdge edge(context, balancer.endpoint);
  wait_connected(edge, balancer);
  auto reply = std::async(std::launch::async, [&] {
    return post_with_headers(edge.port(), std::string(json_type) + "Idempotency-Key: K-2\r\n",
                             R"({"vehicle_id":"EV-other"})");
  });
  const auto request = balancer.next_request();
  REQUIRE(request);
  balancer.reply({request->request_id, proto::Outcome::conflict, "", "", 0, "request id reused (vehicle_id differs)"});
  const auto answer = reply.get();
  REQUIRE(answer);
  CHECK(answer->status == 422);
  CHECK(body_of(answer)["error"] == "request id reused (vehicle_id differs)");
}

TEST_CASE("issue 9.9: an empty Idempotency-Key, and a header given twice, are 400 naming the header") {
  zmq::context_t context;
  ScriptedBalancer balancer(context);
  RunningEdge edge(context, balancer.endpoint);
  struct Row {
    std::string name;
    std::string headers;
    std::string must_mention;
  };
  const std::vector<Row> table{
      {"empty key", std::string(json_type) + "Idempotency-Key:\r\n", "Idempotency-Key is empty"},
      {"blank key", std::string(json_type) + "Idempotency-Key:   \r\n", "Idempotency-Key is empty"},
      {"two keys", std::string(json_type) + "Idempotency-Key: a\r\nIdempotency-Key: b\r\n",
       "Idempotency-Key must be sent once, not 2 times"},
      {"two keys, one empty", std::string(json_type) + "Idempotency-Key: a\r\nidempotency-key:\r\n",
       "Idempotency-Key must be sent once"},
      {"two content types", std::string(json_type) + "Content-Type: text/plain\r\n",
       "Content-Type must be sent once, not 2 times"},
      {"two equal content types", std::string(json_type) + json_type, "Content-Type must be sent once"},
  };
  for (const auto& row : table) {
    CAPTURE(row.name);
    const auto reply = post_with_headers(edge.port(), row.headers, R"({"vehicle_id":"EV-1"})");
    REQUIRE(reply);
    CHECK(reply->status == 400);
    CHECK(body_of(reply)["error"].get<std::string>().find(row.must_mention) != std::string::npos);
  }
  CHECK_FALSE(balancer.next_request(100ms));  // none of them reached the balancer
}
