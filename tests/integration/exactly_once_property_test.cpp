// "One session per request, one answer per ask, never above a limit", as a property over many
// random steps, also across balancer restarts and partitions. The balancer's real core (GridView, AdmissionSync, Dispatcher) drives real
// substation books (Station, AdmissionPages) through ordered per-substation pipes that lose and
// delay job answers. At random steps the balancer restarts (its memory is gone; answers the
// substations had queued reach the new one first, as a reconnecting DEALER flushes them), and a
// substation is cut off for a while (everything sent to it is lost, cancels included; it is
// declared dead, then heard again). Requesters retry with the same ids throughout.
//
// What must hold at the end (docs/protocol.md, "Exactly once" and "Exactly once across restarts"):
// - every ask got at most one answer, and exactly one when the balancer never restarted;
// - every request holds at most one running session;
// - without partitions, a request answered "charging" holds the session of its answers, and every
//   charging answer it ever got names that same session, across restarts: a retry after a restart
//   finds the session admitted before it;
// - with partitions, a request whose last answer was "charging" holds that session, except when
//   it was found held twice after a cancel was lost to a cut: one of its sessions is then
//   cancelled by name, and it may be the one last told (the window the protocol documents).
#include <doctest/doctest.h>

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <variant>

#include "admission_pages.h"
#include "admission_sync.h"
#include "dispatcher.h"
#include "grid/allocation/policy_registry.h"
#include "grid/balancing/policy_registry.h"
#include "grid/metrics/exposition.h"
#include "station.h"

using namespace grid;
using namespace std::chrono_literals;

namespace {

struct Site {
  std::string id;
  double capacity_kw;
};
const Site sites[] = {{"north", 30}, {"south", 20}, {"east", 10}};

using Delivery = std::variant<proto::ChargeJob, proto::CancelSession, proto::IndexQuery>;

struct Link final : balancer::Outbox, balancer::QueryOutbox {
  bool send_job(const std::string& substation, const proto::ChargeJob& job) override {
    if (cut.count(substation)) return false;  // ROUTER_MANDATORY: not connected
    pipes[substation].push_back(job);
    return true;
  }
  void send_cancel(const std::string& substation, const proto::CancelSession& cancel) override {
    if (!cancel.session_id.empty()) named_cancels.insert(cancel.request_id);
    trail[cancel.request_id] += "cancel(" + substation + "," + cancel.session_id + ") ";
    if (!cut.count(substation)) {
      pipes[substation].push_back(cancel);
    } else if (lost_cancel) {
      lost_cancel(substation);  // as the node does when a send fails
    }
  }
  bool send_reply(const std::string& client, const proto::ChargeReply& reply) override {
    replies[client].push_back(reply);
    last_answer[reply.request_id] = reply;
    trail[reply.request_id] += "reply(" + std::to_string(static_cast<int>(reply.outcome)) + "," + reply.session_id + ") ";
    return true;
  }
  bool to_substation(const std::string& substation, const proto::Message& message) override {
    if (cut.count(substation)) return false;
    pipes[substation].push_back(std::get<proto::IndexQuery>(message));
    return true;
  }
  bool to_requester(const std::string&, const proto::Message&) override { return true; }

  std::map<std::string, std::deque<Delivery>> pipes;  // balancer -> substation, in order
  std::map<std::string, std::vector<proto::ChargeReply>> replies;
  std::map<std::string, proto::ChargeReply> last_answer;  // by request, whatever its outcome
  std::set<std::string> cut;
  std::function<void(const std::string&)> lost_cancel;
  std::set<std::string> named_cancels;  // requests one of whose sessions was cancelled by name
  std::map<std::string, std::string> trail;  // by request: what was sent about it, for a failure
};

// One boot of the balancer: everything it remembers dies with it.
struct Core {
  Core(Link& link, const Clock& clock, std::uint64_t seed, std::uint64_t boot, Duration max_read_wait)
      : random(seed),
        // Without a limit on waiting, no reading is abandoned: the sim's pipes are slow, not lossy.
        sync(link, metrics, {.page_timeout = 300ms, .attempts = max_read_wait > 1min ? 1'000'000 : 4}, clock,
             random),
        dispatcher(view, *policy, random, link, metrics,
                   {.dispatch_timeout = 300ms,
                    .warmup = 200ms,
                    .max_read_wait = max_read_wait,
                    .first_job_id = boot * 1'000'000,
                    .balancer_boot = boot},
                   clock) {
    view.attach_admission_sync(sync);
    dispatcher.attach_admission_sync(sync);
  }
  metrics::Exposition exposition;
  balancer::BalancerMetrics metrics{exposition.registry()};
  balancer::GridView view{{.heartbeat_interval = 100ms, .liveness = 3}, metrics};
  std::unique_ptr<balancing::Policy> policy = balancing::make_policy(balancing::default_policy);
  SeededRandom random;
  balancer::AdmissionSync sync;
  balancer::Dispatcher dispatcher;
};

struct World {
  World(std::uint64_t seed, Duration read_wait) : random(seed), max_read_wait(read_wait) {
    for (const auto& site : sites) {
      stations.emplace(site.id, substation::Station({.id = site.id, .capacity_kw = site.capacity_kw, .boot = 1},
                                                    *allocation_policy));
    }
    restart_balancer();
  }

