// The edge's broker thread against a scripted balancer: a ROUTER on loopback that the test drives
// by hand, so replies can come out of order, late, malformed, or not at all.
#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <thread>

#include "broker_client.h"
#include "broker_fixtures.h"
#include "grid/metrics/exposition.h"
#include "grid/proto/codec.h"
#include "grid/transport/sockets.h"
#include "grid/transport/wire.h"
#include "support/http_get.h"
#include "support/process.h"
#include "support/wait.h"

using namespace grid;
using namespace grid::edge;
using namespace grid::test;
using namespace grid::edge::testing;
using namespace std::chrono_literals;

TEST_CASE("replies are matched to their requests by id, in whatever order they come") {
  zmq::context_t context;
  Answers answers;  // outlives the brokers, which answer into it as they stop
  FakeBalancer balancer(context);
  RunningBroker edge(context, config_for(balancer.endpoint));
  REQUIRE(balancer.serve_until([&] { return edge.broker.healthy(); }));
  CHECK(edge.broker.live_substations() == 3);

  edge.broker.submit({"EV-1", 11, 20}, answers.recorder("EV-1"));
  edge.broker.submit({"EV-2", 22, 40}, answers.recorder("EV-2"));
  const auto first = balancer.next_request();
  const auto second = balancer.next_request();
  CHECK(first.vehicle_id == "EV-1");
  CHECK(first.power_kw == 11);
  CHECK(first.energy_kwh == 20);
  CHECK(second.vehicle_id == "EV-2");
  // Ids: unique, valid on the wire, with the process's prefix.
  CHECK(first.request_id != second.request_id);
  CHECK(proto::valid_id(first.request_id));
  CHECK(first.request_id.rfind("0000000000abcdef-", 0) == 0);

  balancer.reply({second.request_id, proto::Outcome::no_capacity, "", "", 0, "full"});
  balancer.reply({first.request_id, proto::Outcome::charging, "sess-1", "north", 11, ""});
  REQUIRE(wait_until([&] { return answers.size() == 2; }));
  const auto charged_answer = answers.get("EV-1");
  const auto* charged = reply_of(charged_answer);
  REQUIRE(charged);
  CHECK(charged->outcome == proto::Outcome::charging);
  CHECK(charged->substation_id == "north");
  const auto refused_answer = answers.get("EV-2");
  const auto* refused = reply_of(refused_answer);
  REQUIRE(refused);
  CHECK(refused->outcome == proto::Outcome::no_capacity);
}

TEST_CASE("a request with no reply times out, and the late reply is counted and dropped") {
  zmq::context_t context;
  Answers answers;  // outlives the brokers, which answer into it as they stop
  FakeBalancer balancer(context);
  RunningBroker edge(context, config_for(balancer.endpoint, 150ms));
  REQUIRE(balancer.serve_until([&] { return edge.broker.healthy(); }));

  const auto submitted = std::chrono::steady_clock::now();
  edge.broker.submit({"EV-slow", 11, 20}, answers.recorder("EV-slow"));
  const auto request = balancer.next_request();
  REQUIRE(balancer.serve_until([&] { return answers.has("EV-slow"); }));
  CHECK(std::chrono::steady_clock::now() - submitted >= 150ms);
  CHECK(failure_of(answers.get("EV-slow")) == BrokerFailure::timeout);

  balancer.reply({request.request_id, proto::Outcome::charging, "sess", "north", 11, ""});
  CHECK(wait_until([&] { return edge.metric("edge_messages_dropped_total{reason=\"unknown_request\"}") == 1.0; }));
  CHECK(answers.size() == 1);  // answered once only
}

