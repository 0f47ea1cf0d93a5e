// The broker thread's side of several balancers: where a request goes first, where it goes when
// its balancer fails it (a failed send, no answer by half the timeout, silence on pings), the
// pings, and the health the edge publishes.
#include <algorithm>
#include <numeric>

#include <spdlog/spdlog.h>

#include "broker_client.h"
#include "grid/transport/wire.h"
#include "rendezvous.h"

namespace grid::edge {

std::vector<std::size_t> BrokerClient::preference(const std::string& id, const Sent& request) {
  if (std::holds_alternative<proto::ChargeRequest>(request)) return rendezvous_order(balancers_.endpoints(), id);
  // A query may go anywhere: each balancer in turn, so none carries all of them.
  std::vector<std::size_t> order(balancers_.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::rotate(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(next_query_balancer_ % order.size()),
              order.end());
  ++next_query_balancer_;
  return order;
}

bool BrokerClient::send_to(std::size_t balancer, const Sent& request) {
  return std::visit(
      [&](const auto& message) {
        return transport::send_message(balancers_.socket(balancer), message) == transport::SendResult::sent;
      },
      request);
}

std::optional<std::size_t> BrokerClient::send_first(const std::string& id, const Sent& request,
                                                    const std::vector<std::size_t>& candidates) {
  for (const auto balancer : candidates) {
    if (send_to(balancer, request)) return balancer;
    std::size_t suppressed = 0;
    if (log_limit_.allow(suppressed)) {
      spdlog::warn("edge: cannot send request {} to the balancer at {}: not connected; trying the next ({} similar "
                   "suppressed)",
                   id, balancers_.endpoint(balancer), suppressed);
    }
  }
  return std::nullopt;
}

void BrokerClient::resend(PendingMap::iterator found, TimePoint now, std::string_view reason, bool allow_same) {
  auto& [id, pending] = *found;
  const std::size_t from = pending.balancer;
  auto candidates = balancers_.candidates(pending.order, from, now);
  if (!allow_same) candidates.erase(std::remove(candidates.begin(), candidates.end(), from), candidates.end());
  const auto to = send_first(id, pending.request, candidates);
  if (!to) return;  // nowhere to send it: its deadline answers it
  if (allow_same) metrics_.retried();
  if (*to == from) return;
  pending.balancer = *to;
  // Parts of a substation list from two balancers do not make one list: start again.
  pending.gathered = {};
  metrics_.failover();
  std::size_t suppressed = 0;
  if (failover_log_limit_.allow(suppressed)) {
    spdlog::warn("edge: request {} re-sent from the balancer at {} to the one at {}: {} ({} similar suppressed)", id,
                 balancers_.endpoint(from), balancers_.endpoint(*to), reason, suppressed);
  }
}

void BrokerClient::fail_over_from(std::size_t index, TimePoint now) {
  std::size_t waiting = 0;
  std::size_t moved = 0;
  for (auto found = pending_.begin(); found != pending_.end(); ++found) {
    auto& pending = found->second;
    if (pending.balancer != index || std::holds_alternative<proto::FeederLimit>(pending.request)) continue;
    ++waiting;
    resend(found, now, "it stopped answering pings", false);
    if (pending.balancer != index) ++moved;
  }
  spdlog::warn("edge: the balancer at {} stopped answering pings; {} of its {} waiting requests re-sent to other "
               "balancers ({} of {} answering)",
               balancers_.endpoint(index), moved, waiting, balancers_.answering_count(), balancers_.size());
}

void BrokerClient::ping_balancers(TimePoint now) {
  ++ping_nonce_;
  for (std::size_t index = 0; index < balancers_.size(); ++index) {
    // A failed send is fine: no pong means not answering, which is the truth.
    transport::send_message(balancers_.socket(index), proto::Ping{ping_nonce_});
  }
  next_ping_ = now + config_.ping_interval;
}

void BrokerClient::publish_health(TimePoint now) {
  std::size_t answering = 0;
  for (std::size_t index = 0; index < balancers_.size(); ++index) {
    const bool up = balancers_.answering(index, now);
    metrics_.balancer_answering(index, up);
    answering += up ? 1 : 0;
  }
  metrics_.balancers_live(answering);
  metrics_.balancer(answering > 0, balancers_.live_substations());
}

}  // namespace grid::edge
