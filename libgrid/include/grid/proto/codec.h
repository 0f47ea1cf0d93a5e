#pragma once
// The wire codec: a message is three ZeroMQ frames,
//   [protocol "GRID1"] [command: one byte] [body: one msgpack array, fields by position]
// (plus the routing frames that ROUTER sockets add in front, handled by the transport).
// Decoding takes untrusted bytes: it bounds every size before allocating, requires the whole body
// to be consumed, checks every field's type and range, and reports anything wrong as a
// DecodeError, never by throwing. Thread-safety: all functions are pure and reentrant.

#include <array>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "grid/proto/messages.h"

namespace grid::proto {

inline constexpr std::string_view protocol_id = "GRID1";
inline constexpr std::size_t frames_per_message = 3;

enum class DecodeError {
  wrong_frame_count,  // not exactly protocol + command + body
  bad_protocol,    // first frame is not "GRID1"
  unknown_command,
  oversized,       // body over limits::max_body_bytes
  malformed,       // not msgpack, truncated, or a size over the unpack limits
  wrong_shape,     // not an array of the expected length, or a field of the wrong type
  trailing_bytes,  // something after the msgpack array
  invalid_value,   // well-formed, but a value out of range (NaN, negative, id too long...)
};

// A short snake_case name, used as the `reason` label of *_messages_dropped_total.
std::string_view reason_label(DecodeError error);
// Every DecodeError, so a node can show each reason's dropped counter at 0 before its first drop.
inline constexpr std::array all_decode_errors{
    DecodeError::wrong_frame_count, DecodeError::bad_protocol, DecodeError::unknown_command, DecodeError::oversized,
    DecodeError::malformed,         DecodeError::wrong_shape,  DecodeError::trailing_bytes,  DecodeError::invalid_value};
static_assert(all_decode_errors.back() == DecodeError::invalid_value, "a new DecodeError goes into all_decode_errors");

struct Encoded {
  Command command;
  std::string body;
};

Encoded encode(const Message& message);
// The same into a caller's buffer (replacing its content), so a sender that keeps one buffer
// encodes without allocating. Returns the command frame's value.
Command encode_into(const Message& message, std::string& body);

using Decoded = std::variant<Message, DecodeError>;

Decoded decode(std::string_view protocol, std::string_view command, std::string_view body);
// The same, for the frames of one multipart message with routing frames already removed.
Decoded decode(std::span<const std::string_view> frames);

// Validation shared by the codec and by the edge (which validates JSON with the same bounds).
bool valid_id(std::string_view id);
// Session ids are longer: they start with their substation's id (see session_id.h).
bool valid_session_id(std::string_view id);

}  // namespace grid::proto
