// The balancer learning which requests the substations already hold (AdmissionSync and the
// dispatcher's side of it): a restarted balancer sends a retry back to the substation holding it,
// waits for the readings before placing held requests, and cancels a session held twice.
#include <doctest/doctest.h>

#include <set>

#include <prometheus/registry.h>

#include "admission_sync.h"
#include "dispatcher.h"
#include "grid/balancing/policy_registry.h"
#include "grid/metrics/exposition.h"

using namespace grid;
using namespace grid::balancer;
using namespace std::chrono_literals;

namespace {

class Wire final : public Outbox, public QueryOutbox {
public:
  bool send_job(const std::string& substation, const proto::ChargeJob& job) override {
    jobs.emplace_back(substation, job);
    return true;
  }
  bool send_reply(const std::string& client, const proto::ChargeReply& reply) override {
    replies.emplace_back(client, reply);
    return true;
  }
  void send_cancel(const std::string& substation, const proto::CancelSession& cancel) override {
    cancels.emplace_back(substation, cancel);
  }
  bool to_substation(const std::string& substation, const proto::Message& message) override {
    if (unreachable.count(substation)) return false;
    queries.emplace_back(substation, std::get<proto::IndexQuery>(message));
    return true;
  }
  bool to_requester(const std::string&, const proto::Message&) override { return true; }

  std::vector<std::pair<std::string, proto::ChargeJob>> jobs;
  std::vector<std::pair<std::string, proto::ChargeReply>> replies;
  std::vector<std::pair<std::string, proto::CancelSession>> cancels;
  std::vector<std::pair<std::string, proto::IndexQuery>> queries;
  std::set<std::string> unreachable;
};

// A freshly started balancer core (warm-up 500 ms) with its admission readings attached.
struct Balancer {
  FakeClock clock;
  metrics::Exposition exposition;
  BalancerMetrics metrics{exposition.registry()};
  GridView view{{.heartbeat_interval = 250ms, .liveness = 3}, metrics};
  std::unique_ptr<balancing::Policy> policy = balancing::make_policy("least-utilization");
  SeededRandom random{7};
  Wire wire;
  AdmissionSync sync{wire, metrics, {.page_timeout = 500ms, .attempts = 4}, clock, random};
  Dispatcher dispatcher{view, *policy, random, wire, metrics,
                        {.dispatch_timeout = 500ms, .warmup = 500ms, .max_read_wait = 1s}, clock};

  Balancer() {
    view.attach_admission_sync(sync);
    dispatcher.attach_admission_sync(sync);
  }
  void heartbeat(const std::string& id, std::uint64_t boot, std::uint64_t seq, double capacity = 100) {
    view.on_heartbeat({id, boot, seq, capacity, 0, 0}, clock.now());
  }
  void tick() {
    view.on_timers(clock.now());
    sync.on_timers();
    dispatcher.on_timers();
  }
  void request(const std::string& id, const std::string& client = "edge") {
    dispatcher.on_request(client, {id, "EV-" + id, 11, 20});
  }
  // The substation answers the last query it was sent with these entries, as one page of `pages`.
  bool page(const std::string& substation, std::vector<std::pair<std::string, std::string>> entries,
            std::uint32_t pages = 1) {
    const proto::IndexQuery* asked = nullptr;
    for (const auto& [to, query] : wire.queries) {
      if (to == substation) asked = &query;
    }
    REQUIRE(asked != nullptr);
    proto::AdmissionIndex answer{.token = asked->token, .page = asked->page, .pages = pages};
    for (auto& [request, session] : entries) {
      answer.request_ids.push_back(request);
      answer.session_ids.push_back(session);
    }
    if (!sync.on_page(substation, answer)) return false;
    for (std::size_t i = 0; i < answer.request_ids.size(); ++i) {
      dispatcher.learn(substation, answer.request_ids[i], answer.session_ids[i]);
    }
    return true;
  }
  void accept(std::size_t job_index, const std::string& session) {
    const auto& [substation, job] = wire.jobs.at(job_index);
    dispatcher.on_result(substation, {job.job_id, job.request_id, true, session, "", 11, 1, 1,
                                      view.table().find(substation)->boot});
  }
};

}  // namespace