TEST_CASE("garbage from the balancer is counted by reason and does not disturb the edge") {
  zmq::context_t context;
  Answers answers;  // outlives the brokers, which answer into it as they stop
  FakeBalancer balancer(context);
  RunningBroker edge(context, config_for(balancer.endpoint));
  REQUIRE(balancer.serve_until([&] { return edge.broker.healthy(); }));
  edge.broker.submit({"EV-1", 11, 20}, answers.recorder("EV-1"));
  const auto request = balancer.next_request();

  balancer.router.send(zmq::buffer(balancer.client), zmq::send_flags::sndmore);
  balancer.router.send(zmq::str_buffer("NOPE!"), zmq::send_flags::sndmore);
  balancer.router.send(zmq::str_buffer("\x03"), zmq::send_flags::sndmore);
  balancer.router.send(zmq::str_buffer("\x91\xc0"), zmq::send_flags::none);
  transport::send_message(balancer.router, proto::Heartbeat{"north", 1, 1, 100, 0, 0}, balancer.client);
  const std::string bad_protocol = "edge_messages_dropped_total{reason=\"" +
                                   std::string(proto::reason_label(proto::DecodeError::bad_protocol)) + "\"}";
  CHECK(wait_until([&] { return edge.metric(bad_protocol) == 1.0; }));
  CHECK(wait_until([&] { return edge.metric("edge_messages_dropped_total{reason=\"unexpected_command\"}") == 1.0; }));

  balancer.reply({request.request_id, proto::Outcome::charging, "sess", "north", 11, ""});
  CHECK(wait_until([&] {
    const auto answer = answers.get("EV-1");
    return reply_of(answer) != nullptr;
  }));
}

TEST_CASE("with no balancer connected a request fails at once, and health follows the pongs") {
  zmq::context_t context;
  Answers answers;  // outlives the brokers, which answer into it as they stop
  // A port nobody listens on (a closed ZeroMQ socket would go on listening for a moment).
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(free_port());
  RunningBroker edge(context, config_for(endpoint, 5s));
  CHECK_FALSE(edge.broker.healthy());

  const auto submitted = std::chrono::steady_clock::now();
  edge.broker.submit({"EV-1", 11, 20}, answers.recorder("EV-1"));
  REQUIRE(wait_until([&] { return answers.has("EV-1"); }));
  CHECK(failure_of(answers.get("EV-1")) == BrokerFailure::unreachable);
  CHECK(std::chrono::steady_clock::now() - submitted < 1s);  // not the 5 s timeout
  CHECK(edge.metric("edge_balancer_up") == 0.0);
}

TEST_CASE("health: up while pongs come, down within the window once they stop") {
  zmq::context_t context;
  FakeBalancer balancer(context);
  balancer.live = 2;
  RunningBroker edge(context, config_for(balancer.endpoint));
  REQUIRE(balancer.serve_until([&] { return edge.broker.healthy(); }));
  CHECK(edge.broker.live_substations() == 2);
  REQUIRE(balancer.serve_until([&] { return edge.metric("edge_balancer_up") == 1.0; }));
  CHECK(edge.metric("edge_balancer_live_substations") == 2.0);

  balancer.pong = false;  // the balancer hangs: connected, but silent
  const auto silent_since = std::chrono::steady_clock::now();
  REQUIRE(balancer.serve_until([&] { return !edge.broker.healthy(); }));
  CHECK(std::chrono::steady_clock::now() - silent_since < 1s);
  balancer.pong = true;
  CHECK(balancer.serve_until([&] { return edge.broker.healthy(); }));
}

TEST_CASE("stopping answers every waiting request, and later submits are answered at once") {
  zmq::context_t context;
  Answers answers;  // outlives the brokers, which answer into it as they stop
  FakeBalancer balancer(context);
  auto edge = std::make_unique<RunningBroker>(context, config_for(balancer.endpoint, 30s));
  REQUIRE(balancer.serve_until([&] { return edge->broker.healthy(); }));
  edge->broker.submit({"EV-1", 11, 20}, answers.recorder("EV-1"));
  balancer.next_request();
  edge->stop();
  CHECK(failure_of(answers.get("EV-1")) == BrokerFailure::shutting_down);
  edge->broker.submit({"EV-2", 11, 20}, answers.recorder("EV-2"));
  CHECK(failure_of(answers.get("EV-2")) == BrokerFailure::shutting_down);
}

