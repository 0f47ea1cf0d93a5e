// QueryForwarder with a recording outbox and a fake clock: answers relayed, timeouts, dead and
// unknown substations, the cap, and the substations listing.
#include <doctest/doctest.h>

#include <set>

#include "grid/metrics/exposition.h"
#include "query_forwarder.h"
#include "support/scripted_random.h"

using namespace grid;
using namespace grid::balancer;
using namespace std::chrono_literals;

namespace {

class RecordingOutbox final : public QueryOutbox {
public:
  bool to_substation(const std::string& substation, const proto::Message& message) override {
    if (unreachable.count(substation)) return false;
    sent.emplace_back(substation, message);
    return true;
  }
  bool to_requester(const std::string& client, const proto::Message& message) override {
    answers.emplace_back(client, message);
    return true;
  }
  template <class M>
  const M& answer(std::size_t i) const { return std::get<M>(answers.at(i).second); }
  template <class M>
  const M& forwarded(std::size_t i) const { return std::get<M>(sent.at(i).second); }

  std::vector<std::pair<std::string, proto::Message>> sent;
  std::vector<std::pair<std::string, proto::Message>> answers;
  std::set<std::string> unreachable;
};

// north (live, smart: limit 60 of 100), south (dead), and a forwarder with a cap of 2.
struct Desk {
  FakeClock clock;
  metrics::Exposition exposition;
  BalancerMetrics metrics{exposition.registry()};
  GridView view{{.heartbeat_interval = 250ms, .liveness = 3}, metrics};
  RecordingOutbox outbox;
  test::ScriptedRandom random{0xabc};
  QueryForwarder forwarder{view, outbox, metrics, {.timeout = 500ms, .max_pending = 2}, clock, random};

  Desk() {
    view.on_heartbeat({"south", 2, 1, 50, 10, 1}, clock.now());
    clock.advance(750ms);
    view.on_timers(clock.now());  // south is dead
    view.on_heartbeat({"north", 1, 1, 100, 40, 3, 60, 12, 55, 70, 20, 1}, clock.now());
  }
  double count(const std::string& kind, const std::string& outcome) {
    const auto text = exposition.text();
    const auto key = "balancer_forwarded_queries_total{kind=\"" + kind + "\",outcome=\"" + outcome + "\"} ";
    const auto at = text.find(key);
    return at == std::string::npos ? -1 : std::stod(text.substr(at + key.size()));
  }
};

}  // namespace