  void restart_balancer() {
    // What the old boot sent is on the wire and still arrives; answers the substations had queued
    // for it reach the new boot first.
    const auto queued = std::move(held);
    held.clear();
    ++boots;
    core = std::make_unique<Core>(link, clock, random(), static_cast<std::uint64_t>(boots), max_read_wait);
    link.lost_cancel = [this](const std::string& id) { core->sync.reread_when_heard(id); };
    heartbeats();
    for (const auto& [id, result] : queued) core->dispatcher.on_result(id, result);
  }

  void heartbeats() {
    ++seq;
    for (auto& [id, station] : stations) {
      if (link.cut.count(id)) continue;
      const auto totals = station.totals(clock.now());
      proto::Heartbeat heartbeat{id, 1, seq, station.capacity_kw(), power::to_kw(totals.allocated_w), totals.sessions};
      heartbeat.limit_kw = power::to_kw(totals.limit_w);
      heartbeat.min_kw = power::to_kw(totals.min_w);
      heartbeat.demand_kw = power::to_kw(totals.demand_w);
      heartbeat.paused_sessions = totals.paused;
      core->view.on_heartbeat(heartbeat, clock.now());
    }
  }

  void tick(Duration step) {
    clock.advance(step);
    heartbeats();
    core->view.on_timers(clock.now());
    core->sync.on_timers();
    core->dispatcher.on_timers();
  }

  // The head of one substation's pipe reaches it; a job's answer may be lost or held back.
  void deliver(const std::string& id) {
    auto& pipe = link.pipes[id];
    if (pipe.empty() || link.cut.count(id)) return;
    const Delivery next = pipe.front();
    pipe.pop_front();
    substation::Station& station = stations.at(id);
    substation::Progress progress;
    if (const auto* cancel = std::get_if<proto::CancelSession>(&next)) {
      station.cancel(cancel->request_id, cancel->session_id, clock.now(), progress, cancel->placed_by);
      return;
    }
    if (const auto* query = std::get_if<proto::IndexQuery>(&next)) {
      const auto page = pages[id].page(*query, [&] { return station.admissions(); });
      if (core->sync.on_page(id, page)) {
        for (std::size_t i = 0; i < page.request_ids.size(); ++i) {
          core->dispatcher.learn(id, page.request_ids[i], page.session_ids[i]);
        }
      }
      return;
    }
    const auto& job = std::get<proto::ChargeJob>(next);
    const auto admission = station.admit(job, clock.now(), progress);
    if (admission.accepted) accepted[job.request_id].insert({id, admission.session_id});
    link.trail[job.request_id] += "job(" + id + "," + std::to_string(job.job_id) + ")->" + admission.session_id +
                                  (admission.repeated ? "[rep]" : "") + " ";
    proto::JobResult result{job.job_id, job.request_id, admission.accepted,
                            admission.session_id, admission.accepted ? "" : "capacity",
                            power::to_kw(station.totals(clock.now()).allocated_w), station.active_sessions(),
                            seq, 1};
    result.power_kw = power::to_kw(admission.power_w);
    result.min_power_kw = power::to_kw(admission.min_w);
    const auto fate = random() % 10;
    if (fate < 2) return;  // lost
    if (fate < 4) {
      held.emplace_back(id, result);  // late
      return;
    }
    core->dispatcher.on_result(id, result);
  }

  void check_limits() {
    for (const auto& [id, station] : stations) {
      const auto totals = station.totals(clock.now());
      REQUIRE(totals.allocated_w <= totals.limit_w);
      REQUIRE(totals.min_w <= totals.limit_w);
    }
  }

