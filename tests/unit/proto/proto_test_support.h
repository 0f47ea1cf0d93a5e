#pragma once

#include <string>

#include "grid/proto/codec.h"

namespace grid::test {

inline std::string command_byte(proto::Command command) {
  return std::string(1, static_cast<char>(command));
}

inline proto::Decoded round_trip(const proto::Message& message) {
  const auto encoded = proto::encode(message);
  return proto::decode(proto::protocol_id, command_byte(encoded.command), encoded.body);
}

}  // namespace grid::test
