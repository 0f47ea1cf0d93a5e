// The edge's broker thread against two scripted balancers (ROUTERs on loopback the test plays from
// one thread): charges spread over both by rendezvous hashing, a balancer that stops answering has
// its waiting requests re-sent to the other under the same request ids, nothing is answered twice,
// and a feeder limit reaches every balancer.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "broker_client.h"
#include "broker_fixtures.h"
#include "grid/transport/wire.h"
#include "support/process.h"
#include "support/wait.h"

using namespace grid;
using namespace grid::edge;
using namespace grid::test;
using namespace grid::edge::testing;
using namespace std::chrono_literals;

namespace {

BrokerConfig config_for_both(const FakeBalancer& a, const FakeBalancer& b, std::chrono::milliseconds timeout = 5s) {
  auto config = config_for(a.endpoint, timeout);
  config.balancer_endpoints = {a.endpoint, b.endpoint};
  return config;
}

std::string answering_series(const FakeBalancer& balancer) {
  return "edge_balancer_answering{balancer=\"" + balancer.endpoint + "\"}";
}

void charge(FakeBalancer& balancer, const std::string& routing_id, const proto::ChargeRequest& request) {
  REQUIRE(transport::send_message(balancer.router,
                                  proto::ChargeReply{request.request_id, proto::Outcome::charging, "sess-" + request.vehicle_id,
                                                     "north", request.power_kw, ""},
                                  routing_id) == transport::SendResult::sent);
}

}  // namespace

TEST_CASE("several balancers: charges spread over both, and a silent balancer's requests fail over with their ids") {
  zmq::context_t context;
  Answers answers;  // outlives the broker, which answers into it as it stops
  FakeBalancer a(context);
  FakeBalancer b(context);
  RunningBroker edge(context, config_for_both(a, b));
  REQUIRE(serve_all({&a, &b}, [&] { return edge.broker.answering_balancers() == 2; }));
  REQUIRE(serve_all({&a, &b}, [&] { return edge.metric("edge_balancers_live") == 2.0; }));
  CHECK(edge.metric("edge_balancers_configured") == 2.0);
  CHECK(edge.metric(answering_series(a)) == 1.0);

  constexpr int charges = 40;
  for (int n = 0; n < charges; ++n) edge.broker.submit({"EV-" + std::to_string(n), 11, 20}, answers.recorder("EV-" + std::to_string(n)));
  REQUIRE(serve_all({&a, &b}, [&] { return a.inbox.size() + b.inbox.size() == charges; }));
  auto on_a = a.take<proto::ChargeRequest>();
  auto on_b = b.take<proto::ChargeRequest>();
  // 40 ids all on one of two balancers would be a one in 2^39 chance for a fair hash.
  CHECK_FALSE(on_a.empty());
  CHECK_FALSE(on_b.empty());
  for (const auto& [routing_id, request] : on_b) charge(b, routing_id, request);
  REQUIRE(serve_all({&a, &b}, [&] { return answers.size() == on_b.size(); }));

  // a hangs: connected but silent. Its requests go to b once its pongs are out of the window,
  // long before their retry at half the 5 s timeout.
  a.pong = false;
  std::set<std::string> failed_over;
  REQUIRE(serve_all({&b}, [&] {
    for (const auto& [routing_id, request] : b.take<proto::ChargeRequest>()) {
      failed_over.insert(request.request_id);
      charge(b, routing_id, request);
    }
    return answers.size() == charges;
  }));
  std::set<std::string> expected;
  for (const auto& [routing_id, request] : on_a) expected.insert(request.request_id);
  CHECK(failed_over == expected);  // the same request ids, each once
  CHECK(edge.metric("edge_failovers_total") == static_cast<double>(on_a.size()));
  CHECK(edge.broker.answering_balancers() == 1);
  CHECK(edge.broker.healthy());
  REQUIRE(serve_all({&b}, [&] { return edge.metric(answering_series(a)) == 0.0; }));
  CHECK(edge.metric("edge_balancers_live") == 1.0);
  CHECK(edge.metric("edge_balancer_up") == 1.0);

  // a wakes up and answers what it was sent: too late, dropped; nobody is answered twice.
  a.pump();
  for (const auto& [routing_id, request] : on_a) charge(a, routing_id, request);
  CHECK(serve_all({&a, &b}, [&] {
    return edge.metric("edge_messages_dropped_total{reason=\"unknown_request\"}") == static_cast<double>(on_a.size());
  }));
  for (int n = 0; n < charges; ++n) CHECK(answers.count("EV-" + std::to_string(n)) == 1);
}

