#pragma once
// Protocol messages on sockets: frames in, frames out. The codec does the bytes; this file only
// moves frames, adding or removing the routing frame that ROUTER sockets carry.
// Thread-safety: as the socket, one owner thread.

#include <optional>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include "grid/proto/codec.h"

namespace grid::transport {

enum class SendResult { sent, unroutable, would_block };

// Sends without blocking. `routing_id` non-empty adds the ROUTER routing frame first.
SendResult send_message(zmq::socket_t& socket, const proto::Message& message, std::string_view routing_id = {});
// The same for a message encoded once and sent to several peers.
SendResult send_encoded(zmq::socket_t& socket, const proto::Encoded& encoded, std::string_view routing_id = {});

struct Inbound {
  std::string routing_id;  // set on ROUTER sockets: who sent it
  // The "User-Id" ZeroMQ attached to the message: the node id our ZAP handler gave the sender's
  // CURVE key. Empty on an unauthenticated connection.
  std::string user_id;
  proto::Decoded message;
};

// Receives one whole multipart message without blocking; empty when none is waiting. On a
// ROUTER (`routed`), the first frame is taken as the routing id. A message with too many frames
// is drained and reported as DecodeError::wrong_frame_count, so a peer cannot make us buffer
// an unbounded multipart message.
std::optional<Inbound> receive_message(zmq::socket_t& socket, bool routed);

}  // namespace grid::transport
