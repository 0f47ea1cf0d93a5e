// The broker thread's queries (issue 12): a SessionQuery, a SetLimit and a SubstationsQuery go to
// the balancer under fresh request ids, and the answers are routed back by id and by kind, with
// the same deadlines and retries as a charge. The substation list is gathered from its parts.
#include <doctest/doctest.h>

#include "broker_client.h"
#include "broker_fixtures.h"
#include "grid/proto/codec.h"
#include "substation_list.h"
#include "support/wait.h"

using namespace grid;
using namespace grid::edge;
using namespace grid::edge::testing;
using namespace grid::test;
using namespace std::chrono_literals;

namespace {

template <typename Kind>
const Kind* answer_of(const std::optional<BrokerAnswer>& answer) {
  return answer ? std::get_if<Kind>(&*answer) : nullptr;
}

proto::SubstationInfo info(std::uint32_t index, std::uint32_t total, const std::string& id = "") {
  proto::SubstationInfo result;
  result.index = index;
  result.total = total;
  result.substation_id = id.empty() ? "s" + std::to_string(index) : id;
  result.live = true;
  result.capacity_kw = 100;
  return result;
}

}  // namespace

TEST_CASE("a session query and a limit are answered by their own kind of answer, matched by id") {
  zmq::context_t context;
  Answers answers;
  FakeBalancer balancer(context);
  RunningBroker edge(context, config_for(balancer.endpoint));
  REQUIRE(balancer.serve_until([&] { return edge.broker.healthy(); }));

  edge.broker.ask(proto::SessionQuery{"", "north.0000002a-1", true}, answers.recorder("session"));
  const auto query = balancer.next_of<proto::SessionQuery>();
  CHECK(query.session_id == "north.0000002a-1");
  CHECK(query.stop);
  CHECK(proto::valid_id(query.request_id));
  CHECK(query.request_id.rfind("0000000000abcdef-", 0) == 0);

  edge.broker.ask(proto::SetLimit{"", "north", 80, 3600}, answers.recorder("limit"));
  const auto set = balancer.next_of<proto::SetLimit>();
  CHECK(set.substation_id == "north");
  CHECK(set.limit_kw == 80);
  CHECK(set.duration_s == 3600);
  CHECK(set.request_id != query.request_id);

  // An answer of the wrong kind for a known id does not answer it.
  balancer.answer(proto::LimitAck{query.request_id, "north", true, 80, 100, 0, ""});
  CHECK(wait_until([&] { return edge.metric("edge_messages_dropped_total{reason=\"unexpected_command\"}") == 1.0; }));
  CHECK(answers.size() == 0);

  proto::SessionState state;
  state.request_id = query.request_id;
  state.found = true;
  state.session_id = query.session_id;
  state.status = proto::SessionStatus::stopped;
  state.delivered_kwh = 3.5;
  balancer.answer(state);
  balancer.answer(proto::LimitAck{set.request_id, "north", true, 80, 100, 3600, ""});
  REQUIRE(wait_until([&] { return answers.size() == 2; }));
  const auto session_answer = answers.get("session");
  const auto* got = answer_of<proto::SessionState>(session_answer);
  REQUIRE(got);
  CHECK(got->status == proto::SessionStatus::stopped);
  CHECK(got->delivered_kwh == 3.5);
  const auto limit_answer = answers.get("limit");
  const auto* ack = answer_of<proto::LimitAck>(limit_answer);
  REQUIRE(ack);
  CHECK(ack->expires_in_s == 3600);
}

TEST_CASE("a query unanswered is retried once with the same id, then times out like a charge") {
  zmq::context_t context;
  Answers answers;
  FakeBalancer balancer(context);
  RunningBroker edge(context, config_for(balancer.endpoint, 300ms));
  REQUIRE(balancer.serve_until([&] { return edge.broker.healthy(); }));

  edge.broker.ask(proto::SessionQuery{"", "north.0000002a-1", false}, answers.recorder("session"));
  const auto first = balancer.next_of<proto::SessionQuery>();
  const auto again = balancer.next_of<proto::SessionQuery>();
  CHECK(again == first);
  REQUIRE(balancer.serve_until([&] { return answers.has("session"); }));
  CHECK(failure_of(answers.get("session")) == BrokerFailure::timeout);
  CHECK(edge.metric("edge_balancer_retries_total") == 1.0);
}

