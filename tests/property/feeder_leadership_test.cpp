// Several balancers granting the same feeders (issue 16), with no sockets: two balancers (real
// GridView + FeederController, the same topology, random boots) and the feeder's substations (real
// Stations and their FeederLease) exchange heartbeats and grants over a simulated network that
// loses and delays messages at random, while balancers are killed and restarted with a new boot.
// At every step, the feeder limits in force on a feeder's substations (nested feeders included)
// must sum to at most its limit; once the network is calm and both run, exactly one balancer (the
// lowest boot) leads each feeder.
#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "feeder_controller.h"
#include "grid/allocation/policy_registry.h"
#include "grid/metrics/exposition.h"
#include "grid_view.h"
#include "station.h"

using namespace std::chrono_literals;
using namespace grid;

namespace {

constexpr auto heartbeat_interval = 250ms;
constexpr auto lease = 750ms;
constexpr power::Watts epsilon_w = 5;  // rounding: every power is whole watts, a few per feeder

const char* const topology_json = R"({"feeders": [
    {"id": "main", "limit_kw": 60, "substations": ["s1", "s2"]},
    {"id": "depot", "parent": "main", "limit_kw": 30, "substations": ["s3", "s4"]}]})";

struct Message {
  TimePoint at;
  int to_balancer = -1;           // >= 0: a heartbeat for that balancer
  std::size_t to_substation = 0;  // else a grant for this substation
  proto::Heartbeat heartbeat{};
  proto::FeederGrant grant{};
};

struct Network {
  std::mt19937_64& random;
  double loss = 0.1;
  Duration max_delay = 150ms;
  std::vector<Message> in_flight;

  void send(Message message, TimePoint now) {
    if (std::uniform_real_distribution<double>(0, 1)(random) < loss) return;
    const auto delay = std::uniform_int_distribution<std::int64_t>(
        0, std::chrono::duration_cast<std::chrono::microseconds>(max_delay).count())(random);
    message.at = now + std::chrono::microseconds(delay);
    in_flight.push_back(std::move(message));
  }
};

struct Substation {
  std::string id;
  std::unique_ptr<allocation::AllocationPolicy> policy = allocation::make_policy("equal-share");
  substation::Station station;
  std::uint64_t seq = 0;
  TimePoint next_heartbeat{};

  explicit Substation(const std::string& name, std::uint64_t boot)
      : id(name),
        station({.id = name, .capacity_kw = 40, .boot = boot,
                 .feeder = {.feeder_id = name == "s1" || name == "s2" ? "main" : "depot", .fallback_kw = std::nullopt,
                            .lease = lease}},
                *policy) {}

  proto::Heartbeat heartbeat(TimePoint now) {
    const auto totals = station.totals(now);
    proto::Heartbeat hb{id, 1, ++seq, station.capacity_kw(), power::to_kw(totals.allocated_w), totals.sessions};
    hb.limit_kw = power::to_kw(totals.limit_w);
    hb.min_kw = power::to_kw(totals.min_w);
    hb.demand_kw = power::to_kw(totals.demand_w);
    hb.paused_sessions = totals.paused;
    const auto& feeder = station.feeder();
    hb.feeder_id = feeder.feeder_id();
    hb.granted_kw = power::to_kw(totals.feeder_limit_w.value_or(0));
    hb.grant_seq = feeder.grant_seq();
    hb.in_fallback = feeder.in_fallback();
    hb.grant_boot = feeder.grant_boot();
    return hb;
  }
};

struct Outbox final : balancer::GrantOutbox {
  Network* network = nullptr;
  std::vector<std::string>* ids = nullptr;
  TimePoint* now = nullptr;
  bool send_grant(const std::string& substation, const proto::FeederGrant& grant) override {
    Message message;
    for (std::size_t i = 0; i < ids->size(); ++i) {
      if ((*ids)[i] == substation) message.to_substation = i;
    }
    message.grant = grant;
    network->send(message, *now);
    return true;
  }
};

