#include "feeder_fanout.h"

#include <algorithm>

namespace grid::edge {

bool FeederFanOut::answered(std::size_t balancer) const {
  return std::any_of(acks_.begin(), acks_.end(), [&](const auto& ack) { return ack.first == balancer; });
}

bool FeederFanOut::add(std::size_t from, proto::FeederLimitAck ack) {
  if (std::find(asked_.begin(), asked_.end(), from) == asked_.end() || answered(from)) return false;
  acks_.emplace_back(from, std::move(ack));
  return true;
}

std::optional<proto::FeederLimitAck> FeederFanOut::verdict() const {
  if (acks_.empty()) return std::nullopt;
  const auto refusal = std::find_if(acks_.begin(), acks_.end(), [](const auto& ack) { return !ack.second.applied; });
  return refusal != acks_.end() ? refusal->second : acks_.front().second;
}

std::vector<std::size_t> FeederFanOut::silent() const {
  std::vector<std::size_t> missing;
  for (const auto balancer : asked_) {
    if (!answered(balancer)) missing.push_back(balancer);
  }
  return missing;
}

}  // namespace grid::edge