TEST_CASE("the substation list is gathered from every index, whatever the order and repeats") {
  zmq::context_t context;
  Answers answers;
  FakeBalancer balancer(context);
  RunningBroker edge(context, config_for(balancer.endpoint, 10s));
  REQUIRE(balancer.serve_until([&] { return edge.broker.healthy(); }));

  edge.broker.ask(proto::SubstationsQuery{}, answers.recorder("list"));
  const auto query = balancer.next_of<proto::SubstationsQuery>();
  constexpr std::uint32_t total = 10'000;  // a large grid: each arrives as its own message
  for (std::uint32_t i = total; i-- > 0;) {
    auto part = info(i, total);
    part.request_id = query.request_id;
    balancer.answer(part);
    if (i == total / 2) balancer.answer(part);  // a retry's repeat counts once
  }
  REQUIRE(wait_until([&] { return answers.has("list"); }));
  const auto list_answer = answers.get("list");
  const auto* list = answer_of<SubstationList>(list_answer);
  REQUIRE(list);
  REQUIRE(list->size() == total);
  CHECK((*list)[0].substation_id == "s0");
  CHECK((*list)[total - 1].substation_id == "s" + std::to_string(total - 1));

  // None known: one message with total 0 is the empty list.
  edge.broker.ask(proto::SubstationsQuery{}, answers.recorder("empty"));
  const auto second = balancer.next_of<proto::SubstationsQuery>();
  proto::SubstationInfo none;
  none.request_id = second.request_id;
  balancer.answer(none);
  REQUIRE(wait_until([&] { return answers.has("empty"); }));
  const auto empty_answer = answers.get("empty");
  const auto* empty = answer_of<SubstationList>(empty_answer);
  REQUIRE(empty);
  CHECK(empty->empty());
}

TEST_CASE("a substation list with missing parts times out") {
  zmq::context_t context;
  Answers answers;
  FakeBalancer balancer(context);
  RunningBroker edge(context, config_for(balancer.endpoint, 200ms));
  REQUIRE(balancer.serve_until([&] { return edge.broker.healthy(); }));
  edge.broker.ask(proto::SubstationsQuery{}, answers.recorder("list"));
  auto part = info(0, 2);
  part.request_id = balancer.next_of<proto::SubstationsQuery>().request_id;
  balancer.answer(part);
  REQUIRE(balancer.serve_until([&] { return answers.has("list"); }));
  CHECK(failure_of(answers.get("list")) == BrokerFailure::timeout);
}

TEST_CASE("gathering: inconsistent parts are refused, repeats ignored, the bound holds") {
  SubstationGathering gathering;
  CHECK(gathering.add(info(1, 3)) == SubstationGathering::Step::waiting);
  CHECK(gathering.add(info(1, 3)) == SubstationGathering::Step::duplicate);
  CHECK(gathering.add(info(3, 3)) == SubstationGathering::Step::inconsistent);  // index past total
  CHECK(gathering.add(info(0, 4)) == SubstationGathering::Step::inconsistent);  // another total
  CHECK(gathering.add(info(0, 0)) == SubstationGathering::Step::inconsistent);  // "none" after some
  CHECK(gathering.add(info(0, 3)) == SubstationGathering::Step::waiting);
  CHECK(gathering.add(info(2, 3)) == SubstationGathering::Step::complete);
  const auto list = gathering.take();
  REQUIRE(list.size() == 3);
  CHECK(list[1].substation_id == "s1");

  SubstationGathering huge;
  CHECK(huge.add(info(0, max_listed_substations + 1)) == SubstationGathering::Step::inconsistent);
}