TEST_CASE("a closed balancer: its requests fail over to the other, and new ones go there at once") {
  zmq::context_t context;
  Answers answers;
  FakeBalancer a(context);
  FakeBalancer b(context);
  RunningBroker edge(context, config_for_both(a, b));
  REQUIRE(serve_all({&a, &b}, [&] { return edge.broker.answering_balancers() == 2; }));

  // 20 keys: the ports are the system's, so which keys land on a is not known in advance, but
  // none at all would be a one in a million chance.
  constexpr std::size_t charges = 20;
  for (std::size_t n = 0; n < charges; ++n) {
    const std::string vehicle = "EV-" + std::to_string(n);
    edge.broker.submit({vehicle, 11, 20, "k-" + vehicle}, answers.recorder(vehicle));
  }
  REQUIRE(serve_all({&a, &b}, [&] { return a.inbox.size() + b.inbox.size() == charges; }));
  const auto on_a = a.take<proto::ChargeRequest>();
  CHECK_FALSE(on_a.empty());
  a.router.close();  // the balancer process is gone
  std::set<std::string> answered_ids;
  REQUIRE(serve_all({&b}, [&] {
    for (const auto& [routing_id, request] : b.take<proto::ChargeRequest>()) {
      answered_ids.insert(request.request_id);
      charge(b, routing_id, request);
    }
    return answers.size() == charges;
  }));
  for (const auto& [routing_id, request] : on_a) CHECK(answered_ids.count(request.request_id) == 1);
  CHECK(edge.metric("edge_failovers_total") == static_cast<double>(on_a.size()));

  // With a gone, every charge goes to b, whatever its id hashes to.
  for (int n = 0; n < 10; ++n) edge.broker.submit({"EV-late", 11, 20}, answers.recorder("late"));
  CHECK(serve_all({&b}, [&] { return b.inbox.size() == 10; }));
}

TEST_CASE("the same idempotency key through two edges with the same balancers reaches the same balancer") {
  zmq::context_t context;
  Answers answers;
  FakeBalancer a(context);
  FakeBalancer b(context);
  RunningBroker one(context, config_for_both(a, b));
  auto reversed = config_for_both(b, a);  // the list's order does not matter
  reversed.id_prefix = 0x123456;
  RunningBroker two(context, reversed);
  REQUIRE(serve_all({&a, &b}, [&] { return one.broker.answering_balancers() == 2 && two.broker.answering_balancers() == 2; }));
  for (const std::string key : {"k-a1", "k-b2", "k-c3", "k-d4", "k-e5", "k-f6"}) {
    CAPTURE(key);
    one.broker.submit({"EV-" + key, 11, 20, key}, answers.recorder("one"));
    two.broker.submit({"EV-" + key, 11, 20, key}, answers.recorder("two"));
    REQUIRE(serve_all({&a, &b}, [&] { return a.inbox.size() + b.inbox.size() == 2; }));
    CHECK((a.inbox.size() == 2 || b.inbox.size() == 2));
    a.inbox.clear();
    b.inbox.clear();
  }
}