  FakeClock clock;
  std::mt19937_64 random;
  Duration max_read_wait;
  std::unique_ptr<allocation::AllocationPolicy> allocation_policy = allocation::make_policy(allocation::default_policy);
  Link link;
  std::unique_ptr<Core> core;
  std::map<std::string, substation::Station> stations;
  std::map<std::string, substation::AdmissionPages> pages;
  std::uint64_t seq = 0;
  int boots = 0;
  std::deque<std::pair<std::string, proto::JobResult>> held;
  std::map<std::string, std::set<std::pair<std::string, std::string>>> accepted;  // request -> (station, session)
};

// Without partitions every reading completes (pages are not lost), and held requests wait for all
// of them: the sim's pipes are far slower than a substation, which reads its memory in
// milliseconds. With partitions, the balancer's own default (1 s) applies.
void run(std::uint64_t seed, bool restarts, bool partitions) {
  World world(seed, partitions ? Duration(1s) : Duration(std::chrono::hours(1)));
  std::vector<std::pair<std::string, std::string>> asked;  // client, request id: in order of asking
  int clients = 0;
  for (int step = 0; step < 800; ++step) {
    CAPTURE(step);
    const auto action = world.random() % 40;
    if (action < 12) {
      const std::string request = "r" + std::to_string(world.random() % 30);
      const std::string client = "c" + std::to_string(clients++);
      asked.emplace_back(client, request);
      world.core->dispatcher.on_request(client, {request, "EV-" + request, 11, 1000});
    } else if (action < 28) {
      world.deliver(sites[world.random() % 3].id);
    } else if (action < 31 && !world.held.empty()) {
      const auto at = world.random() % world.held.size();
      const auto [id, result] = world.held[at];
      world.held.erase(world.held.begin() + static_cast<std::ptrdiff_t>(at));
      world.core->dispatcher.on_result(id, result);
    } else if (action == 31 && restarts) {
      for (auto& [request, trail] : world.link.trail) trail += "RESTART ";
      world.restart_balancer();
    } else if (action == 32 && partitions) {
      const std::string& id = sites[world.random() % 3].id;
      if (!world.link.cut.erase(id)) {
        world.link.cut.insert(id);
        world.link.pipes[id].clear();
      }
    } else {
      world.tick(std::chrono::milliseconds(world.random() % 120));
    }
    world.check_limits();
  }
  // Heal, then quiet the link: everything in flight arrives, every deadline and reading ends.
  world.link.cut.clear();
  for (int round = 0; round < 60; ++round) {
    for (const auto& site : sites) {
      while (!world.link.pipes[site.id].empty()) world.deliver(site.id);
    }
    world.held.clear();  // what is still held back is lost for good
    world.tick(round == 0 ? 1s : 150ms);
  }
  REQUIRE(world.core->dispatcher.in_flight() == 0);
  REQUIRE(world.core->sync.reading() == 0);
  CHECK((world.boots > 1) == restarts);

  // Each ask got at most one answer (one asked of a boot that died unanswered got none: its
  // requester times out and asks again).
  std::map<std::string, std::vector<std::string>> told;  // request -> sessions in its charging answers, in order
  for (const auto& [client, request] : asked) {
    const auto& replies = world.link.replies[client];
    REQUIRE(replies.size() <= 1);
    if (!restarts) REQUIRE(replies.size() == 1);
    if (!replies.empty() && replies.front().outcome == proto::Outcome::charging) {
      told[request].push_back(replies.front().session_id);
    }
  }
  for (const auto& [request, sessions] : world.accepted) {
    INFO("request " << request);
    std::vector<std::string> running;
    for (const auto& [station, session] : sessions) {
      substation::Progress progress;
      const auto state = world.stations.at(station).query(session, false, world.clock.now(), progress);
      if (state && (state->status == proto::SessionStatus::charging || state->status == proto::SessionStatus::paused)) {
        running.push_back(session);
      }
    }
    INFO("trail: " << world.link.trail[request]);
    REQUIRE(running.size() <= 1);
    const auto answers = told.find(request);
    if (answers == told.end()) continue;
    std::string history;
    for (const auto& session : answers->second) history += session + " ";
    for (const auto& session : running) history += "| running " + session + " ";
    INFO("told, in order: " << history);
    if (!partitions && world.link.last_answer.at(request).outcome == proto::Outcome::charging) {
      REQUIRE(running == std::vector<std::string>{answers->second.back()});
      for (const auto& session : answers->second) REQUIRE(session == answers->second.front());
    } else if (!world.link.named_cancels.count(request) &&
               world.link.last_answer.at(request).outcome == proto::Outcome::charging) {
      REQUIRE(running == std::vector<std::string>{world.link.last_answer.at(request).session_id});
    }
  }
}

}  // namespace

TEST_CASE("property: lost, late and repeated messages never give a request two sessions or an ask two answers") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    run(seed, false, false);
  }
}

TEST_CASE("property: across balancer restarts a retried request finds the session admitted before") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    run(seed, true, false);
  }
}

TEST_CASE("property: across restarts and partitions every request ends with one session, the one last told") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    run(seed, true, true);
  }
}
