#include "substation_node.h"

#include <random>

#include "grid/transport/sockets.h"
#include "grid/transport/wire.h"
#include "substation_metrics.h"

namespace grid::substation {

SubstationNode::SubstationNode(zmq::context_t& context, SubstationConfig config, prometheus::Registry& registry,
                               const Clock& clock)
    : config_(std::move(config)),
      clock_(clock),
      boot_(std::random_device{}() ^ (static_cast<std::uint64_t>(std::random_device{}()) << 32)),
      station_(config_.id, config_.capacity_kw, config_.time_scale, boot_, config_.remembered_requests),
      jobs_(transport::make_socket(context, zmq::socket_type::dealer, {.routing_id = config_.id})),
      heartbeats_(transport::make_socket(context, zmq::socket_type::pub)),
      loop_(context, clock),
      next_heartbeat_(clock.now()),
      metrics_(std::make_unique<SubstationMetrics>(registry, config_.id)) {
  jobs_.connect(config_.balancer_endpoint);
  heartbeats_.connect(config_.heartbeats_endpoint);
  metrics_->capacity_kw.Set(station_.capacity_kw());
  refresh_gauges();
  loop_.add(jobs_, [this] { on_job_socket(); });
  loop_.set_timers([this](TimePoint now) { return on_timers(now); });
}

SubstationNode::~SubstationNode() = default;

void SubstationNode::run() {
  spdlog::info("substation '{}' up: capacity {} kW, jobs from {}, heartbeats to {} every {} ms", config_.id,
               config_.capacity_kw, config_.balancer_endpoint, config_.heartbeats_endpoint,
               config_.heartbeat_interval.count());
  loop_.run();
  spdlog::info("substation '{}' stopped with {} active sessions", config_.id, station_.active_sessions());
}

void SubstationNode::on_job_socket() {
  // Bounded batch: timers (heartbeats) still run under a flood of jobs.
  for (int i = 0; i < 256; ++i) {
    auto inbound = transport::receive_message(jobs_, false);
    if (!inbound) return;
    if (const auto* error = std::get_if<proto::DecodeError>(&inbound->message)) {
      drop(proto::reason_label(*error));
      continue;
    }
    const auto& message = std::get<proto::Message>(inbound->message);
    if (const auto* job = std::get_if<proto::ChargeJob>(&message)) {
      handle_job(*job);
    } else if (const auto* cancel = std::get_if<proto::CancelSession>(&message)) {
      if (const auto ended = station_.cancel(cancel->request_id, cancel->session_id)) {
        metrics_->cancelled.Increment();
        refresh_gauges();
        spdlog::info("cancelled session {} of request {}: the balancer placed it elsewhere", ended->session_id,
                     cancel->request_id);
      }
    } else {
      drop("unexpected_command");
    }
  }
}

void SubstationNode::handle_job(const proto::ChargeJob& job) {
  const auto admission = station_.admit(job, clock_.now());
  if (admission.repeated) {
    metrics_->repeated.Increment();
  } else if (admission.accepted) {
    metrics_->started.Increment();
    spdlog::debug("admitted {} for {} ({} kW, {} kWh) as {}", job.request_id, job.vehicle_id, job.power_kw,
                  job.energy_kwh, admission.session_id);
  } else {
    metrics_->rejected.get(power::to_string(admission.refusal)).Increment();
    spdlog::debug("refused {} ({} kW): {}", job.request_id, job.power_kw, power::to_string(admission.refusal));
  }
  refresh_gauges();
  const proto::JobResult result{job.job_id,     job.request_id,     admission.accepted,
                                admission.session_id, admission.accepted ? "" : std::string(power::to_string(admission.refusal)), station_.load_kw(),
                                station_.active_sessions(), seq_, boot_};
  if (transport::send_message(jobs_, result) != transport::SendResult::sent) {
    drop("reply_would_block");
  }
}

std::optional<TimePoint> SubstationNode::on_timers(TimePoint now) {
  const auto done = station_.complete_due(now);
  if (!done.empty()) {
    for (const auto& session : done) {
      metrics_->completed.Increment();
      metrics_->energy.Increment(session.energy_kwh);
    }
    refresh_gauges();
  }
  if (now >= next_heartbeat_) {
    publish_heartbeat();
    // Keep the beat on its grid; after a stall, beat once and resume rather than burst.
    next_heartbeat_ += config_.heartbeat_interval;
    if (next_heartbeat_ <= now) next_heartbeat_ = now + config_.heartbeat_interval;
  }
  const auto completion = station_.next_completion();
  return completion ? std::min(*completion, next_heartbeat_) : next_heartbeat_;
}

void SubstationNode::publish_heartbeat() {
  ++seq_;
  const proto::Heartbeat heartbeat{config_.id,        boot_, seq_, station_.capacity_kw(), station_.load_kw(),
                                   station_.active_sessions()};
  // PUB never blocks: with no subscriber ready the heartbeat is dropped, and the next one repeats it.
  transport::send_message(heartbeats_, heartbeat);
  metrics_->heartbeats.Increment();
}

void SubstationNode::refresh_gauges() {
  metrics_->current_load.Set(station_.active_sessions());
  metrics_->load_kw.Set(station_.load_kw());
  metrics_->utilization.Set(power::utilization(station_.load_kw(), station_.capacity_kw()));
}

void SubstationNode::drop(std::string_view reason) {
  metrics_->dropped.get(reason).Increment();
  std::size_t suppressed = 0;
  if (drop_log_.allow(suppressed)) {
    spdlog::warn("dropped a message from the balancer: {} ({} similar suppressed)", reason, suppressed);
  }
}

}  // namespace grid::substation
