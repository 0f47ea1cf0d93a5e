#include "substation_node.h"

#include <random>

#include "grid/transport/sockets.h"
#include "grid/transport/wire.h"
#include "substation_metrics.h"

namespace grid::substation {
namespace {

StationSettings resolved(const SubstationConfig& config, std::uint64_t boot) {
  StationSettings settings = config.station;
  settings.boot = boot;
  settings.feeder.lease = config.grant_lease.value_or(3 * config.heartbeat_interval);
  return settings;
}

std::string describe(std::optional<power::Watts> feeder_limit_w) {
  return feeder_limit_w ? fmt::format("{} kW", power::to_kw(*feeder_limit_w)) : std::string("none");
}

}  // namespace

SubstationNode::SubstationNode(zmq::context_t& context, SubstationConfig config, prometheus::Registry& registry,
                               const Clock& clock)
    : config_(std::move(config)),
      clock_(clock),
      boot_(std::random_device{}() ^ (static_cast<std::uint64_t>(std::random_device{}()) << 32)),
      allocation_(allocation::make_policy(config_.allocation)),
      station_(resolved(config_, boot_), *allocation_, open_store(),
               {.wall_offset = [&clock] { return wall_offset(clock); }}),
      heartbeats_(transport::make_socket(context, zmq::socket_type::pub, {.curve_client = config_.curve})),
      loop_(context, clock),
      next_heartbeat_(clock.now()),
      next_control_(clock.now() + config_.control_interval),
      metrics_(std::make_unique<SubstationMetrics>(registry, config_.station.id)) {
  if (config_.balancer_endpoints.empty() || config_.heartbeats_endpoints.empty()) {
    throw std::invalid_argument("a substation needs at least one balancer and one heartbeats endpoint");
  }
  jobs_.reserve(config_.balancer_endpoints.size());  // the poll loop keeps references to them
  for (const auto& endpoint : config_.balancer_endpoints) {
    jobs_.push_back(transport::make_socket(context, zmq::socket_type::dealer,
                                           {.routing_id = config_.station.id, .curve_client = config_.curve}));
    jobs_.back().connect(endpoint);
  }
  for (const auto& endpoint : config_.heartbeats_endpoints) heartbeats_.connect(endpoint);
  restore();
  metrics_->capacity_kw.Set(station().capacity_kw());
  account({});
  for (auto& balancer : jobs_) loop_.add(balancer, [this, &balancer] { on_job_socket(balancer); });
  loop_.set_timers([this](TimePoint now) { return on_timers(now); });
}

SubstationNode::~SubstationNode() = default;

std::unique_ptr<StateStore> SubstationNode::open_store() {
  if (config_.state_path.empty()) return nullptr;
  const auto& settings = config_.station;
  return std::make_unique<StateStore>(StateStoreOptions{
      .path = config_.state_path,
      .substation_id = settings.id,
      .remembered_requests = settings.remembered_requests,
      .remembered_sessions = settings.remembered_sessions,
      .committed = [this](double seconds) {
        metrics_->state_commits.Increment();
        metrics_->state_commit_seconds.Observe(seconds);
      }});
}

void SubstationNode::restore() {
  if (!station_.durable()) {
    spdlog::warn("substation '{}' keeps its sessions in memory only (no --state): after a crash it restarts empty "
                 "and may admit cars on top of ones still charging",
                 station().id());
    return;
  }
  Progress progress;
  const auto restored = station_.restore(clock_.now(), progress);
  account(progress);
  spdlog::info("restored from {}: {} sessions, {} kW allocated, {} ended while down, limit {}, next session {}{}",
               config_.state_path, restored.sessions, power::to_kw(restored.allocated_w), restored.ended_while_down,
               restored.limit.limit_w ? fmt::format("{} kW", power::to_kw(*restored.limit.limit_w)) : "none",
               restored.next_session,
               station().feeder().in_fallback() ? fmt::format(", feeder in fallback at {} until a fresh grant",
                                                              describe(station().feeder().limit_w()))
                                                : "");
}

void SubstationNode::run() {
  spdlog::info("substation '{}' up: capacity {} kW, allocation {}, jobs from {}, heartbeats to {} every {} ms",
               station().id(), station().capacity_kw(), allocation_->name(),
               fmt::join(config_.balancer_endpoints, ", "), fmt::join(config_.heartbeats_endpoints, ", "),
               config_.heartbeat_interval.count());
  loop_.run();
  spdlog::info("substation '{}' stopped with {} active sessions", station().id(), station().active_sessions());
}

void SubstationNode::on_job_socket(zmq::socket_t& balancer) {
  // Bounded batch: timers (heartbeats, the control tick) and the other balancers still run under a
  // flood of jobs from one.
  for (int i = 0; i < 256; ++i) {
    auto inbound = transport::receive_message(balancer, false);
    if (!inbound) return;
    if (const auto* error = std::get_if<proto::DecodeError>(&inbound->message)) {
      drop(proto::reason_label(*error));
      continue;
    }
    const auto& message = std::get<proto::Message>(inbound->message);
    if (const auto* job = std::get_if<proto::ChargeJob>(&message)) {
      handle_job(balancer, *job);
    } else if (const auto* query = std::get_if<proto::SessionQuery>(&message)) {
      handle_query(balancer, *query);
    } else if (const auto* limit = std::get_if<proto::SetLimit>(&message)) {
      handle_limit(balancer, *limit);
    } else if (const auto* grant = std::get_if<proto::FeederGrant>(&message)) {
      handle_grant(*grant);
    } else if (const auto* index_query = std::get_if<proto::IndexQuery>(&message)) {
      reply(balancer, admission_pages_.page(*index_query, [this] { return station_.station().admissions(); }));
    } else if (const auto* cancel = std::get_if<proto::CancelSession>(&message)) {
      Progress progress;
      if (const auto ended = station_.cancel(cancel->request_id, cancel->session_id, clock_.now(), progress,
                                                cancel->placed_by)) {
        metrics_->cancelled.Increment();
        spdlog::info("cancelled session {} of request {}: the balancer placed it elsewhere", ended->session_id,
                     cancel->request_id);
      }
      account(progress);
    } else {
      drop("unexpected_command");
    }
  }
}

void SubstationNode::handle_job(zmq::socket_t& balancer, const proto::ChargeJob& job) {
  Progress progress;
  const auto admission = station_.admit(job, clock_.now(), progress);
  if (admission.repeated) {
    metrics_->repeated.Increment();
  } else if (admission.accepted) {
    metrics_->started.Increment();
    metrics_->energy_requested.Increment(job.energy_kwh);
    spdlog::debug("admitted {} for {} ({}-{} kW, {} kWh) as {} at {} kW", job.request_id, job.vehicle_id,
                  power::to_kw(admission.min_w), job.power_kw, job.energy_kwh, admission.session_id,
                  power::to_kw(admission.power_w));
  } else {
    metrics_->rejected.get(power::to_string(admission.refusal)).Increment();
    spdlog::debug("refused {} ({} kW): {}", job.request_id, job.power_kw, power::to_string(admission.refusal));
  }
  account(progress);
  proto::JobResult result{job.job_id,
                          job.request_id,
                          admission.accepted,
                          admission.session_id,
                          admission.accepted ? "" : std::string(power::to_string(admission.refusal)),
                          power::to_kw(station().totals(clock_.now()).allocated_w),
                          station().active_sessions(),
                          seq_,
                          boot_};
  result.power_kw = power::to_kw(admission.power_w);
  result.min_power_kw = power::to_kw(admission.min_w);
  result.repeated = admission.repeated;
  if (admission.accepted && !admission.repeated) {
    // Committed already (DurableStation); every balancer hears of it before the one that asked
    // is answered, so a retry through another balancer finds this session.
    transport::send_message(heartbeats_,
                            proto::Admitted{station().id(), job.request_id, admission.session_id, job.placed_by});
    metrics_->announced.Increment();
  }
  reply(balancer, result);
}

void SubstationNode::handle_query(zmq::socket_t& balancer, const proto::SessionQuery& query) {
  Progress progress;
  auto state = station_.query(query.session_id, query.stop, clock_.now(), progress);
  account(progress);
  if (!state) state = proto::SessionState{.found = false, .session_id = query.session_id};
  state->request_id = query.request_id;
  state->substation_id = station().id();
  reply(balancer, *state);
}

void SubstationNode::handle_limit(zmq::socket_t& balancer, const proto::SetLimit& limit) {
  if (limit.substation_id != station().id()) {
    reply(balancer, proto::LimitAck{.request_id = limit.request_id, .substation_id = station().id(), .applied = false,
                          .limit_kw = station().limit_kw(), .capacity_kw = station().capacity_kw(),
                          .reason = "this is substation '" + station().id() + "'"});
    return;
  }
  const TimePoint now = clock_.now();
  Progress progress;
  station_.set_limit(limit.limit_kw, limit.duration_s, now, progress);
  metrics_->limit_changes.Increment();
  account(progress);
  spdlog::info("limit {}: effective limit now {} kW (capacity {} kW){}",
               limit.limit_kw > 0 ? "set" : "cleared", station().limit_kw(), station().capacity_kw(),
               limit.duration_s > 0 ? fmt::format(" for {} s of grid time", limit.duration_s) : "");
  reply(balancer, proto::LimitAck{.request_id = limit.request_id, .substation_id = station().id(), .applied = true,
                        .limit_kw = station().limit_kw(), .capacity_kw = station().capacity_kw(),
                        .expires_in_s = station().limit_expires_in_s(now).value_or(0)});
  // The balancer hears of the new limit at once, not at the next beat.
  publish_heartbeat();
}

void SubstationNode::handle_grant(const proto::FeederGrant& grant) {
  if (grant.substation_id != station().id()) {
    drop("grant_for_another_substation");
    return;
  }
  const auto before = station().feeder().limit_w();
  Progress progress;
  switch (station_.grant(grant, clock_.now(), progress)) {
    case GrantVerdict::accepted: metrics_->grants.Increment(); break;
    case GrantVerdict::stale: drop("stale_grant"); break;
    // A follower that has not stood down yet: expected while leadership moves, so counted, not logged.
    case GrantVerdict::other_balancer: metrics_->grants_refused.Increment(); break;
  }
  account(progress);
  feeder_changed(before, progress);
  if (!station().feeder().feeder_id().empty() && grant.feeder_id != station().feeder().feeder_id()) {
    // The balancer's topology is the source of truth: obeyed, and said once in a while.
    std::size_t suppressed = 0;
    if (feeder_log_.allow(suppressed)) {
      spdlog::warn("granted for feeder '{}', but --feeder says '{}': the balancer's topology wins ({} similar suppressed)",
                   grant.feeder_id, station().feeder().feeder_id(), suppressed);
    }
  }
}

void SubstationNode::feeder_changed(std::optional<power::Watts> before, const Progress& progress) {
  const auto after = station().feeder().limit_w();
  if (progress.entered_fallback) {
    spdlog::warn("no fresh feeder grant within the lease: in fallback at {} until the balancer grants again",
                 describe(after));
  }
  if (after == before) return;
  spdlog::info("feeder limit {} -> {} (grant {}{})", describe(before), describe(after), station().feeder().grant_seq(),
               station().feeder().in_fallback() ? ", in fallback" : "");
  // The balancer hears at once that a lowering is applied (grant_seq), not at the next beat.
  publish_heartbeat();
}

void SubstationNode::reply(zmq::socket_t& balancer, const proto::Message& message) {
  if (transport::send_message(balancer, message) != transport::SendResult::sent) drop("reply_would_block");
}

std::optional<TimePoint> SubstationNode::on_timers(TimePoint now) {
  Progress progress;
  const auto event = station().next_event(now);
  if (now >= next_control_ || (event && now >= *event)) {
    const auto feeder_before = station().feeder().limit_w();
    station_.advance(now, progress, now >= next_control_);
    account(progress);
    feeder_changed(feeder_before, progress);
    if (now >= next_control_) next_control_ = now + config_.control_interval;
  }
  if (now >= next_heartbeat_) {
    publish_heartbeat();
    // Keep the beat on its grid; after a stall, beat once and resume rather than burst.
    next_heartbeat_ += config_.heartbeat_interval;
    if (next_heartbeat_ <= now) next_heartbeat_ = now + config_.heartbeat_interval;
  }
  TimePoint next = std::min(next_heartbeat_, next_control_);
  if (const auto upcoming = station().next_event(now)) next = std::min(next, *upcoming);
  return next;
}

void SubstationNode::publish_heartbeat() {
  ++seq_;
  const auto totals = station().totals(clock_.now());
  proto::Heartbeat heartbeat{station().id(), boot_, seq_, station().capacity_kw(), power::to_kw(totals.allocated_w),
                             totals.sessions};
  heartbeat.limit_kw = power::to_kw(totals.limit_w);
  heartbeat.min_kw = power::to_kw(totals.min_w);
  heartbeat.demand_kw = power::to_kw(totals.demand_w);
  heartbeat.energy_wanted_kwh = totals.energy_wanted_kwh;
  heartbeat.due_kw = totals.due_kw;
  heartbeat.paused_sessions = totals.paused;
  const FeederLease& feeder = station().feeder();
  heartbeat.feeder_id = feeder.feeder_id();
  heartbeat.granted_kw = power::to_kw(totals.feeder_limit_w.value_or(0));
  heartbeat.grant_seq = feeder.grant_seq();
  heartbeat.grant_boot = feeder.grant_boot();
  heartbeat.in_fallback = feeder.in_fallback();
  // PUB never blocks: with no subscriber ready the heartbeat is dropped, and the next one repeats it.
  transport::send_message(heartbeats_, heartbeat);
  metrics_->heartbeats.Increment();
}

void SubstationNode::account(const Progress& progress) {
  metrics_->count(progress);
  metrics_->show(station().totals(clock_.now()), station().capacity_kw());
  metrics_->show(station().feeder());
}

void SubstationNode::drop(std::string_view reason) {
  metrics_->dropped.get(reason).Increment();
  std::size_t suppressed = 0;
  if (drop_log_.allow(suppressed)) {
    spdlog::warn("dropped a message from the balancer: {} ({} similar suppressed)", reason, suppressed);
  }
}

}  // namespace grid::substation
