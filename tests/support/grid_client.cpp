#include "support/grid_client.h"

#include "grid/transport/sockets.h"
#include "grid/transport/wire.h"

namespace grid::test {
namespace {

std::optional<proto::Message> next_message(zmq::socket_t& socket, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, left) == 0) return std::nullopt;
    auto inbound = transport::receive_message(socket, false);
    if (inbound && std::holds_alternative<proto::Message>(inbound->message)) {
      return std::get<proto::Message>(std::move(inbound->message));
    }
  }
}

}  // namespace

GridClient::GridClient(zmq::context_t& context, const std::string& frontend)
    : socket_(transport::make_socket(context, zmq::socket_type::dealer)) {
  socket_.connect(frontend);
}

void GridClient::send(const proto::ChargeRequest& request) {
  transport::send_message(socket_, request);
}

std::optional<proto::ChargeReply> GridClient::receive(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto message = next_message(socket_, std::max(left, std::chrono::milliseconds(0)));
    if (!message) return std::nullopt;
    if (auto* reply = std::get_if<proto::ChargeReply>(&*message)) return *reply;
  }
}

std::optional<proto::ChargeReply> GridClient::charge(const proto::ChargeRequest& request,
                                                     std::chrono::milliseconds limit) {
  send(request);
  return receive(limit);
}

std::optional<std::uint32_t> GridClient::live_substations(std::chrono::milliseconds limit) {
  const std::uint64_t nonce = ++nonce_;
  transport::send_message(socket_, proto::Ping{nonce});
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    auto message = next_message(socket_, std::max(left, std::chrono::milliseconds(0)));
    if (!message) return std::nullopt;
    if (auto* pong = std::get_if<proto::Pong>(&*message); pong && pong->nonce == nonce) return pong->live_substations;
  }
}

}  // namespace grid::test