TEST_CASE("queries take turns over the balancers, and a feeder limit reaches every one, the refusal winning") {
  zmq::context_t context;
  Answers answers;
  FakeBalancer a(context);
  FakeBalancer b(context);
  RunningBroker edge(context, config_for_both(a, b));
  REQUIRE(serve_all({&a, &b}, [&] { return edge.broker.answering_balancers() == 2; }));

  edge.broker.ask(proto::SessionQuery{"", "north.1-1", false}, answers.recorder("first"));
  edge.broker.ask(proto::SessionQuery{"", "north.1-2", false}, answers.recorder("second"));
  REQUIRE(serve_all({&a, &b}, [&] { return a.inbox.size() + b.inbox.size() == 2; }));
  CHECK(a.inbox.size() == 1);
  CHECK(b.inbox.size() == 1);
  a.inbox.clear();
  b.inbox.clear();

  edge.broker.ask(proto::FeederLimit{"", "west", 300, 0, 0}, answers.recorder("feeder"));
  REQUIRE(serve_all({&a, &b}, [&] { return a.inbox.size() == 1 && b.inbox.size() == 1; }));
  const auto to_a = a.take<proto::FeederLimit>();
  const auto to_b = b.take<proto::FeederLimit>();
  REQUIRE(to_a.size() == 1);
  REQUIRE(to_b.size() == 1);
  CHECK(to_a[0].second.request_id == to_b[0].second.request_id);
  CHECK(to_a[0].second.limit_kw == 300);
  const std::string id = to_a[0].second.request_id;
  transport::send_message(a.router, proto::FeederLimitAck{id, "west", true, 300}, to_a[0].first);
  CHECK_FALSE(serve_all({&a, &b}, [&] { return answers.has("feeder"); }, 200ms));  // b has not acked yet
  transport::send_message(b.router, proto::FeederLimitAck{id, "west", false, 0, 0, 0, 0, "feeder west is busy"},
                          to_b[0].first);
  REQUIRE(serve_all({&a, &b}, [&] { return answers.has("feeder"); }));
  const auto answer = answers.get("feeder");
  const auto* ack = std::get_if<proto::FeederLimitAck>(&*answer);
  REQUIRE(ack);
  CHECK_FALSE(ack->applied);
  CHECK(ack->reason == "feeder west is busy");
}

TEST_CASE("a feeder limit one balancer never acks is answered at the deadline with the ack that came, and counted") {
  zmq::context_t context;
  Answers answers;
  FakeBalancer a(context);
  FakeBalancer b(context);
  RunningBroker edge(context, config_for_both(a, b, 400ms));
  REQUIRE(serve_all({&a, &b}, [&] { return edge.broker.answering_balancers() == 2; }));

  edge.broker.ask(proto::FeederLimit{"", "west", 300, 0, 0}, answers.recorder("feeder"));
  REQUIRE(serve_all({&a, &b}, [&] { return !a.inbox.empty() && !b.inbox.empty(); }));
  const auto to_a = a.take<proto::FeederLimit>();
  REQUIRE(to_a.size() == 1);
  transport::send_message(a.router, proto::FeederLimitAck{to_a[0].second.request_id, "west", true, 300}, to_a[0].first);
  REQUIRE(serve_all({&a, &b}, [&] { return answers.has("feeder"); }));
  const auto answer = answers.get("feeder");
  const auto* ack = std::get_if<proto::FeederLimitAck>(&*answer);
  REQUIRE(ack);
  CHECK(ack->applied);
  CHECK(edge.metric("edge_feeder_limit_unanswered_total{balancer=\"" + b.endpoint + "\"}") == 1.0);
  CHECK(edge.metric("edge_feeder_limit_unanswered_total{balancer=\"" + a.endpoint + "\"}") == 0.0);
  // The retry at half the timeout went to b only, the one that had not acked.
  CHECK(a.take<proto::FeederLimit>().empty());
}

TEST_CASE("with no balancer connected at all, a request fails over through every one and is unreachable at once") {
  zmq::context_t context;
  Answers answers;
  auto config = config_for("tcp://127.0.0.1:" + std::to_string(free_port()), 5s);
  config.balancer_endpoints.push_back("tcp://127.0.0.1:" + std::to_string(free_port()));
  RunningBroker edge(context, config);
  const auto submitted = std::chrono::steady_clock::now();
  edge.broker.submit({"EV-1", 11, 20}, answers.recorder("EV-1"));
  edge.broker.ask(proto::FeederLimit{"", "west", 300, 0, 0}, answers.recorder("feeder"));
  REQUIRE(wait_until([&] { return answers.size() == 2; }));
  CHECK(failure_of(answers.get("EV-1")) == BrokerFailure::unreachable);
  CHECK(failure_of(answers.get("feeder")) == BrokerFailure::unreachable);
  CHECK(std::chrono::steady_clock::now() - submitted < 1s);
  CHECK(edge.metric("edge_balancers_configured") == 2.0);
  CHECK(edge.metric("edge_balancer_up") == 0.0);
}

TEST_CASE("a balancer list with a duplicate is refused at construction") {
  zmq::context_t context;
  auto config = config_for("tcp://127.0.0.1:5999");
  config.balancer_endpoints.push_back("tcp://127.0.0.1:5999");
  metrics::Exposition registry;
  EdgeMetrics metrics(registry.registry());
  CHECK_THROWS_AS(BrokerClient(context, config, metrics), std::invalid_argument);
}