TEST_CASE("a session query goes to the substation its id names, and its answer back to the asker") {
  Desk desk;
  desk.forwarder.on_session_query("edge-1", {"q1", "north.0000abcd-7", false});
  REQUIRE(desk.outbox.sent.size() == 1);
  CHECK(desk.outbox.sent[0].first == "north");
  const auto forwarded = desk.outbox.forwarded<proto::SessionQuery>(0);
  CHECK(forwarded.session_id == "north.0000abcd-7");
  CHECK(forwarded.request_id != "q1");  // the balancer's own id on the way
  CHECK(desk.forwarder.pending() == 1);
  CHECK(desk.forwarder.next_deadline() == desk.clock.now() + 500ms);

  proto::SessionState state{.request_id = forwarded.request_id, .found = true, .session_id = "north.0000abcd-7",
                            .power_kw = 7.4, .substation_id = "north"};
  SUBCASE("answered by the substation asked") {
    desk.forwarder.on_session_state("north", state);
    REQUIRE(desk.outbox.answers.size() == 1);
    CHECK(desk.outbox.answers[0].first == "edge-1");
    const auto& relayed = desk.outbox.answer<proto::SessionState>(0);
    CHECK(relayed.request_id == "q1");
    CHECK(relayed.found);
    CHECK(relayed.power_kw == 7.4);
    CHECK(desk.forwarder.pending() == 0);
    CHECK(desk.count("session", "answered") == 1);
    // A second answer to the same query is late: dropped, never relayed twice.
    desk.forwarder.on_session_state("north", state);
    CHECK(desk.outbox.answers.size() == 1);
    CHECK(desk.exposition.text().find("balancer_messages_dropped_total{reason=\"unknown_query\"} 1") !=
          std::string::npos);
  }
  SUBCASE("an answer from another substation is dropped and the query keeps waiting") {
    desk.forwarder.on_session_state("south", state);
    CHECK(desk.outbox.answers.empty());
    CHECK(desk.forwarder.pending() == 1);
    CHECK(desk.exposition.text().find("balancer_messages_dropped_total{reason=\"wrong_peer\"} 1") !=
          std::string::npos);
  }
  SUBCASE("no answer in time: not found, and why") {
    desk.clock.advance(499ms);
    desk.forwarder.on_timers();
    CHECK(desk.outbox.answers.empty());
    desk.clock.advance(1ms);
    desk.forwarder.on_timers();
    REQUIRE(desk.outbox.answers.size() == 1);
    const auto& answer = desk.outbox.answer<proto::SessionState>(0);
    CHECK(answer.request_id == "q1");
    CHECK_FALSE(answer.found);
    CHECK(answer.reason == "substation north did not answer");
    CHECK(desk.count("session", "timeout") == 1);
    CHECK_FALSE(desk.forwarder.next_deadline().has_value());
    desk.forwarder.on_session_state("north", state);  // too late now
    CHECK(desk.outbox.answers.size() == 1);
  }
}

TEST_CASE("a session whose substation is dead, unknown, unreachable, or whose id is malformed is answered at once") {
  Desk desk;
  desk.outbox.unreachable.insert("north");
  desk.forwarder.on_session_query("edge", {"a", "south.00000001-1", true});
  desk.forwarder.on_session_query("edge", {"b", "west.00000001-1", false});
  desk.forwarder.on_session_query("edge", {"c", "not-a-session-id", false});
  desk.forwarder.on_session_query("edge", {"d", "north.00000001-1", false});
  CHECK(desk.outbox.sent.empty());
  CHECK(desk.forwarder.pending() == 0);
  REQUIRE(desk.outbox.answers.size() == 4);
  const auto& dead = desk.outbox.answer<proto::SessionState>(0);
  CHECK_FALSE(dead.found);
  CHECK(dead.reason == "substation south is not live");  // 503 at the edge
  CHECK(dead.substation_id == "south");
  for (std::size_t i : {1, 2}) {
    CAPTURE(i);
    CHECK_FALSE(desk.outbox.answer<proto::SessionState>(i).found);
    CHECK(desk.outbox.answer<proto::SessionState>(i).reason.empty());  // no such session: 404
  }
  CHECK(desk.outbox.answer<proto::SessionState>(3).reason == "substation north is not reachable");
  CHECK(desk.count("stop", "not_live") == 1);
  CHECK(desk.count("session", "unknown") == 2);
  CHECK(desk.count("session", "unreachable") == 1);
}