TEST_CASE("a substation heard for the first time is asked for its admissions, page after page") {
  Balancer balancer;
  balancer.heartbeat("north", 1, 1);
  REQUIRE(balancer.wire.queries.size() == 1);
  CHECK(balancer.wire.queries[0].second.page == 0);
  CHECK(balancer.sync.reading() == 1);
  CHECK(balancer.page("north", {{"r1", "north.1-1"}}, 2));
  REQUIRE(balancer.wire.queries.size() == 2);
  CHECK(balancer.wire.queries[1].second.page == 1);
  CHECK(balancer.wire.queries[1].second.token == balancer.wire.queries[0].second.token);
  CHECK(balancer.page("north", {{"r2", "north.1-2"}}, 2));
  CHECK(balancer.sync.reading() == 0);
  // A page nobody asked for (a repeat, or another boot's) is refused for the caller to drop.
  CHECK_FALSE(balancer.page("north", {{"r3", "north.1-3"}}, 2));
  // The next heartbeat of the same boot asks nothing; a restart (new boot) reads again.
  balancer.heartbeat("north", 1, 2);
  CHECK(balancer.wire.queries.size() == 2);
  balancer.heartbeat("north", 2, 1);
  REQUIRE(balancer.wire.queries.size() == 3);
  CHECK(balancer.wire.queries[2].second.token != balancer.wire.queries[0].second.token);
}

TEST_CASE("an unanswered page is asked again, and the reading is abandoned after its attempts") {
  Balancer balancer;
  balancer.heartbeat("north", 1, 1);
  for (std::size_t asked = 2; asked <= 4; ++asked) {
    balancer.clock.advance(500ms);
    balancer.heartbeat("north", 1, asked);
    balancer.tick();
    REQUIRE(balancer.wire.queries.size() == asked);
    CHECK(balancer.wire.queries.back().second.page == 0);
  }
  CHECK(balancer.sync.reading() == 1);
  balancer.clock.advance(500ms);
  balancer.tick();
  CHECK(balancer.sync.reading() == 0);
  CHECK(balancer.exposition.text().find("balancer_admission_reads_total{outcome=\"abandoned\"} 1") !=
        std::string::npos);
}

TEST_CASE("a substation that lost our snapshot is read again from page 0 under a new token") {
  Balancer balancer;
  balancer.heartbeat("north", 1, 1);
  CHECK(balancer.page("north", {{"r1", "north.1-1"}}, 3));
  CHECK(balancer.page("north", {}, 0));  // page 1 of a snapshot it no longer holds
  REQUIRE(balancer.wire.queries.size() == 3);
  CHECK(balancer.wire.queries[2].second.page == 0);
  CHECK(balancer.wire.queries[2].second.token != balancer.wire.queries[0].second.token);
}

TEST_CASE("after a restart a retried request goes back to the substation that holds it") {
  Balancer balancer;
  balancer.heartbeat("north", 1, 1);
  balancer.heartbeat("south", 2, 1, 50);
  balancer.request("r1");  // a retry: the previous balancer admitted it on south
  balancer.clock.advance(500ms);
  balancer.tick();
  // The warm-up is over in time, but south's reading is not: the request stays held.
  CHECK(balancer.wire.jobs.empty());
  CHECK(balancer.page("north", {}));
  CHECK(balancer.page("south", {{"r1", "south.2-1"}}));
  balancer.tick();
  REQUIRE(balancer.wire.jobs.size() == 1);
  CHECK(balancer.wire.jobs[0].first == "south");  // least-utilization alone would pick north
  balancer.accept(0, "south.2-1");
  REQUIRE(balancer.wire.replies.size() == 1);
  CHECK(balancer.wire.replies[0].second.session_id == "south.2-1");
  CHECK(balancer.wire.cancels.empty());
}

