#pragma once
// A requester for tests: a DEALER on the balancer frontend, as an edge or load generator uses it.

#include <chrono>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "grid/proto/messages.h"

namespace grid::test {

class GridClient {
public:
  GridClient(zmq::context_t& context, const std::string& frontend);

  void send(const proto::ChargeRequest& request);
  // The next reply, or empty after `limit`.
  std::optional<proto::ChargeReply> receive(std::chrono::milliseconds limit = std::chrono::seconds(5));
  std::optional<proto::ChargeReply> charge(const proto::ChargeRequest& request,
                                           std::chrono::milliseconds limit = std::chrono::seconds(5));
  // How many substations the balancer counts live, or empty when it does not answer in time.
  std::optional<std::uint32_t> live_substations(std::chrono::milliseconds limit = std::chrono::milliseconds(500));

private:
  zmq::socket_t socket_;
  std::uint64_t nonce_ = 0;
};

}  // namespace grid::test
