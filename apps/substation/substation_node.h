#pragma once
// grid-substation: owns a Station, takes charge jobs, session queries and limits from every
// balancer over one DEALER per balancer, re-allocates power on every event and every control tick,
// and publishes a heartbeat with its full state every interval over one PUB connected to every
// balancer. Each answer goes back on the DEALER its question came in on: one DEALER connected to
// several balancers would deal its replies round robin to all of them. Every new admission is
// announced on the PUB (Admitted) before it is answered, so every balancer learns who holds the
// request. All sockets connect, so the substation finds a restarted balancer by itself. Feeder
// grants come over the DEALERs; the heartbeat reports the feeder limit in force, the grant applied
// and whether it is in fallback.
// With --state its sessions survive a crash: every step is committed before it is answered
// (durable_station.h), and a restart restores them before the first heartbeat.
// Thread-safety: run() on one thread; stop() from any thread.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <prometheus/registry.h>
#include <zmq.hpp>

#include "grid/transport/poll_loop.h"
#include "grid/util/clock.h"
#include "grid/util/logging.h"
#include "grid/allocation/policy_registry.h"
#include "grid/transport/curve.h"
#include "admission_pages.h"
#include "durable_station.h"

namespace grid::substation {

struct SubstationMetrics;

struct SubstationConfig {
  StationSettings station{};  // id, capacity, time scale, minimums, memories (boot: chosen at start)
  std::string allocation = std::string(allocation::default_policy);
  std::vector<std::string> balancer_endpoints;    // every balancer's backend ROUTER (one DEALER each)
  std::vector<std::string> heartbeats_endpoints;  // every balancer's heartbeat SUB (one PUB to all)
  // CurveZMQ keys for both sockets (the balancer binds the id to this key); empty: unauthenticated.
  std::optional<transport::CurveClient> curve;
  std::chrono::milliseconds heartbeat_interval{250};
  std::chrono::milliseconds control_interval{1000};  // re-allocation at least this often
  // How long a feeder grant holds without a fresh one (a grant's own shorter lease_s wins);
  // none: 3 heartbeat intervals, so one lost grant is no fallback but a lost link soon is.
  std::optional<std::chrono::milliseconds> grant_lease;
  // --state: the SQLite file the sessions survive a crash in; empty: in memory only.
  std::string state_path;
};

class SubstationNode {
public:
  SubstationNode(zmq::context_t& context, SubstationConfig config, prometheus::Registry& registry,
                 const Clock& clock = steady_clock());
  ~SubstationNode();

  void run();
  void stop() { loop_.stop(); }

private:
  void on_job_socket(zmq::socket_t& balancer);
  std::optional<TimePoint> on_timers(TimePoint now);
  void publish_heartbeat();
  void handle_job(zmq::socket_t& balancer, const proto::ChargeJob& job);
  void handle_query(zmq::socket_t& balancer, const proto::SessionQuery& query);
  void handle_limit(zmq::socket_t& balancer, const proto::SetLimit& limit);
  void handle_grant(const proto::FeederGrant& grant);
  void reply(zmq::socket_t& balancer, const proto::Message& message);
  void drop(std::string_view reason);
  // Counts what the station's step did and shows its totals: after every event.
  void account(const Progress& progress);
  // Logs and counts a change of the feeder limit in force, and tells the balancer at once.
  void feeder_changed(std::optional<power::Watts> before, const Progress& progress);
  // Opens the state file (throws StateFileError), or none without --state.
  std::unique_ptr<StateStore> open_store();
  // Brings back what the state file kept, before the first heartbeat, and says what it was.
  void restore();
  const Station& station() const { return station_.station(); }

  SubstationConfig config_;
  const Clock& clock_;
  std::uint64_t boot_;
  std::unique_ptr<allocation::AllocationPolicy> allocation_;
  DurableStation station_;
  AdmissionPages admission_pages_;  // a (re)connected balancer reading which requests we hold
  std::vector<zmq::socket_t> jobs_;  // one DEALER per balancer, in --balancer order
  zmq::socket_t heartbeats_;
  transport::PollLoop loop_;
  std::uint64_t seq_ = 0;  // of the last heartbeat published
  TimePoint next_heartbeat_;
  TimePoint next_control_;
  std::unique_ptr<SubstationMetrics> metrics_;
  LogRateLimit drop_log_;
  LogRateLimit feeder_log_;
};

}  // namespace grid::substation