struct Balancer {
  metrics::Exposition exposition;
  balancer::BalancerMetrics metrics{exposition.registry()};
  balancer::FeederMetrics feeder_metrics{exposition.registry()};
  Outbox outbox;
  balancer::FeederController feeders;
  balancer::GridView view{{.heartbeat_interval = heartbeat_interval, .liveness = 3}, metrics};
  std::uint64_t boot;

  Balancer(std::uint64_t boot_id, std::uint64_t first_seq, Network& network, std::vector<std::string>& ids,
           TimePoint& now)
      : feeders(feeders::Topology::parse(topology_json),
                {.heartbeat_interval = heartbeat_interval, .lease = lease, .time_scale = 1, .balancer_boot = boot_id,
                 .first_seq = first_seq},
                feeder_metrics, outbox),
        boot(boot_id) {
    outbox.network = &network;
    outbox.ids = &ids;
    outbox.now = &now;
    view.attach_feeders(feeders);
  }
};

struct Grid {
  std::mt19937_64 random;
  Network network{random};
  TimePoint now = TimePoint{} + 1h;
  std::vector<std::string> ids{"s1", "s2", "s3", "s4"};
  std::vector<std::unique_ptr<Substation>> substations;
  std::vector<std::unique_ptr<Balancer>> balancers{2};
  std::vector<TimePoint> restart_at{now, now};
  std::uint64_t next_seq = 1;
  std::uint64_t next_session = 0;
  feeders::Topology topology = feeders::Topology::parse(topology_json);

  // second_starts: when the second balancer first starts.
  Grid(std::uint64_t seed, Duration second_starts) : random(seed) {
    restart_at[1] = now + second_starts;
    for (const auto& id : ids) substations.push_back(std::make_unique<Substation>(id, random()));
  }

  std::set<std::uint64_t> boots;  // every boot used so far: a boot names one balancer process, ever
  // Small, so every order of boots is common enough; never reused (two balancers sharing a boot
  // would share its grant seqs: one's grants stale at the other's substations).
  std::uint64_t new_boot() {
    std::uint64_t boot = 0;
    do boot = 1 + random() % 1000;
    while (!boots.insert(boot).second);
    return boot;
  }

  void step(bool chaos) {
    now += std::chrono::milliseconds(5 + random() % 40);
    for (std::size_t b = 0; b < balancers.size(); ++b) {
      if (chaos && balancers[b] && random() % 400 == 0) {
        balancers[b].reset();  // killed: its grants already in flight still arrive
        restart_at[b] = now + std::chrono::milliseconds(random() % 3000);
      }
      if (!balancers[b] && now >= restart_at[b]) {
        next_seq += 1'000'000;  // a new boot's seqs start above the old one's (the wall clock)
        balancers[b] = std::make_unique<Balancer>(new_boot(), next_seq, network, ids, now);
      }
    }
    // Deliver what is due, in order of arrival.
    std::sort(network.in_flight.begin(), network.in_flight.end(),
              [](const Message& a, const Message& b) { return a.at < b.at; });
    std::size_t delivered = 0;
    for (; delivered < network.in_flight.size() && network.in_flight[delivered].at <= now; ++delivered) {
      const Message& message = network.in_flight[delivered];
      if (message.to_balancer >= 0) {
        if (auto& balancer = balancers[static_cast<std::size_t>(message.to_balancer)]) {
          (void)balancer->view.on_heartbeat(message.heartbeat, message.at);
          balancer->view.control_feeders(message.at);
        }
      } else {
        Substation& substation = *substations[message.to_substation];
        substation::Progress progress;
        const auto before = substation.station.feeder().limit_w();
        substation.station.grant(message.grant, message.at, progress);
        if (substation.station.feeder().limit_w() != before) publish(substation, message.at);
      }
    }
    network.in_flight.erase(network.in_flight.begin(), network.in_flight.begin() + static_cast<long>(delivered));
    for (auto& substation : substations) {
      substation::Progress progress;
      const auto before = substation->station.feeder().limit_w();
      substation->station.advance(now, progress);
      if (chaos && random() % 20 == 0) {
        proto::ChargeJob job{.job_id = ++next_session, .request_id = "r" + std::to_string(next_session),
                             .vehicle_id = "v", .power_kw = 11, .energy_kwh = 50};
        substation->station.admit(job, now, progress);
      }
      if (now >= substation->next_heartbeat || substation->station.feeder().limit_w() != before) {
        publish(*substation, now);
        substation->next_heartbeat = now + heartbeat_interval;
      }
    }
    for (auto& balancer : balancers) {
      if (balancer) balancer->view.on_timers(now);
    }
  }

