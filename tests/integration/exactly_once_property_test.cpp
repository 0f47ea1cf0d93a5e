// "One session per request, one answer per ask, never above a limit", as a property over many
// random steps: the balancer's real core (Dispatcher, GridView, the default policy) drives real
// substation books (Station) through a link that loses, delays and reorders job answers, while
// requesters retry with the same ids and time passes. The per-substation pipe stays in order, as
// a ZeroMQ connection keeps it, so a cancel never overtakes its job.
#include <doctest/doctest.h>

#include <deque>
#include <map>
#include <random>
#include <set>
#include <variant>

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

using Delivery = std::variant<proto::ChargeJob, proto::CancelSession>;

struct Link final : balancer::Outbox {
  bool send_job(const std::string& substation, const proto::ChargeJob& job) override {
    pipes[substation].push_back(job);
    return true;
  }
  void send_cancel(const std::string& substation, const proto::CancelSession& cancel) override {
    pipes[substation].push_back(cancel);
  }
  bool send_reply(const std::string& client, const proto::ChargeReply& reply) override {
    replies[client].push_back(reply);
    return true;
  }
  std::map<std::string, std::deque<Delivery>> pipes;  // balancer -> substation, in order
  std::map<std::string, std::vector<proto::ChargeReply>> replies;
};

struct World {
  explicit World(std::uint64_t seed) : random(seed) {
    for (const auto& site : sites) {
      stations.emplace(site.id, substation::Station({.id = site.id, .capacity_kw = site.capacity_kw, .boot = 1},
                                                    *allocation_policy));
    }
    heartbeats();
  }

  void heartbeats() {
    ++seq;
    for (auto& [id, station] : stations) {
      const auto totals = station.totals(clock.now());
      proto::Heartbeat heartbeat{id, 1, seq, station.capacity_kw(), power::to_kw(totals.allocated_w), totals.sessions};
      heartbeat.limit_kw = power::to_kw(totals.limit_w);
      heartbeat.min_kw = power::to_kw(totals.min_w);
      heartbeat.demand_kw = power::to_kw(totals.demand_w);
      heartbeat.paused_sessions = totals.paused;
      view.on_heartbeat(heartbeat, clock.now());
    }
  }

  // The head of one substation's pipe reaches it; its answer may be lost or held back.
  void deliver(const std::string& id) {
    auto& pipe = link.pipes[id];
    if (pipe.empty()) return;
    const Delivery next = pipe.front();
    pipe.pop_front();
    substation::Station& station = stations.at(id);
    substation::Progress progress;
    if (const auto* cancel = std::get_if<proto::CancelSession>(&next)) {
      station.cancel(cancel->request_id, cancel->session_id, clock.now(), progress);
      return;
    }
    const auto& job = std::get<proto::ChargeJob>(next);
    const auto admission = station.admit(job, clock.now(), progress);
    if (admission.accepted) accepted[job.request_id].insert({id, admission.session_id});
    proto::JobResult result{job.job_id, job.request_id, admission.accepted,
                            admission.session_id, admission.accepted ? "" : "capacity",
                            power::to_kw(station.totals(clock.now()).allocated_w), station.active_sessions(),
                            seq, 1};
    result.power_kw = power::to_kw(admission.power_w);
    result.min_power_kw = power::to_kw(admission.min_w);
    const auto fate = random() % 10;
    if (fate < 2) return;  // lost
    if (fate < 4) {
      held.emplace_back(id, result);  // late, and out of order with other answers
      return;
    }
    dispatcher.on_result(id, result);
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
  metrics::Exposition exposition;
  balancer::BalancerMetrics metrics{exposition.registry()};
  balancer::GridView view{{.heartbeat_interval = 100ms, .liveness = 3}, metrics};
  std::unique_ptr<balancing::Policy> policy = balancing::make_policy(balancing::default_policy);
  std::unique_ptr<allocation::AllocationPolicy> allocation_policy = allocation::make_policy(allocation::default_policy);
  SeededRandom pick_random{3};
  Link link;
  balancer::Dispatcher dispatcher{view,
                                  *policy,
                                  pick_random,
                                  link,
                                  metrics,
                                  {.dispatch_timeout = 300ms, .warmup = Duration{0}},
                                  clock};
  std::map<std::string, substation::Station> stations;
  std::uint64_t seq = 0;
  std::deque<std::pair<std::string, proto::JobResult>> held;
  std::map<std::string, std::set<std::pair<std::string, std::string>>> accepted;  // request -> (station, session)
};

}  // namespace

TEST_CASE("property: lost, late and repeated messages never give a request two sessions or an ask two answers") {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    CAPTURE(seed);
    World world(seed);
    std::map<std::string, std::string> asked;  // client -> request id
    int clients = 0;
    for (int step = 0; step < 600; ++step) {
      CAPTURE(step);
      const auto action = world.random() % 10;
      if (action < 3) {
        // Thirty request ids for hundreds of asks: most asks are retries of an earlier one.
        const std::string request = "r" + std::to_string(world.random() % 30);
        const std::string client = "c" + std::to_string(clients++);
        asked[client] = request;
        world.dispatcher.on_request(client, {request, "EV-" + request, 11, 1000});
      } else if (action < 7) {
        world.deliver(sites[world.random() % 3].id);
      } else if (action < 8 && !world.held.empty()) {
        const auto [id, result] = world.held[world.random() % world.held.size()];
        world.held.erase(std::find_if(world.held.begin(), world.held.end(),
                                      [&](const auto& h) { return h.second.job_id == result.job_id; }));
        world.dispatcher.on_result(id, result);
      } else {
        world.clock.advance(std::chrono::milliseconds(world.random() % 150));
        world.heartbeats();
        world.view.on_timers(world.clock.now());
        world.dispatcher.on_timers();
      }
      world.check_limits();
    }
    // Quiet the link: everything in flight arrives, every deadline passes.
    for (int round = 0; round < 50; ++round) {
      for (const auto& site : sites) {
        while (!world.link.pipes[site.id].empty()) world.deliver(site.id);
      }
      world.held.clear();  // what is still held back is lost for good
      world.clock.advance(400ms);
      world.heartbeats();
      world.view.on_timers(world.clock.now());
      world.dispatcher.on_timers();
    }
    REQUIRE(world.dispatcher.in_flight() == 0);

    // Every ask got exactly one answer.
    for (const auto& [client, request] : asked) {
      INFO("client " << client << " asked for " << request);
      REQUIRE(world.link.replies[client].size() == 1);
    }
    // Every request holds at most one running session, and a request answered "charging" holds
    // exactly the session it was told.
    std::map<std::string, std::string> told;  // request -> session in its charging answers
    for (const auto& [client, replies] : world.link.replies) {
      const auto& reply = replies.front();
      if (reply.outcome != proto::Outcome::charging) continue;
      const auto [known, fresh] = told.emplace(reply.request_id, reply.session_id);
      REQUIRE(known->second == reply.session_id);  // every ask of one request heard the same session
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
      REQUIRE(running.size() <= 1);
      if (const auto answer = told.find(request); answer != told.end()) {
        REQUIRE(running == std::vector<std::string>{answer->second});
      }
    }
  }
}
