// Fuzz target for the wire codec: every byte a peer sends reaches grid::proto::decode, so it must
// never crash, never allocate what a header claims, and whatever it accepts must survive a round
// trip unchanged (otherwise a node would act on a message other than the one that was sent).
//
// Input layout (tests/fuzz/corpus/codec/ has examples, tests/fuzz/make_seeds.cpp writes them):
//   first byte < 0x80: the command byte; the rest is the body, under the protocol frame "GRID1".
//   first byte >= 0x80: frame mode, to reach the frame checks too: the rest is a sequence of
//     frames, each a length byte followed by that many bytes (cut short at the end of the input),
//     passed to decode(frames).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "grid/proto/codec.h"
#include "grid/proto/limits.h"

namespace {

using namespace grid::proto;

[[noreturn]] void violated(const char* property) {
  std::fprintf(stderr, "codec_fuzz: property violated: %s\n", property);
  std::abort();
}

std::vector<std::string_view> split_frames(std::string_view rest) {
  std::vector<std::string_view> frames;
  while (!rest.empty() && frames.size() < 8) {
    const std::size_t length = static_cast<unsigned char>(rest.front());
    rest.remove_prefix(1);
    const std::size_t taken = length < rest.size() ? length : rest.size();
    frames.push_back(rest.substr(0, taken));
    rest.remove_prefix(taken);
  }
  return frames;
}

// What decode accepted must encode to a body within the limits, under the same command, and
// decode again to the very same message, whose encoding is byte for byte the same.
void check_round_trip(const Message& message, unsigned char command_byte) {
  const Encoded encoded = encode(message);
  if (static_cast<unsigned char>(encoded.command) != command_byte) violated("command byte changed");
  if (encoded.body.size() > limits::max_body_bytes) violated("accepted message encodes oversized");
  const std::string command(1, static_cast<char>(encoded.command));
  const Decoded again = decode(protocol_id, command, encoded.body);
  if (!std::holds_alternative<Message>(again)) violated("re-encoded message does not decode");
  if (std::get<Message>(again) != message) violated("round trip changed the message");
  if (encode(std::get<Message>(again)).body != encoded.body) violated("encoding is not stable");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto first = static_cast<unsigned char>(input.front());
  if (first < 0x80) {
    const std::string command(1, static_cast<char>(first));
    const Decoded decoded = decode(protocol_id, command, input.substr(1));
    if (const auto* message = std::get_if<Message>(&decoded)) check_round_trip(*message, first);
    return 0;
  }
  const std::vector<std::string_view> frames = split_frames(input.substr(1));
  const Decoded decoded = decode(std::span<const std::string_view>(frames));
  if (const auto* message = std::get_if<Message>(&decoded)) {
    if (frames.size() != frames_per_message || frames[0] != protocol_id || frames[1].size() != 1) {
      violated("decode accepted bad frames");
    }
    check_round_trip(*message, static_cast<unsigned char>(frames[1][0]));
  }
  return 0;
}
