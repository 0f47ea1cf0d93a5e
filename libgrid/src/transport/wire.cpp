#include "grid/transport/wire.h"

#include <algorithm>
#include <array>

namespace grid::transport {
namespace {

// One more than a routed message needs, so "too many frames" is visible.
constexpr std::size_t max_frames = proto::frames_per_message + 2;

bool send_frame(zmq::socket_t& socket, std::string_view bytes, bool more) {
  auto flags = zmq::send_flags::dontwait;
  if (more) flags = flags | zmq::send_flags::sndmore;
  return socket.send(zmq::const_buffer(bytes.data(), bytes.size()), flags).has_value();
}

SendResult send_frames(zmq::socket_t& socket, proto::Command command_value, std::string_view body,
                       std::string_view routing_id) {
  const char command = static_cast<char>(command_value);
  try {
    // Only the first frame can fail for want of room: once it is queued, the rest of a multipart
    // message always is.
    const bool routed = !routing_id.empty();
    if (!send_frame(socket, routed ? routing_id : proto::protocol_id, true)) return SendResult::would_block;
    if (routed) send_frame(socket, proto::protocol_id, true);
    send_frame(socket, std::string_view(&command, 1), true);
    send_frame(socket, body, false);
  } catch (const zmq::error_t& error) {
    if (error.num() == EHOSTUNREACH) return SendResult::unroutable;
    throw;
  }
  return SendResult::sent;
}

}  // namespace

SendResult send_encoded(zmq::socket_t& socket, const proto::Encoded& encoded, std::string_view routing_id) {
  return send_frames(socket, encoded.command, encoded.body, routing_id);
}

SendResult send_message(zmq::socket_t& socket, const proto::Message& message, std::string_view routing_id) {
  // zmq copies the frames at send, so one buffer per thread serves every message: no allocation
  // per send once it has grown to the largest body.
  thread_local std::string body;
  const auto command = proto::encode_into(message, body);
  return send_frames(socket, command, body, routing_id);
}

std::optional<Inbound> receive_message(zmq::socket_t& socket, bool routed) {
  std::array<zmq::message_t, max_frames> frames;
  std::size_t count = 0;
  bool more = true;
  bool first = true;
  while (more) {
    zmq::message_t frame;
    const auto received = socket.recv(frame, first ? zmq::recv_flags::dontwait : zmq::recv_flags::none);
    if (!received) {
      if (first) return std::nullopt;
      break;  // cannot happen mid-message (parts arrive together), but never spin on it
    }
    first = false;
    more = frame.more();
    if (count < max_frames) frames[count] = std::move(frame);
    ++count;  // frames past max_frames are read and dropped
  }

  Inbound inbound;
  // Every frame that came over the wire carries the connection's metadata; a ROUTER's routing
  // frame is made locally and carries none, so read the last frame. zmq_msg_gets, not
  // message_t::gets: that throws when the property is absent (NULL mechanism).
  if (const char* user_id = zmq_msg_gets(frames[std::min(count, max_frames) - 1].handle(), "User-Id")) {
    inbound.user_id = user_id;
  }
  std::size_t start = 0;
  if (routed) {
    inbound.routing_id = frames[0].to_string();
    start = 1;
  }
  const std::size_t payload = std::min(count, max_frames) - start;
  if (count > max_frames || payload != proto::frames_per_message) {
    inbound.message = proto::DecodeError::wrong_frame_count;
    return inbound;
  }
  const std::array<std::string_view, proto::frames_per_message> views{
      frames[start].to_string_view(), frames[start + 1].to_string_view(), frames[start + 2].to_string_view()};
  inbound.message = proto::decode(views);
  return inbound;
}

}  // namespace grid::transport