TEST_CASE("set limit: forwarded and acknowledged, or refused with a reason") {
  Desk desk;
  desk.forwarder.on_set_limit("ops", {"L1", "north", 30, 3600});
  REQUIRE(desk.outbox.sent.size() == 1);
  const auto forwarded = desk.outbox.forwarded<proto::SetLimit>(0);
  CHECK(forwarded.limit_kw == 30);
  CHECK(forwarded.duration_s == 3600);
  // A SessionState cannot answer a SetLimit.
  desk.forwarder.on_session_state("north", {.request_id = forwarded.request_id});
  CHECK(desk.outbox.answers.empty());
  desk.forwarder.on_limit_ack("north", {forwarded.request_id, "north", true, 30, 100, 3600, ""});
  REQUIRE(desk.outbox.answers.size() == 1);
  CHECK(desk.outbox.answer<proto::LimitAck>(0).request_id == "L1");
  CHECK(desk.outbox.answer<proto::LimitAck>(0).applied);
  CHECK(desk.count("set_limit", "answered") == 1);

  desk.forwarder.on_set_limit("ops", {"L2", "south", 30, 0});
  desk.forwarder.on_set_limit("ops", {"L3", "west", 30, 0});
  REQUIRE(desk.outbox.answers.size() == 3);
  CHECK_FALSE(desk.outbox.answer<proto::LimitAck>(1).applied);
  CHECK(desk.outbox.answer<proto::LimitAck>(1).reason == "substation south is not live");
  CHECK(desk.outbox.answer<proto::LimitAck>(1).capacity_kw == 50);
  CHECK(desk.outbox.answer<proto::LimitAck>(2).reason == "no substation west is known");

  desk.forwarder.on_set_limit("ops", {"L4", "north", 20, 0});
  desk.clock.advance(500ms);
  desk.forwarder.on_timers();
  REQUIRE(desk.outbox.answers.size() == 4);
  CHECK(desk.outbox.answer<proto::LimitAck>(3).reason == "substation north did not answer");
  CHECK(desk.outbox.answer<proto::LimitAck>(3).limit_kw == 60);  // what is in force, as last heard
}

TEST_CASE("queries waiting for substations are capped: beyond the cap they are answered busy at once") {
  Desk desk;
  desk.forwarder.on_session_query("edge", {"a", "north.00000001-1", false});
  desk.forwarder.on_set_limit("edge", {"b", "north", 10, 0});
  desk.forwarder.on_session_query("edge", {"c", "north.00000001-2", false});
  CHECK(desk.outbox.sent.size() == 2);
  REQUIRE(desk.outbox.answers.size() == 1);
  CHECK(desk.outbox.answer<proto::SessionState>(0).request_id == "c");
  CHECK(desk.outbox.answer<proto::SessionState>(0).reason == "balancer busy, retry later");
  CHECK(desk.count("session", "busy") == 1);
  // Once one is answered, there is room again.
  desk.forwarder.on_limit_ack("north", {desk.outbox.forwarded<proto::SetLimit>(1).request_id, "north", true, 10,
                                        100, 0, ""});
  desk.forwarder.on_session_query("edge", {"d", "north.00000001-3", false});
  CHECK(desk.outbox.sent.size() == 3);
}

TEST_CASE("the substations query is answered from the table, one message per substation") {
  Desk desk;
  desk.forwarder.on_substations_query("edge", {"s1"});
  REQUIRE(desk.outbox.answers.size() == 2);
  const auto& south = desk.outbox.answer<proto::SubstationInfo>(0);
  const auto& north = desk.outbox.answer<proto::SubstationInfo>(1);
  CHECK(south.substation_id == "south");
  CHECK(south.index == 0);
  CHECK(south.total == 2);
  CHECK_FALSE(south.live);
  CHECK(north.index == 1);
  CHECK(north.live);
  CHECK(north.capacity_kw == 100);
  CHECK(north.limit_kw == 60);
  CHECK(north.allocated_kw == 40);
  CHECK(north.sessions == 3);
  CHECK(north.paused_sessions == 1);
  CHECK(desk.outbox.sent.empty());

  SUBCASE("none known: one answer with total 0") {
    FakeClock clock;
    metrics::Exposition exposition;
    BalancerMetrics metrics{exposition.registry()};
    GridView empty{{}, metrics};
    RecordingOutbox outbox;
    test::ScriptedRandom random{1};
    QueryForwarder forwarder{empty, outbox, metrics, {}, clock, random};
    forwarder.on_substations_query("edge", {"s2"});
    REQUIRE(outbox.answers.size() == 1);
    CHECK(outbox.answer<proto::SubstationInfo>(0).total == 0);
    CHECK(outbox.answer<proto::SubstationInfo>(0).substation_id.empty());
  }
}
