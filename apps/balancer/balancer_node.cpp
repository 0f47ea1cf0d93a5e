#include "balancer_node.h"

#include <random>

#include <sys/signalfd.h>
#include <unistd.h>

#include "grid/balancing/policy_registry.h"
#include "grid/transport/sockets.h"
#include "grid/transport/wire.h"

namespace grid::balancer {
namespace {

// Messages handled per socket per wake-up: no socket can starve the others or the timers.
constexpr int batch = 256;

std::uint64_t wall_clock_micros() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// Random per start: names this boot's jobs (placed_by) and grants (balancer_boot).
std::uint64_t random_boot() { return (std::uint64_t{std::random_device{}()} << 32U) | std::random_device{}(); }

DispatchSettings with_warmup(const BalancerConfig& config, std::uint64_t boot) {
  DispatchSettings settings = config.dispatch;
  settings.balancer_boot = boot;
  settings.warmup = config.effective_warmup();
  // Above every job id an earlier boot sent (it sent fewer than a million per second).
  settings.first_job_id = wall_clock_micros();
  return settings;
}

ForwardSettings forward_settings(const BalancerConfig& config) {
  return {.timeout = config.dispatch.dispatch_timeout, .max_pending = config.max_pending_queries};
}

FeederSettings feeder_settings(const BalancerConfig& config, std::uint64_t boot) {
  // Grant seqs start at the wall clock in microseconds, so a restarted balancer's grants are newer
  // than any its previous boot sent and an old grant_seq cannot confirm a new grant.
  return {.heartbeat_interval = config.grid.heartbeat_interval,
          .lease = config.grant_lease,
          .time_scale = config.time_scale,
          .balancer_boot = boot,
          .first_seq = wall_clock_micros()};
}

// The CURVE server side of one socket: its peers are checked in the ZAP domain named after it.
std::optional<transport::CurveServer> curve_server(const BalancerConfig& config, std::string_view domain) {
  if (!config.curve()) return std::nullopt;
  return transport::CurveServer{config.curve_secret_key, std::string(domain)};
}

}  // namespace

BalancerNode::BalancerNode(zmq::context_t& context, BalancerConfig config, prometheus::Registry& registry,
                           const Clock& clock, std::unique_ptr<Random> random)
    : config_(std::move(config)),
      clock_(clock),
      random_(std::move(random)),
      policy_(balancing::make_policy(config_.policy)),
      metrics_(registry),
      feeder_metrics_(registry),
      boot_(random_boot()),
      feeders_(config_.topology, feeder_settings(config_, boot_), feeder_metrics_, *this),
      grid_(config_.grid, metrics_),
      sync_(*this, metrics_, {.page_timeout = config_.dispatch.dispatch_timeout}, clock, *random_),
      dispatcher_(grid_, *policy_, *random_, *this, metrics_, with_warmup(config_, boot_), clock),
      forwarder_(grid_, *this, metrics_, forward_settings(config_), clock, *random_),
      frontend_(transport::make_socket(
          context, zmq::socket_type::router,
          {.router_mandatory = true, .curve_server = curve_server(config_, transport::zap_domain_frontend)})),
      // Handover lets a restarted substation take its id back at once. With CURVE it is off: it
      // would let any allowed key take over another substation's id and receive its jobs; the
      // first connection keeps the id until it closes (a crashed host's after the ZMTP heartbeat
      // timeout).
      backend_(transport::make_socket(
          context, zmq::socket_type::router,
          {.router_mandatory = true, .router_handover = !config_.curve(),
           .curve_server = curve_server(config_, transport::zap_domain_backend)})),
      heartbeats_(transport::make_socket(context, zmq::socket_type::sub,
                                         {.curve_server = curve_server(config_, transport::zap_domain_heartbeats)})),
      loop_(context, clock) {
  // Before any bind: libzmq lets every CURVE handshake through while no ZAP handler is bound.
  if (config_.curve()) {
    zap_.emplace(context, config_.curve_allow, [this](std::string_view domain) {
      metrics_.auth_refused(domain == transport::zap_domain_frontend || domain == transport::zap_domain_backend
                                ? domain
                                : transport::zap_domain_heartbeats);
    });
    loop_.add(zap_->socket(), [this] { zap_->on_readable(); });
    if (config_.reload_fd >= 0) loop_.add_fd(config_.reload_fd, [this] { on_reload_signal(); });
  }
  transport::bind(frontend_, config_.frontend_endpoint);
  transport::bind(backend_, config_.backend_endpoint);
  heartbeats_.set(zmq::sockopt::subscribe, "");
  transport::bind(heartbeats_, config_.heartbeats_endpoint);
  frontend_endpoint_ = transport::last_endpoint(frontend_);
  backend_endpoint_ = transport::last_endpoint(backend_);
  heartbeats_endpoint_ = transport::last_endpoint(heartbeats_);
  grid_.attach_feeders(feeders_);
  grid_.attach_admission_sync(sync_);
  dispatcher_.attach_admission_sync(sync_);
  loop_.add(frontend_, [this] { on_frontend(); });
  loop_.add(backend_, [this] { on_backend(); });
  loop_.add(heartbeats_, [this] { on_heartbeats(); });
  loop_.set_timers([this](TimePoint now) { return on_timers(now); });
}

void BalancerNode::run() {
  spdlog::info("balancer {:016x} up: policy {}, frontend {}, backend {}, heartbeats {}, dead after {} x {} ms", boot_,
               policy_->name(),
               frontend_endpoint_, backend_endpoint_, heartbeats_endpoint_, config_.grid.liveness,
               std::chrono::duration_cast<std::chrono::milliseconds>(config_.grid.heartbeat_interval).count());
  loop_.run();
  spdlog::info("balancer stopped with {} requests in flight", dispatcher_.in_flight());
}

bool BalancerNode::send_job(const std::string& substation, const proto::ChargeJob& job) {
  return transport::send_message(backend_, job, substation) == transport::SendResult::sent;
}

void BalancerNode::send_cancel(const std::string& substation, const proto::CancelSession& cancel) {
  // A substation out of reach keeps the session (alive, or restored from its state file): its
  // admissions are read again when it is heard, and the session held twice is cancelled then.
  if (transport::send_message(backend_, cancel, substation) != transport::SendResult::sent) {
    sync_.reread_when_heard(substation);
  }
}

bool BalancerNode::send_reply(const std::string& client, const proto::ChargeReply& reply) {
  // A requester that went away cannot be answered; its edge times the request out on its side.
  if (transport::send_message(frontend_, reply, client) == transport::SendResult::sent) return true;
  drop("requester_gone", "frontend");
  return false;
}

bool BalancerNode::to_substation(const std::string& substation, const proto::Message& message) {
  return transport::send_message(backend_, message, substation) == transport::SendResult::sent;
}

bool BalancerNode::send_grant(const std::string& substation, const proto::FeederGrant& grant) {
  return transport::send_message(backend_, grant, substation) == transport::SendResult::sent;
}

bool BalancerNode::to_requester(const std::string& client, const proto::Message& message) {
  if (transport::send_message(frontend_, message, client) == transport::SendResult::sent) return true;
  drop("requester_gone", "frontend");
  return false;
}

// Reads up to `batch` messages from one socket: a bad message is counted and dropped, a good one
// handed to `handle` with the sender's routing id (empty on SUB).
template <class Handle>
void BalancerNode::drain(zmq::socket_t& socket, bool routed, std::string_view from, Handle&& handle) {
  for (int i = 0; i < batch; ++i) {
    auto inbound = transport::receive_message(socket, routed);
    if (!inbound) return;
    if (const auto* error = std::get_if<proto::DecodeError>(&inbound->message)) {
      drop(proto::reason_label(*error), from);
      continue;
    }
    if (!handle(inbound->routing_id, inbound->user_id, std::get<proto::Message>(inbound->message))) {
      drop("unexpected_command", from);
    }
  }
}

void BalancerNode::on_frontend() {
  // A substation past its deadline must not be picked just because the timer has not run yet.
  grid_.on_timers(clock_.now());
  drain(frontend_, true, "frontend", [this](const std::string& client, const std::string&, proto::Message& message) {
    if (auto* request = std::get_if<proto::ChargeRequest>(&message)) {
      dispatcher_.on_request(client, std::move(*request));
    } else if (const auto* ping = std::get_if<proto::Ping>(&message)) {
      const proto::Pong pong{ping->nonce, static_cast<std::uint32_t>(grid_.table().live_count())};
      transport::send_message(frontend_, pong, client);
    } else if (const auto* query = std::get_if<proto::SessionQuery>(&message)) {
      forwarder_.on_session_query(client, *query);
    } else if (const auto* limit = std::get_if<proto::SetLimit>(&message)) {
      forwarder_.on_set_limit(client, *limit);
    } else if (const auto* substations = std::get_if<proto::SubstationsQuery>(&message)) {
      forwarder_.on_substations_query(client, *substations);
    } else if (const auto* feeder_limit = std::get_if<proto::FeederLimit>(&message)) {
      to_requester(client, grid_.on_feeder_limit(*feeder_limit, clock_.now()));
    } else {
      return false;
    }
    return true;
  });
}

void BalancerNode::on_backend() {
  drain(backend_, true, "backend",
        [this](const std::string& substation, const std::string& user_id, proto::Message& message) {
    // Every backend message speaks for its routing id, the substation's own id.
    if (!identity_holds(user_id, substation, "backend")) return true;
    if (const auto* result = std::get_if<proto::JobResult>(&message)) {
      dispatcher_.on_result(substation, *result);
    } else if (auto* state = std::get_if<proto::SessionState>(&message)) {
      forwarder_.on_session_state(substation, std::move(*state));
    } else if (auto* ack = std::get_if<proto::LimitAck>(&message)) {
      forwarder_.on_limit_ack(substation, std::move(*ack));
    } else if (const auto* page = std::get_if<proto::AdmissionIndex>(&message)) {
      on_admission_page(substation, *page);
    } else {
      return false;
    }
    return true;
  });
}

void BalancerNode::on_admission_page(const std::string& substation, const proto::AdmissionIndex& page) {
  if (!sync_.on_page(substation, page)) {
    drop("unexpected_index", "backend");
    return;
  }
  for (std::size_t i = 0; i < page.request_ids.size(); ++i) {
    dispatcher_.learn(substation, page.request_ids[i], page.session_ids[i]);
  }
}

void BalancerNode::on_heartbeats() {
  drain(heartbeats_, false, "heartbeats", [this](const std::string&, const std::string& user_id, proto::Message& message) {
    if (const auto* admitted = std::get_if<proto::Admitted>(&message)) {
      if (identity_holds(user_id, admitted->substation_id, "heartbeats")) {
        dispatcher_.on_announced(admitted->substation_id, *admitted);
      }
      return true;
    }
    const auto* heartbeat = std::get_if<proto::Heartbeat>(&message);
    if (heartbeat == nullptr) return false;
    if (!identity_holds(user_id, heartbeat->substation_id, "heartbeats")) return true;
    if (const auto dropped = grid_.on_heartbeat(*heartbeat, clock_.now())) drop(*dropped, "heartbeats");
    return true;
  });
  // Once per batch, not per heartbeat: one division covers every heartbeat that just came in.
  grid_.control_feeders(clock_.now());
}

std::optional<TimePoint> BalancerNode::on_timers(TimePoint now) {
  grid_.on_timers(now);
  sync_.on_timers();
  dispatcher_.on_timers();
  forwarder_.on_timers();
  std::optional<TimePoint> next;
  for (const auto& deadline : {grid_.next_deadline(), sync_.next_deadline(), dispatcher_.next_deadline(),
                               forwarder_.next_deadline()}) {
    if (deadline && (!next || *deadline < *next)) next = deadline;
  }
  return next;
}

bool BalancerNode::identity_holds(const std::string& user_id, std::string_view claimed, std::string_view from) {
  if (!config_.curve() || user_id == claimed) return true;
  metrics_.dropped("identity_mismatch");  // logged here, naming both ids, rather than by drop()
  std::size_t suppressed = 0;
  if (identity_log_.allow(suppressed)) {
    spdlog::warn("the key of '{}' sent a message as substation '{}' on the {} socket: dropped ({} similar suppressed)",
                 user_id, claimed, from, suppressed);
  }
  return false;
}

void BalancerNode::on_reload_signal() {
  signalfd_siginfo info{};
  // Drain the signalfd (one read per pending signal); several SIGHUPs mean one reload.
  while (::read(config_.reload_fd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
  }
  spdlog::info("SIGHUP: reloading the CURVE allow lists");
  zap_->reload();
}

void BalancerNode::drop(std::string_view reason, std::string_view from) {
  metrics_.dropped(reason);
  std::size_t suppressed = 0;
  if (drop_log_.allow(suppressed)) {
    spdlog::warn("dropped a message on the {} socket: {} ({} similar suppressed)", from, reason, suppressed);
  }
}

}  // namespace grid::balancer
