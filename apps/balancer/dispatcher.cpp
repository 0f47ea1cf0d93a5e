#include "dispatcher.h"

#include <spdlog/spdlog.h>

namespace grid::balancer {
namespace {

double seconds_between(TimePoint from, TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

Dispatcher::Dispatcher(balancing::LoadTable& table, balancing::Policy& policy, Random& random, Outbox& outbox,
                       BalancerMetrics& metrics, DispatchSettings settings)
    : table_(table), policy_(policy), random_(random), outbox_(outbox), metrics_(metrics), settings_(settings) {}

void Dispatcher::on_request(const std::string& client, proto::ChargeRequest request, TimePoint now) {
  Pending pending{client, std::move(request), {}, {}, {}, now};
  if (jobs_.size() >= settings_.max_in_flight) {
    // Shed load at the door: a fast "busy" beats a queue that only grows.
    answer(pending, {.outcome = proto::Outcome::busy, .reason = "balancer busy, retry later"}, "busy", now);
    return;
  }
  dispatch(std::move(pending), now);
}

void Dispatcher::dispatch(Pending pending, TimePoint now) {
  while (true) {
    const auto started = std::chrono::steady_clock::now();
    const balancing::PickRequest pick{pending.request.power_kw, pending.tried};
    const balancing::Substation* chosen = policy_.pick(table_, pick, random_);
    metrics_.decision_seconds(seconds_between(started, std::chrono::steady_clock::now()));
    if (chosen == nullptr) {
      const std::string reason = table_.live_count() == 0
                                     ? "no live substation"
                                     : "no live substation can take " + std::to_string(pending.request.power_kw) + " kW";
      answer(pending, {.outcome = proto::Outcome::no_capacity, .reason = reason}, "no_capacity", now);
      return;
    }
    const std::string substation = chosen->id;  // `chosen` is invalidated by table changes
    pending.tried.push_back(substation);
    const std::uint64_t job_id = next_job_id_++;
    const proto::ChargeJob job{job_id, pending.request.request_id, pending.request.vehicle_id, pending.request.power_kw,
                               pending.request.energy_kwh};
    if (!outbox_.send_job(substation, job)) {
      metrics_.dispatch(substation, "unroutable");
      continue;  // try the next candidate
    }
    table_.reserve(substation, pending.request.power_kw);
    publish(substation);
    pending.substation = substation;
    pending.deadline = now + settings_.dispatch_timeout;
    deadlines_.emplace(pending.deadline, job_id);
    jobs_.emplace(job_id, std::move(pending));
    metrics_.in_flight(jobs_.size());
    return;
  }
}

void Dispatcher::on_result(const std::string& substation, const proto::JobResult& result, TimePoint now) {
  const auto found = jobs_.find(result.job_id);
  if (found == jobs_.end()) {
    // The job timed out and was sent elsewhere, or was never ours.
    metrics_.dropped(result.accepted ? "late_acceptance" : "unknown_job");
    table_.on_job_result(substation, result.boot, result.load_kw, result.active_sessions, result.after_seq, now);
    return;
  }
  if (found->second.substation != substation || found->second.request.request_id != result.request_id) {
    metrics_.dropped("wrong_peer");  // an answer for someone else's job: never let it route a request
    return;
  }
  Pending pending = std::move(found->second);
  jobs_.erase(found);
  deadlines_.erase({pending.deadline, result.job_id});
  metrics_.in_flight(jobs_.size());
  table_.release(substation, pending.request.power_kw);
  table_.on_job_result(substation, result.boot, result.load_kw, result.active_sessions, result.after_seq, now);
  publish(substation);
  if (result.accepted) {
    metrics_.dispatch(substation, "accepted");
    answer(pending,
           {.outcome = proto::Outcome::charging, .session_id = result.session_id, .substation_id = substation,
            .power_kw = pending.request.power_kw},
           "charging", now);
    return;
  }
  metrics_.dispatch(substation, "rejected");
  dispatch(std::move(pending), now);
}

void Dispatcher::on_timers(TimePoint now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const std::uint64_t job_id = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    const auto found = jobs_.find(job_id);
    if (found == jobs_.end()) continue;
    Pending pending = std::move(found->second);
    jobs_.erase(found);
    metrics_.in_flight(jobs_.size());
    metrics_.dispatch(pending.substation, "timeout");
    spdlog::warn("substation '{}' did not answer job {} within {} ms; trying another", pending.substation, job_id,
                 std::chrono::duration_cast<std::chrono::milliseconds>(settings_.dispatch_timeout).count());
    table_.release(pending.substation, pending.request.power_kw);
    publish(pending.substation);
    dispatch(std::move(pending), now);
  }
}

std::optional<TimePoint> Dispatcher::next_deadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

void Dispatcher::answer(const Pending& pending, proto::ChargeReply reply, std::string_view outcome, TimePoint now) {
  reply.request_id = pending.request.request_id;
  outbox_.send_reply(pending.client, reply);
  metrics_.request(outcome);
  metrics_.request_seconds(seconds_between(pending.received, now));
}

void Dispatcher::publish(const std::string& substation) {
  if (const auto* row = table_.find(substation)) metrics_.substation(*row, table_.live_count());
}

}  // namespace grid::balancer
