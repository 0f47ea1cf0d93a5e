// The broker thread's side of a FeederLimit: every balancer keeps the operator's feeder limits in
// its own memory, so the limit goes to every answering balancer (every configured one when none
// answers) under one request id, and the caller is answered once all of them acked, or at the
// deadline with what came (feeder_fanout.h says which ack wins).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "broker_client.h"

namespace grid::edge {

void BrokerClient::fan_out(std::string id, proto::FeederLimit request, OnAnswer on_answer, TimePoint deadline,
                           TimePoint now) {
  std::vector<std::size_t> targets;
  for (std::size_t index = 0; index < balancers_.size(); ++index) {
    if (balancers_.answering(index, now)) targets.push_back(index);
  }
  if (targets.empty()) {
    targets.resize(balancers_.size());
    for (std::size_t index = 0; index < targets.size(); ++index) targets[index] = index;
  }
  const Sent sent{request};
  std::vector<std::size_t> asked;
  for (const auto balancer : targets) {
    if (send_to(balancer, sent)) {
      asked.push_back(balancer);
    } else {
      spdlog::warn("edge: cannot send feeder limit {} (feeder {}) to the balancer at {}: not connected", id,
                   request.feeder_id, balancers_.endpoint(balancer));
    }
  }
  if (asked.empty()) {
    answer(on_answer, BrokerFailure::unreachable);
    return;
  }
  deadlines_.emplace(deadline, id);
  if (config_.retry) retries_.emplace(now + (deadline - now) / 2, id);
  std::vector<OnAnswer> waiters;
  waiters.push_back(std::move(on_answer));
  Pending pending{std::move(waiters), deadline, sent, {}, asked.front(), {}, FeederFanOut(std::move(asked))};
  pending_.emplace(std::move(id), std::move(pending));
}

void BrokerClient::resend_feeder_limit(Pending& pending) {
  // Only to the balancers that have not acked; the same id, so each applies it once.
  for (const auto balancer : pending.fanout.silent()) {
    if (send_to(balancer, pending.request)) metrics_.retried();
  }
}

void BrokerClient::feeder_limit_deadline(const std::string& id, Pending& pending) {
  const auto verdict = pending.fanout.verdict();
  if (!verdict) return answer_all(pending, BrokerFailure::timeout);
  std::vector<std::string> silent;
  for (const auto balancer : pending.fanout.silent()) {
    metrics_.feeder_limit_unanswered(balancer);
    silent.push_back(balancers_.endpoint(balancer));
  }
  spdlog::warn("edge: feeder limit {} (feeder {}) not acked before its deadline by the balancer(s) at {}: answering "
               "with the {} that came",
               id, verdict->feeder_id, fmt::join(silent, ", "), pending.fanout.asked().size() - silent.size());
  answer_all(pending, *verdict);
}

}  // namespace grid::edge
