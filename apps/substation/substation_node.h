#pragma once
// grid-substation: owns a Station, takes charge jobs from the balancer over a DEALER and publishes
// a heartbeat with its full state every interval over PUB. Both sockets connect, so the
// substation finds a restarted balancer by itself.
// Thread-safety: run() on one thread; stop() from any thread.

#include <chrono>
#include <cstdint>
#include <string>

#include <prometheus/registry.h>
#include <zmq.hpp>

#include "grid/transport/poll_loop.h"
#include "grid/util/clock.h"
#include "grid/util/logging.h"
#include "station.h"

namespace grid::substation {

struct SubstationMetrics;

struct SubstationConfig {
  std::string id;
  double capacity_kw = 0;
  std::string balancer_endpoint;    // the balancer's backend ROUTER
  std::string heartbeats_endpoint;  // the balancer's heartbeat SUB
  std::chrono::milliseconds heartbeat_interval{250};
  double time_scale = 1.0;
  std::size_t remembered_requests = Station::default_remembered_requests;
};

class SubstationNode {
public:
  SubstationNode(zmq::context_t& context, SubstationConfig config, prometheus::Registry& registry,
                 const Clock& clock = steady_clock());
  ~SubstationNode();

  void run();
  void stop() { loop_.stop(); }

private:
  void on_job_socket();
  std::optional<TimePoint> on_timers(TimePoint now);
  void publish_heartbeat();
  void handle_job(const proto::ChargeJob& job);
  void drop(std::string_view reason);
  void refresh_gauges();

  SubstationConfig config_;
  const Clock& clock_;
  std::uint64_t boot_;
  Station station_;
  zmq::socket_t jobs_;
  zmq::socket_t heartbeats_;
  transport::PollLoop loop_;
  std::uint64_t seq_ = 0;  // of the last heartbeat published
  TimePoint next_heartbeat_;
  std::unique_ptr<SubstationMetrics> metrics_;
  LogRateLimit drop_log_;
};

}  // namespace grid::substation
