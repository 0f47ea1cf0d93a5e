#include "balancer_ping.h"

#include <random>

#include <spdlog/spdlog.h>

#include "grid/transport/wire.h"

namespace grid::loadgen {

bool wait_for_balancer(zmq::socket_t& socket, const std::string& endpoint, std::chrono::milliseconds patience,
                       const std::atomic<bool>& stopped) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + patience;
  const std::uint64_t nonce = std::random_device{}();
  auto next_ping = Clock::now();
  while (!stopped && Clock::now() < deadline) {
    if (Clock::now() >= next_ping) {
      transport::send_message(socket, proto::Ping{nonce});
      next_ping = Clock::now() + std::chrono::milliseconds(50);
    }
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(10));
    while (auto inbound = transport::receive_message(socket, false)) {
      const auto* message = std::get_if<proto::Message>(&inbound->message);
      const auto* pong = message ? std::get_if<proto::Pong>(message) : nullptr;
      if (pong && pong->nonce == nonce) {
        spdlog::info("balancer at {} answers; it counts {} live substations", endpoint, pong->live_substations);
        return true;
      }
    }
  }
  if (!stopped) {
    spdlog::warn("no answer from a balancer at {} within {} ms; sending anyway", endpoint, patience.count());
  }
  return false;
}

}  // namespace grid::loadgen
