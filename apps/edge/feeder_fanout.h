#pragma once
// A feeder limit asked of every balancer. Each balancer holds the operator's feeder limits in its
// own memory, so a FeederLimit must reach all of them, not one: the edge sends it to every
// answering balancer (to every configured one when none answers) under one request id and gathers
// the acks here. The caller's answer is the first refusal if any balancer refused, else the first
// ack; it is given when every balancer asked has answered, or at the deadline with what came.
// No sockets and no clocks: the broker thread feeds it.
// Thread-safety: none; owned by the broker thread.

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "grid/proto/messages.h"

namespace grid::edge {

class FeederFanOut {
public:
  FeederFanOut() = default;  // allocation-free until asked
  explicit FeederFanOut(std::vector<std::size_t> asked) : asked_(std::move(asked)) {}

  const std::vector<std::size_t>& asked() const { return asked_; }
  // Records balancer `from`'s ack; false (and nothing recorded) when `from` was not asked or
  // has answered already.
  bool add(std::size_t from, proto::FeederLimitAck ack);
  bool complete() const { return !asked_.empty() && acks_.size() == asked_.size(); }
  // The answer for the caller: the first refusal, else the first ack; empty before any ack.
  std::optional<proto::FeederLimitAck> verdict() const;
  // The balancers asked that have not answered, in the order asked.
  std::vector<std::size_t> silent() const;

private:
  bool answered(std::size_t balancer) const;

  std::vector<std::size_t> asked_;
  std::vector<std::pair<std::size_t, proto::FeederLimitAck>> acks_;  // in arrival order
};

}  // namespace grid::edge