TEST_CASE("held requests wait for readings at most max_read_wait past the warm-up") {
  Balancer balancer;
  balancer.heartbeat("north", 1, 1);
  balancer.wire.unreachable.insert("north");  // its reading does not end within the wait
  balancer.request("r1");
  balancer.clock.advance(500ms);
  balancer.heartbeat("north", 1, 2);
  balancer.tick();
  CHECK(balancer.wire.jobs.empty());
  CHECK(balancer.sync.reading() == 1);
  CHECK(balancer.dispatcher.next_deadline() <= balancer.clock.now() + 1s);
  balancer.clock.advance(500ms);
  balancer.heartbeat("north", 1, 3);
  balancer.tick();
  CHECK(balancer.wire.jobs.empty());
  balancer.clock.advance(500ms);
  balancer.heartbeat("north", 1, 4);
  balancer.tick();
  CHECK(balancer.wire.jobs.size() == 1);
}

TEST_CASE("a request held twice keeps the session the balancer answered and the other is cancelled") {
  Balancer balancer;
  balancer.heartbeat("north", 1, 1);
  balancer.heartbeat("south", 2, 1, 50);
  CHECK(balancer.page("north", {}));
  CHECK(balancer.page("south", {}));
  balancer.clock.advance(500ms);
  balancer.tick();
  balancer.request("r1");
  REQUIRE(balancer.wire.jobs.size() == 1);
  balancer.accept(0, balancer.wire.jobs[0].first + ".1-1");
  const std::string answered_on = balancer.wire.jobs[0].first;
  const std::string other = answered_on == "north" ? "south" : "north";
  // The other substation comes back from a partition holding a session for r1 from before.
  balancer.heartbeat(other, other == "north" ? 9 : 8, 1);
  CHECK(balancer.page(other, {{"r1", other + ".9-4"}}));
  REQUIRE(balancer.wire.cancels.size() == 1);
  CHECK(balancer.wire.cancels[0].first == other);
  CHECK(balancer.wire.cancels[0].second.session_id == other + ".9-4");
  // What the balancer answered is learned again without a cancel.
  balancer.heartbeat(answered_on, 5, 1);
  CHECK(balancer.page(answered_on, {{"r1", answered_on + ".1-1"}}));
  CHECK(balancer.wire.cancels.size() == 1);
  CHECK(balancer.exposition.text().find("balancer_cancels_sent_total{reason=\"duplicate\"} 1") != std::string::npos);
}

TEST_CASE("a request in flight elsewhere is not also kept where it was found") {
  Balancer balancer;
  balancer.heartbeat("north", 1, 1);
  CHECK(balancer.page("north", {}));
  balancer.clock.advance(500ms);
  balancer.tick();
  balancer.request("r1");
  REQUIRE(balancer.wire.jobs.size() == 1);
  CHECK(balancer.wire.jobs[0].first == "north");
  balancer.heartbeat("south", 2, 1, 50);
  CHECK(balancer.page("south", {{"r1", "south.2-1"}}));
  REQUIRE(balancer.wire.cancels.size() == 1);
  CHECK(balancer.wire.cancels[0].first == "south");
}

TEST_CASE("a dead holder does not block a retry: it is placed afresh") {
  Balancer balancer;
  balancer.heartbeat("north", 1, 1);
  balancer.heartbeat("south", 2, 1, 50);
  CHECK(balancer.page("north", {}));
  CHECK(balancer.page("south", {{"r1", "south.2-1"}}));
  balancer.clock.advance(1s);  // south falls silent: dead after 3 x 250 ms
  balancer.heartbeat("north", 1, 2);
  balancer.tick();
  balancer.request("r1");
  REQUIRE(balancer.wire.jobs.size() == 1);
  CHECK(balancer.wire.jobs[0].first == "north");
}