TEST_CASE("request ids differ between edge processes and stay within the id limits") {
  zmq::context_t context;
  Answers answers;  // outlives the brokers, which answer into it as they stop
  FakeBalancer balancer(context);
  BrokerConfig config = config_for(balancer.endpoint);
  config.id_prefix.reset();  // random, as in production
  RunningBroker one(context, config);
  RunningBroker two(context, config);
  REQUIRE(balancer.serve_until([&] { return one.broker.healthy() && two.broker.healthy(); }));
  one.broker.submit({"EV-1", 11, 20}, answers.recorder("EV-1"));
  two.broker.submit({"EV-2", 11, 20}, answers.recorder("EV-2"));
  const auto a = balancer.next_request();
  const auto b = balancer.next_request();
  CHECK(a.request_id != b.request_id);
  CHECK(a.request_id.substr(0, 17) != b.request_id.substr(0, 17));
  CHECK(proto::valid_id(a.request_id));
  CHECK(a.request_id.size() <= 64);
}

TEST_CASE("unanswered after half the timeout, a request is sent once more with the same id") {
  zmq::context_t context;
  Answers answers;  // outlives the brokers, which answer into it as they stop
  FakeBalancer balancer(context);
  RunningBroker edge(context, config_for(balancer.endpoint, 600ms));
  REQUIRE(balancer.serve_until([&] { return edge.broker.healthy(); }));

  edge.broker.submit({"EV-1", 11, 20}, answers.recorder("EV-1"));
  const auto first = balancer.next_request();  // lost, as in a balancer restart
  const auto again = balancer.next_request();
  CHECK(again.request_id == first.request_id);
  CHECK(again.vehicle_id == "EV-1");
  // Counted just after the send: wait for it rather than race it.
  CHECK(wait_until([&] { return edge.metric("edge_balancer_retries_total") == 1.0; }));
  balancer.reply({again.request_id, proto::Outcome::charging, "sess-1", "north", 11, ""});
  REQUIRE(wait_until([&] { return answers.has("EV-1"); }));
  CHECK(reply_of(answers.get("EV-1")));
  CHECK_FALSE(balancer.next(400ms).has_value());  // one retry, never more
}

TEST_CASE("two requests with the same idempotency key while the first is in flight share one request and one answer") {
  zmq::context_t context;
  Answers answers;  // outlives the brokers, which answer into it as they stop
  FakeBalancer balancer(context);
  RunningBroker edge(context, config_for(balancer.endpoint));
  REQUIRE(balancer.serve_until([&] { return edge.broker.healthy(); }));

  edge.broker.submit({"EV-1", 11, 20, "k-key-7"}, answers.recorder("first"));
  edge.broker.submit({"EV-1", 11, 20, "k-key-7"}, answers.recorder("second"));
  const auto request = balancer.next_request();
  CHECK(request.request_id == "k-key-7");
  balancer.reply({request.request_id, proto::Outcome::charging, "sess-7", "north", 11, ""});
  REQUIRE(wait_until([&] { return answers.size() == 2; }));
  CHECK(reply_of(answers.get("first"))->session_id == "sess-7");
  CHECK(reply_of(answers.get("second"))->session_id == "sess-7");
  CHECK_FALSE(balancer.next(300ms).has_value());
}

TEST_CASE("an idempotency key becomes a request id that cannot collide with the edge's own") {
  CHECK(request_id_for_key("abc") == "k-abc");
  CHECK_FALSE(request_id_for_key(""));
  CHECK_FALSE(request_id_for_key(std::string(63, 'a')));
  CHECK(request_id_for_key(std::string(62, 'a')));
  CHECK_FALSE(request_id_for_key("bad\nkey"));
}

TEST_CASE("issue 9.7: a request is the same request only with the same vehicle, power and energy") {
  const proto::ChargeRequest first{"k-K", "EV-x", 11, 20};
  CHECK(differing_field(first, ChargeInput{"EV-x", 11, 20, "k-K"}).empty());
  CHECK(differing_field(first, ChargeInput{"EV-y", 11, 20, "k-K"}) == "vehicle_id");
  CHECK(differing_field(first, ChargeInput{"EV-x", 22, 20, "k-K"}) == "power_kw");
  CHECK(differing_field(first, ChargeInput{"EV-x", 11, 40, "k-K"}) == "energy_kwh");
}
