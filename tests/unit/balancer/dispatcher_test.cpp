#include <doctest/doctest.h>

#include <map>

#include <prometheus/registry.h>

#include "dispatcher.h"
#include "grid/balancing/policy_registry.h"

using namespace grid;
using namespace grid::balancer;
using namespace std::chrono_literals;

namespace {

class RecordingOutbox final : public Outbox {
public:
  bool send_job(const std::string& substation, const proto::ChargeJob& job) override {
    if (unreachable.count(substation)) return false;
    jobs.emplace_back(substation, job);
    return true;
  }
  void send_reply(const std::string& client, const proto::ChargeReply& reply) override {
    replies.emplace_back(client, reply);
  }
  void send_cancel(const std::string& substation, const proto::CancelSession& cancel) override {
    cancels.emplace_back(substation, cancel);
  }
  std::vector<std::pair<std::string, proto::CancelSession>> cancels;
  std::vector<std::pair<std::string, proto::ChargeJob>> jobs;
  std::vector<std::pair<std::string, proto::ChargeReply>> replies;
  std::set<std::string> unreachable;
};

// A balancer core with three substations (north 100 kW, south 50 kW, east 50 kW), all idle.
struct Grid {
  FakeClock clock;
  balancing::LoadTable table{250ms, 3};
  std::unique_ptr<balancing::Policy> policy = balancing::make_policy("least-utilization");
  SeededRandom random{1};
  RecordingOutbox outbox;
  prometheus::Registry registry;
  BalancerMetrics metrics{registry};
  Dispatcher dispatcher;

  explicit Grid(Duration warmup = Duration{0})
      : dispatcher(table, *policy, random, outbox, metrics,
                   {.dispatch_timeout = 500ms, .max_in_flight = 4, .warmup = warmup}, clock.now()) {
    table.on_heartbeat({"north", 1, 1, 100, 0, 0}, clock.now());
    table.on_heartbeat({"south", 2, 1, 50, 0, 0}, clock.now());
    table.on_heartbeat({"east", 3, 1, 50, 0, 0}, clock.now());
  }
  void request(const std::string& id, double kw = 11, const std::string& client = "client") {
    dispatcher.on_request(client, {id, "EV-" + id, kw, 20}, clock.now());
  }
  void answer(std::size_t job_index, bool accepted, double load_after = 0) {
    const auto& [substation, job] = outbox.jobs.at(job_index);
    dispatcher.on_result(substation,
                         {job.job_id, job.request_id, accepted, accepted ? "s-" + job.request_id : "",
                          accepted ? "" : "capacity", load_after, 1, 1, table.find(substation)->boot},
                         clock.now());
  }
};

}  // namespace

TEST_CASE("a request goes to the best substation, reserves its power, and is answered on acceptance") {
  Grid grid;
  grid.request("r1", 11);
  REQUIRE(grid.outbox.jobs.size() == 1);
  CHECK(grid.outbox.jobs[0].first == "north");  // 11/100 beats 11/50
  CHECK(grid.table.find("north")->reserved_kw == 11);
  CHECK(grid.outbox.replies.empty());

  grid.answer(0, true, 11);
  REQUIRE(grid.outbox.replies.size() == 1);
  const auto& reply = grid.outbox.replies[0].second;
  CHECK(reply.outcome == proto::Outcome::charging);
  CHECK(reply.substation_id == "north");
  CHECK(reply.session_id == "s-r1");
  CHECK(grid.table.find("north")->reserved_kw == 0);
  CHECK(grid.table.find("north")->load_kw == 11);
  CHECK(grid.dispatcher.in_flight() == 0);
}

TEST_CASE("reservations spread a burst before any answer arrives") {
  Grid grid;
  for (int i = 0; i < 4; ++i) grid.request("r" + std::to_string(i), 25);
  std::map<std::string, int> per_substation;
  for (const auto& [substation, job] : grid.outbox.jobs) ++per_substation[substation];
  CHECK(per_substation["north"] == 2);  // 25/100, 50/100 before 25/50 ties break on headroom
  CHECK(per_substation["south"] + per_substation["east"] == 2);
}

TEST_CASE("a refusal sends the request to the next candidate") {
  Grid grid;
  grid.request("r1");
  grid.answer(0, false, 100);
  REQUIRE(grid.outbox.jobs.size() == 2);
  CHECK(grid.outbox.jobs[1].first != "north");
  CHECK(grid.outbox.jobs[1].second.request_id == "r1");
  CHECK(grid.outbox.jobs[1].second.job_id != grid.outbox.jobs[0].second.job_id);
  CHECK(grid.outbox.replies.empty());
}

TEST_CASE("when every candidate refuses, the answer is no capacity, exactly once") {
  Grid grid;
  grid.request("r1");
  grid.answer(0, false, 100);
  grid.answer(1, false, 50);
  grid.answer(2, false, 50);
  REQUIRE(grid.outbox.replies.size() == 1);
  CHECK(grid.outbox.replies[0].second.outcome == proto::Outcome::no_capacity);
  CHECK(grid.outbox.jobs.size() == 3);
}

