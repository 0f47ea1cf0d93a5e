// The broker thread's side of answers: each message from a balancer is matched by request id
// to the request waiting for it (whichever balancer answers: a request that failed over may be
// answered by the first one after all), checked to be of the kind that request asked for, and
// resolves it (a SubstationsQuery once every substation has come from the balancer last asked; a
// FeederLimit once every balancer asked has acked).
#include "broker_client.h"

namespace grid::edge {

void BrokerClient::on_message(std::size_t from, proto::Message& message) {
  if (auto* reply = std::get_if<proto::ChargeReply>(&message)) {
    if (const auto found = awaiting<proto::ChargeRequest>(reply->request_id); found != pending_.end()) {
      resolve(found, std::move(*reply));
    }
  } else if (auto* state = std::get_if<proto::SessionState>(&message)) {
    if (const auto found = awaiting<proto::SessionQuery>(state->request_id); found != pending_.end()) {
      resolve(found, std::move(*state));
    }
  } else if (auto* ack = std::get_if<proto::LimitAck>(&message)) {
    if (const auto found = awaiting<proto::SetLimit>(ack->request_id); found != pending_.end()) {
      resolve(found, std::move(*ack));
    }
  } else if (auto* feeder_ack = std::get_if<proto::FeederLimitAck>(&message)) {
    on_feeder_ack(from, std::move(*feeder_ack));
  } else if (auto* info = std::get_if<proto::SubstationInfo>(&message)) {
    on_substation_info(from, std::move(*info));
  } else if (const auto* pong = std::get_if<proto::Pong>(&message); pong && pong->nonce >= 1 &&
                                                                    pong->nonce <= ping_nonce_) {
    // Published (metrics, a balancer coming back) by the timers, which run after every wake-up.
    balancers_.pong(from, pong->live_substations, clock_.now());
  } else {
    drop(pong ? "unknown_ping" : "unexpected_command");
  }
}

template <typename Kind>
BrokerClient::PendingMap::iterator BrokerClient::awaiting(const std::string& request_id) {
  const auto found = pending_.find(request_id);
  if (found == pending_.end()) {
    // Most often the answer to a request already answered 504: too late to be of use.
    drop("unknown_request");
  } else if (!std::holds_alternative<Kind>(found->second.request)) {
    // An answer of another kind than asked for cannot answer this request.
    drop("unexpected_command");
    return pending_.end();
  }
  return found;
}

void BrokerClient::on_substation_info(std::size_t from, proto::SubstationInfo info) {
  const auto found = awaiting<proto::SubstationsQuery>(info.request_id);
  if (found == pending_.end()) return;
  // Parts from a balancer the query has left (it failed over) would mix two lists.
  if (found->second.balancer != from) return drop("unknown_request");
  auto& gathered = found->second.gathered;
  switch (gathered.add(std::move(info))) {
    case SubstationGathering::Step::waiting:
    case SubstationGathering::Step::duplicate: return;
    case SubstationGathering::Step::inconsistent: return drop("inconsistent_substation_info");
    case SubstationGathering::Step::complete: break;
  }
  SubstationList list = gathered.take();
  resolve(found, std::move(list));
}

void BrokerClient::on_feeder_ack(std::size_t from, proto::FeederLimitAck ack) {
  const auto found = awaiting<proto::FeederLimit>(ack.request_id);
  if (found == pending_.end()) return;
  auto& fanout = found->second.fanout;
  // A second ack from one balancer (it answered the retry too) changes nothing.
  if (!fanout.add(from, std::move(ack)) || !fanout.complete()) return;
  resolve(found, *fanout.verdict());
}

void BrokerClient::resolve(PendingMap::iterator found, const BrokerAnswer& result) {
  Pending pending = std::move(found->second);
  deadlines_.erase({pending.deadline, found->first});
  pending_.erase(found);
  answer_all(pending, result);
}

}  // namespace grid::edge
