// The dispatcher and smart charging (issue 12): what a job carries, what it reserves, what the
// acceptance answers, and which fields make a request the same request.
#include <doctest/doctest.h>

#include <memory>
#include <set>

#include "dispatcher.h"
#include "grid/balancing/policy_registry.h"
#include "grid/metrics/exposition.h"

using namespace grid;
using namespace grid::balancer;
using namespace std::chrono_literals;

namespace {

class RecordingOutbox final : public Outbox {
public:
  bool send_job(const std::string& substation, const proto::ChargeJob& job) override {
    jobs.emplace_back(substation, job);
    return true;
  }
  bool send_reply(const std::string&, const proto::ChargeReply& reply) override {
    replies.push_back(reply);
    return true;
  }
  void send_cancel(const std::string&, const proto::CancelSession&) override {}
  std::vector<std::pair<std::string, proto::ChargeJob>> jobs;
  std::vector<proto::ChargeReply> replies;
};

// One smart-charging substation, north: 100 kW, limit 100, 10 kW of minimums, 40 kW of demand.
struct Grid {
  FakeClock clock;
  metrics::Exposition exposition;
  BalancerMetrics metrics{exposition.registry()};
  GridView view{{.heartbeat_interval = 250ms, .liveness = 3}, metrics};
  std::unique_ptr<balancing::Policy> policy = balancing::make_policy("least-utilization");
  SeededRandom random{1};
  RecordingOutbox outbox;
  Dispatcher dispatcher{view, *policy, random, outbox, metrics, {.warmup = Duration{0}}, clock};

  Grid() {
    proto::Heartbeat heartbeat{"north", 1, 1, 100, 30, 3};
    heartbeat.limit_kw = 100;
    heartbeat.min_kw = 10;
    heartbeat.demand_kw = 40;
    view.on_heartbeat(heartbeat, clock.now());
  }
  const balancing::Substation& north() const { return *view.table().find("north"); }
  proto::JobResult accept(const proto::ChargeJob& job, double power_kw, double min_power_kw) {
    return {.job_id = job.job_id, .request_id = job.request_id, .accepted = true, .session_id = "north.00000001-1",
            .load_kw = 30 + power_kw, .active_sessions = 4, .after_seq = 1, .boot = 1,
            .power_kw = power_kw, .min_power_kw = min_power_kw};
  }
};

proto::ChargeRequest smart_request(const std::string& id) {
  return {.request_id = id, .vehicle_id = "EV-1", .power_kw = 11, .energy_kwh = 30, .min_power_kw = 2.3,
          .departs_in_s = 3600, .priority = 5};
}

}  // namespace

TEST_CASE("a job carries the request's minimum, departure and priority, and reserves its minimum and maximum") {
  Grid grid;
  grid.dispatcher.on_request("edge", smart_request("r1"));
  REQUIRE(grid.outbox.jobs.size() == 1);
  const auto& job = grid.outbox.jobs[0].second;
  CHECK(job.min_power_kw == 2.3);
  CHECK(job.departs_in_s == 3600);
  CHECK(job.priority == 5);
  CHECK(grid.north().reserved_min_kw == 2.3);
  CHECK(grid.north().reserved_kw == 11);

  SUBCASE("no minimum asked: the job says 0 (the substation's default), the reservation 1.4 kW") {
    grid.dispatcher.on_request("edge", {"r2", "EV-2", 11, 20});
    REQUIRE(grid.outbox.jobs.size() == 2);
    CHECK(grid.outbox.jobs[1].second.min_power_kw == 0);
    CHECK(grid.north().reserved_min_kw == 3.7);
  }
}

TEST_CASE("the acceptance answers the power allocated now, the minimum set and the departure") {
  Grid grid;
  grid.dispatcher.on_request("edge", smart_request("r1"));
  const auto job = grid.outbox.jobs.at(0).second;
  grid.dispatcher.on_result("north", grid.accept(job, 0, 2.3));  // admitted, paused for now
  REQUIRE(grid.outbox.replies.size() == 1);
  const auto reply = grid.outbox.replies[0];  // a copy: more replies follow
  CHECK(reply.outcome == proto::Outcome::charging);
  CHECK(reply.power_kw == 0);
  CHECK(reply.min_power_kw == 2.3);
  CHECK(reply.departs_in_s == 3600);
  // The reservation is gone and the session counted until the next heartbeat.
  CHECK(grid.north().reserved_kw == 0);
  CHECK(grid.north().reserved_min_kw == 0);
  CHECK(grid.north().min_kw == 12.3);
  CHECK(grid.north().demand_kw == 51);

  SUBCASE("a retry is answered the same") {
    grid.dispatcher.on_request("edge", smart_request("r1"));
    REQUIRE(grid.outbox.replies.size() == 2);
    CHECK(grid.outbox.replies[1] == reply);
  }
}

TEST_CASE("an older substation's acceptance (power 0, minimum 0) answers the power asked") {
  Grid grid;
  grid.dispatcher.on_request("edge", {"r1", "EV-1", 7.5, 20});
  const auto job = grid.outbox.jobs.at(0).second;
  grid.dispatcher.on_result("north", grid.accept(job, 0, 0));
  REQUIRE(grid.outbox.replies.size() == 1);
  CHECK(grid.outbox.replies[0].power_kw == 7.5);
  CHECK(grid.outbox.replies[0].min_power_kw == 0);
  CHECK(grid.outbox.replies[0].departs_in_s == 0);
}

TEST_CASE("a late acceptance adds no session to the table") {
  Grid grid;
  grid.dispatcher.on_request("edge", smart_request("r1"));
  const auto job = grid.outbox.jobs.at(0).second;
  grid.clock.advance(500ms);
  grid.view.on_heartbeat({"north", 1, 2, 100, 30, 3, 100, 10, 40}, grid.clock.now());
  grid.dispatcher.on_timers();  // timed out; north was the only candidate: no capacity
  grid.dispatcher.on_result("north", grid.accept(job, 11, 2.3));  // cancelled, not counted
  CHECK(grid.north().min_kw == 10);
  CHECK(grid.north().demand_kw == 40);
}

TEST_CASE("the minimum, the departure and the priority are part of what makes a request the same") {
  Grid grid;
  grid.dispatcher.on_request("edge", smart_request("k1"));
  auto other_min = smart_request("k1");
  other_min.min_power_kw = 3;
  auto other_departure = smart_request("k1");
  other_departure.departs_in_s = 60;
  auto other_priority = smart_request("k1");
  other_priority.priority = 0;
  for (const auto& changed : {other_min, other_departure, other_priority}) {
    grid.dispatcher.on_request("edge", changed);
    REQUIRE_FALSE(grid.outbox.replies.empty());
    CHECK(grid.outbox.replies.back().outcome == proto::Outcome::conflict);
  }
  CHECK(grid.outbox.replies.size() == 3);
  grid.dispatcher.on_request("edge", smart_request("k1"));  // the true retry joins the one in flight
  CHECK(grid.outbox.replies.size() == 3);
  CHECK(grid.outbox.jobs.size() == 1);
}