TEST_CASE("a silent substation times out and the request moves on; its late answer is ignored") {
  Grid grid;
  grid.request("r1");
  REQUIRE(grid.dispatcher.next_deadline() == grid.clock.now() + 500ms);
  grid.clock.advance(499ms);
  grid.dispatcher.on_timers(grid.clock.now());
  CHECK(grid.outbox.jobs.size() == 1);
  grid.clock.advance(1ms);
  grid.dispatcher.on_timers(grid.clock.now());
  REQUIRE(grid.outbox.jobs.size() == 2);
  CHECK(grid.table.find("north")->reserved_kw == 0);

  REQUIRE(grid.outbox.cancels.size() == 1);  // in case north admitted it and only the answer is lost
  CHECK(grid.outbox.cancels[0].first == "north");
  CHECK(grid.outbox.cancels[0].second.request_id == "r1");

  grid.answer(0, true, 11);  // north answers too late: its session is cancelled by name
  CHECK(grid.outbox.replies.empty());
  REQUIRE(grid.outbox.cancels.size() == 2);
  CHECK(grid.outbox.cancels[1].second.session_id == "s-r1");
  grid.answer(1, true, 11);
  REQUIRE(grid.outbox.replies.size() == 1);
  CHECK(grid.outbox.replies[0].second.substation_id == grid.outbox.jobs[1].first);
}

TEST_CASE("an unreachable substation is skipped without waiting") {
  Grid grid;
  grid.outbox.unreachable.insert("north");
  grid.request("r1");
  REQUIRE(grid.outbox.jobs.size() == 1);
  CHECK(grid.outbox.jobs[0].first != "north");
}

TEST_CASE("no live substation is an immediate no-capacity answer") {
  Grid grid;
  grid.clock.advance(750ms);
  grid.table.expire(grid.clock.now());
  grid.request("r1");
  CHECK(grid.outbox.jobs.empty());
  REQUIRE(grid.outbox.replies.size() == 1);
  CHECK(grid.outbox.replies[0].second.outcome == proto::Outcome::no_capacity);
  CHECK(grid.outbox.replies[0].second.reason == "no live substation");
}

TEST_CASE("a request too big for any substation is refused without a dispatch") {
  Grid grid;
  grid.request("huge", 150);
  CHECK(grid.outbox.jobs.empty());
  REQUIRE(grid.outbox.replies.size() == 1);
  CHECK(grid.outbox.replies[0].second.outcome == proto::Outcome::no_capacity);
}

TEST_CASE("beyond max_in_flight requests are answered busy at once") {
  Grid grid;
  for (int i = 0; i < 5; ++i) grid.request("r" + std::to_string(i), 1);
  CHECK(grid.outbox.jobs.size() == 4);
  REQUIRE(grid.outbox.replies.size() == 1);
  CHECK(grid.outbox.replies[0].second.outcome == proto::Outcome::busy);
  CHECK(grid.outbox.replies[0].second.request_id == "r4");
}

TEST_CASE("an answer from the wrong substation does not route the request") {
  Grid grid;
  grid.request("r1");
  const auto& job = grid.outbox.jobs[0].second;
  grid.dispatcher.on_result("east", {job.job_id, job.request_id, true, "s-x", "", 1, 1, 1}, grid.clock.now());
  CHECK(grid.outbox.replies.empty());
  CHECK(grid.dispatcher.in_flight() == 1);
}

TEST_CASE("a request id seen again while in flight waits for the same answer") {
  Grid grid;
  grid.request("r1", 11, "edge-a");
  grid.request("r1", 11, "edge-b");
  CHECK(grid.outbox.jobs.size() == 1);
  grid.answer(0, true, 11);
  REQUIRE(grid.outbox.replies.size() == 2);
  CHECK(grid.outbox.replies[0].first == "edge-a");
  CHECK(grid.outbox.replies[1].first == "edge-b");
  CHECK(grid.outbox.replies[1].second.session_id == "s-r1");
}

TEST_CASE("a request id already admitted gets the same session and admits nothing new") {
  Grid grid;
  grid.request("r1");
  grid.answer(0, true, 11);
  grid.request("r1");
  CHECK(grid.outbox.jobs.size() == 1);
  REQUIRE(grid.outbox.replies.size() == 2);
  CHECK(grid.outbox.replies[1].second == grid.outbox.replies[0].second);
}

TEST_CASE("a refused request may be asked again and is decided afresh") {
  Grid grid;
  grid.request("big", 150);
  grid.request("big", 150);
  REQUIRE(grid.outbox.replies.size() == 2);
  CHECK(grid.outbox.replies[1].second.outcome == proto::Outcome::no_capacity);
}

TEST_CASE("during the warm-up requests are held, then placed on the table the substations reported") {
  Grid grid(500ms);
  grid.request("early");
  CHECK(grid.outbox.jobs.empty());
  CHECK(grid.dispatcher.in_flight() == 1);
  CHECK(grid.dispatcher.next_deadline() == grid.clock.now() + 500ms);
  // Meanwhile north reports that it is in fact full.
  grid.table.on_heartbeat({"north", 1, 2, 100, 100, 9}, grid.clock.now());
  grid.clock.advance(500ms);
  grid.dispatcher.on_timers(grid.clock.now());
  REQUIRE(grid.outbox.jobs.size() == 1);
  CHECK(grid.outbox.jobs[0].first != "north");
}
