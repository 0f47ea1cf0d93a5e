#pragma once
// grid-balancer: the broker. A frontend ROUTER takes charge requests and queries from edges and
// load generators; a backend ROUTER sends charge jobs and forwarded queries to substations (which
// connect with their id as routing id); a SUB takes the substations' heartbeats into the load table.
// Thread-safety: run() on one thread; stop() from any thread; endpoint getters after construction.

#include <chrono>
#include <memory>
#include <string>

#include <zmq.hpp>

#include "balancer_metrics.h"
#include "dispatcher.h"
#include "feeder_controller.h"
#include "feeder_metrics.h"
#include "grid_view.h"
#include "query_forwarder.h"
#include "zap_handler.h"
#include "grid/balancing/policy.h"
#include "grid/balancing/policy_registry.h"
#include "grid/feeders/topology.h"
#include "grid/transport/poll_loop.h"
#include "grid/util/clock.h"
#include "grid/util/logging.h"
#include "grid/util/random.h"

namespace grid::balancer {

// Each default lives once, in the struct that uses it; --help shows it from there.
struct BalancerConfig {
  std::string frontend_endpoint = "tcp://*:5555";
  std::string backend_endpoint = "tcp://*:5556";
  std::string heartbeats_endpoint = "tcp://*:5557";
  std::string policy = std::string(balancing::default_policy);
  GridSettings grid{};
  DispatchSettings dispatch{};
  // Session, stop and limit queries waiting for a substation at once; they wait up to the
  // dispatch timeout.
  std::size_t max_pending_queries = ForwardSettings{}.max_pending;
  // Requests arriving this soon after start wait, so the first ones are placed on a table that
  // every live substation has reported into (a restarted balancer must not flood a full one).
  // Unset: two heartbeat intervals.
  std::optional<Duration> warmup{};
  // Feeders: the topology (--topology; empty: no feeder is limited) and how grants are leased.
  feeders::Topology topology{};
  std::optional<Duration> grant_lease{};  // unset: three heartbeat intervals
  double time_scale = 1;
  // CurveZMQ: the balancer's Z85 secret key and where the allowed public keys are. Empty: the
  // sockets run unauthenticated (the NULL mechanism), as before.
  std::string curve_secret_key;
  AllowDirectories curve_allow{};
  // A file descriptor that becomes readable on SIGHUP (a signalfd): the allow directories are
  // read again. -1: none.
  int reload_fd = -1;
  bool curve() const { return !curve_secret_key.empty(); }
  Duration effective_warmup() const { return warmup.value_or(2 * grid.heartbeat_interval); }
};

class BalancerNode final : private Outbox, private QueryOutbox, private GrantOutbox {
public:
  // Binds all three sockets; throws zmq::error_t when an endpoint cannot be bound and
  // std::invalid_argument for an unknown policy.
  BalancerNode(zmq::context_t& context, BalancerConfig config, prometheus::Registry& registry,
               const Clock& clock = steady_clock(), std::unique_ptr<Random> random = std::make_unique<SeededRandom>());

  void run();
  void stop() { loop_.stop(); }

  // The endpoints actually bound (a tcp://127.0.0.1:* endpoint resolves to its port).
  const std::string& frontend_endpoint() const { return frontend_endpoint_; }
  const std::string& backend_endpoint() const { return backend_endpoint_; }
  const std::string& heartbeats_endpoint() const { return heartbeats_endpoint_; }

private:
  bool send_job(const std::string& substation, const proto::ChargeJob& job) override;
  void send_cancel(const std::string& substation, const proto::CancelSession& cancel) override;
  bool send_reply(const std::string& client, const proto::ChargeReply& reply) override;
  bool to_substation(const std::string& substation, const proto::Message& message) override;
  bool to_requester(const std::string& client, const proto::Message& message) override;
  bool send_grant(const std::string& substation, const proto::FeederGrant& grant) override;

  template <class Handle>
  void drain(zmq::socket_t& socket, bool routed, std::string_view from, Handle&& handle);
  void on_frontend();
  void on_backend();
  void on_heartbeats();
  void on_admission_page(const std::string& substation, const proto::AdmissionIndex& page);
  std::optional<TimePoint> on_timers(TimePoint now);
  void drop(std::string_view reason, std::string_view from);
  // With CURVE, a substation speaks only for the id its key was allowed under (the User-Id the
  // ZAP handler gave it); false, counted and dropped, when it claims another.
  bool identity_holds(const std::string& user_id, std::string_view claimed, std::string_view from);
  void on_reload_signal();

  BalancerConfig config_;
  const Clock& clock_;
  std::unique_ptr<Random> random_;
  std::unique_ptr<balancing::Policy> policy_;
  BalancerMetrics metrics_;
  FeederMetrics feeder_metrics_;
  std::uint64_t boot_;  // random per start (feeders_ and dispatcher_ take it)
  FeederController feeders_;
  GridView grid_;
  AdmissionSync sync_;
  Dispatcher dispatcher_;
  QueryForwarder forwarder_;
  std::optional<ZapHandler> zap_;  // with CURVE; bound before the sockets it guards
  zmq::socket_t frontend_;
  zmq::socket_t backend_;
  zmq::socket_t heartbeats_;
  std::string frontend_endpoint_;
  std::string backend_endpoint_;
  std::string heartbeats_endpoint_;
  transport::PollLoop loop_;
  LogRateLimit drop_log_;
  LogRateLimit identity_log_;
};

}  // namespace grid::balancer