  void publish(Substation& substation, TimePoint at) {
    const auto heartbeat = substation.heartbeat(at);
    for (int b = 0; b < static_cast<int>(balancers.size()); ++b) {
      network.send({.at = at, .to_balancer = b, .heartbeat = heartbeat}, at);
    }
  }

  // The sum of the feeder limits in force under each feeder, nested included.
  std::vector<power::Watts> in_force() const {
    std::vector<power::Watts> sums(topology.feeders().size(), 0);
    for (const auto& substation : substations) {
      const power::Watts w = substation->station.feeder().limit_w().value_or(0);
      for (const auto f : topology.path_of(substation->id)) sums[f] += w;
    }
    return sums;
  }
};

void run(Duration second_starts) {
  for (std::uint64_t seed = 1; seed <= 24; ++seed) {
    CAPTURE(seed);
    Grid grid(seed, second_starts);
    grid.network.loss = 0.05 + static_cast<double>(seed % 4) * 0.07;  // 5 % to 26 %
    grid.network.max_delay = std::chrono::milliseconds(50 + (seed % 3) * 150);
    for (int step = 0; step < 600; ++step) {
      CAPTURE(step);
      grid.step(true);
      const auto sums = grid.in_force();
      for (std::size_t f = 0; f < sums.size(); ++f) {
        CAPTURE(grid.topology.feeders()[f].id);
        REQUIRE(sums[f] <= power::to_watts(grid.topology.feeders()[f].limit_kw) + epsilon_w);
      }
    }
    // Calm: both running, nothing lost, short delays. Exactly one leads each feeder: the lower boot.
    grid.network.loss = 0;
    grid.network.max_delay = 20ms;
    for (int step = 0; step < 400; ++step) {
      grid.step(false);
      const auto sums = grid.in_force();
      for (std::size_t f = 0; f < sums.size(); ++f) {
        REQUIRE(sums[f] <= power::to_watts(grid.topology.feeders()[f].limit_kw) + epsilon_w);
      }
    }
    REQUIRE(grid.balancers[0]);
    REQUIRE(grid.balancers[1]);
    const bool first_lower = grid.balancers[0]->boot < grid.balancers[1]->boot;
    for (std::size_t f = 0; f < grid.topology.feeders().size(); ++f) {
      CAPTURE(grid.topology.feeders()[f].id);
      CHECK(grid.balancers[0]->feeders.leading(f) == first_lower);
      CHECK(grid.balancers[1]->feeders.leading(f) != first_lower);
      // And it is the confirmed sole leader: it divides freely, no longer held to the safe shares.
      CHECK(grid.balancers[0]->feeders.sole_leader(f) == first_lower);
      CHECK(grid.balancers[1]->feeders.sole_leader(f) != first_lower);
    }
    for (const auto& substation : grid.substations) {
      CHECK(substation->station.feeder().grant_boot() == std::min(grid.balancers[0]->boot, grid.balancers[1]->boot));
      CHECK_FALSE(substation->station.feeder().in_fallback());
    }
  }
}

}  // namespace

TEST_CASE("property: two balancers, lost and late messages, kills and restarts: a feeder's limits in force never pass it, and one balancer leads") {
  run(2s);
}

// Started together while no substation holds a grant, both find nobody leading and both grant: each
// grants at most the topology's safe shares until it is the confirmed sole leader (seed 3 showed
// 65 kW on 60 kW before that rule).
TEST_CASE("property: two balancers starting at the same moment") {
  run(Duration::zero());
}

TEST_CASE("property: two balancers starting within one listen window of each other") {
  run(300ms);
}
