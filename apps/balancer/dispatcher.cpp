#include "dispatcher.h"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace grid::balancer {
namespace {

double seconds_between(TimePoint from, TimePoint to) {
  return std::chrono::duration<double>(to - from).count();
}

}  // namespace

Dispatcher::Dispatcher(balancing::LoadTable& table, balancing::Policy& policy, Random& random, Outbox& outbox,
                       BalancerMetrics& metrics, DispatchSettings settings, TimePoint start)
    : table_(table),
      policy_(policy),
      random_(random),
      outbox_(outbox),
      metrics_(metrics),
      settings_(settings),
      warm_until_(start + settings.warmup) {}

void Dispatcher::on_request(const std::string& client, proto::ChargeRequest request, TimePoint now) {
  if (const auto known = admitted_.find(request.request_id); known != admitted_.end()) {
    // The requester lost our answer and asked again: same session, nothing new admitted.
    outbox_.send_reply(client, known->second);
    metrics_.request("repeated");
    return;
  }
  if (join_existing(client, request.request_id)) return;
  Pending pending{{client}, std::move(request), {}, {}, {}, now};
  if (in_flight() >= settings_.max_in_flight) {
    // Shed load at the door: a fast "busy" beats a queue that only grows.
    answer(pending, {.outcome = proto::Outcome::busy, .reason = "balancer busy, retry later"}, "busy", now);
    return;
  }
  if (now < warm_until_) {
    held_.push_back(std::move(pending));
    count_in_flight();
    return;
  }
  dispatch(std::move(pending), now);
}

bool Dispatcher::join_existing(const std::string& client, const std::string& request_id) {
  // The same requester asking again (its own retry) is answered once, not once per ask.
  const auto add = [&client](std::vector<std::string>& clients) {
    if (std::find(clients.begin(), clients.end(), client) == clients.end()) clients.push_back(client);
  };
  if (const auto job = job_of_request_.find(request_id); job != job_of_request_.end()) {
    add(jobs_.at(job->second).clients);
    return true;
  }
  for (auto& held : held_) {  // only during the warm-up, and short
    if (held.request.request_id == request_id) {
      add(held.clients);
      return true;
    }
  }
  return false;
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
    job_of_request_[pending.request.request_id] = job_id;
    jobs_.emplace(job_id, std::move(pending));
    count_in_flight();
    return;
  }
}

void Dispatcher::on_result(const std::string& substation, const proto::JobResult& result, TimePoint now) {
  table_.on_job_result(substation, result.boot, result.load_kw, result.active_sessions, result.after_seq, now);
  const auto found = jobs_.find(result.job_id);
  if (found == jobs_.end()) {
    // The job timed out and the request went elsewhere (or was never ours). A session admitted
    // this late must not stay: the request has, or will get, its answer from another substation.
    if (result.accepted) {
      metrics_.dropped("late_acceptance");
      outbox_.send_cancel(substation, {result.request_id, result.session_id});
      metrics_.cancel("late_acceptance");
    } else {
      metrics_.dropped("unknown_job");
    }
    publish(substation);
    return;
  }
  if (found->second.substation != substation || found->second.request.request_id != result.request_id) {
    metrics_.dropped("wrong_peer");  // an answer for someone else's job: never let it route a request
    return;
  }
  Pending pending = std::move(found->second);
  jobs_.erase(found);
  deadlines_.erase({pending.deadline, result.job_id});
  job_of_request_.erase(pending.request.request_id);
  count_in_flight();
  table_.release(substation, pending.request.power_kw);
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
  if (now >= warm_until_ && !held_.empty()) {
    spdlog::info("warm-up over with {} live substations; placing {} held requests", table_.live_count(), held_.size());
    auto held = std::move(held_);
    held_.clear();
    for (auto& pending : held) dispatch(std::move(pending), now);
  }
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const std::uint64_t job_id = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    const auto found = jobs_.find(job_id);
    if (found == jobs_.end()) continue;
    Pending pending = std::move(found->second);
    jobs_.erase(found);
    job_of_request_.erase(pending.request.request_id);
    metrics_.dispatch(pending.substation, "timeout");
    spdlog::warn("substation '{}' did not answer job {} within {} ms; trying another", pending.substation, job_id,
                 std::chrono::duration_cast<std::chrono::milliseconds>(settings_.dispatch_timeout).count());
    // If it admitted the job and only the answer is slow or lost, the session must go.
    outbox_.send_cancel(pending.substation, {pending.request.request_id, ""});
    metrics_.cancel("timeout");
    table_.release(pending.substation, pending.request.power_kw);
    publish(pending.substation);
    dispatch(std::move(pending), now);
  }
  count_in_flight();
}

std::optional<TimePoint> Dispatcher::next_deadline() const {
  std::optional<TimePoint> next;
  if (!deadlines_.empty()) next = deadlines_.begin()->first;
  if (!held_.empty()) next = next ? std::min(*next, warm_until_) : warm_until_;
  return next;
}

void Dispatcher::answer(const Pending& pending, proto::ChargeReply reply, std::string_view outcome, TimePoint now) {
  reply.request_id = pending.request.request_id;
  for (const auto& client : pending.clients) outbox_.send_reply(client, reply);
  if (reply.outcome == proto::Outcome::charging) remember(reply);
  metrics_.request(outcome);
  metrics_.request_seconds(seconds_between(pending.received, now));
}

void Dispatcher::remember(const proto::ChargeReply& reply) {
  admitted_.emplace(reply.request_id, reply);
  admitted_order_.push_back(reply.request_id);
  if (admitted_order_.size() > settings_.remembered_answers) {
    admitted_.erase(admitted_order_.front());
    admitted_order_.pop_front();
  }
}

void Dispatcher::publish(const std::string& substation) {
  if (const auto* row = table_.find(substation)) metrics_.substation(*row, table_.live_count());
}

}  // namespace grid::balancer
