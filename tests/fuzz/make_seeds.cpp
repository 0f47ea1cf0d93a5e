// Writes the hand-made seeds of the fuzz corpora (tests/fuzz/corpus/<target>/seed-*):
//   grid_fuzz_seeds DIR     writes DIR/codec/seed-* and DIR/charge_request/seed-*
// Codec seeds are produced by grid::proto::encode, so they follow the wire format as it is; run
// this again after a message changes (scripts/fuzz --seeds) and commit what changed. Inputs the
// fuzzer found are merged next to these under their hash names, by scripts/fuzz --merge.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "grid/proto/codec.h"
#include "grid/proto/limits.h"

namespace {

using namespace grid::proto;
namespace fs = std::filesystem;

struct Seed {
  std::string name;
  std::string bytes;
};

// codec_fuzz's layout: the command byte, then the body.
std::string command_and_body(Command command, const std::string& body) {
  return std::string(1, static_cast<char>(command)) + body;
}

// codec_fuzz's frame mode: 0x80, then each frame as a length byte and its bytes.
std::string frames(const std::vector<std::string>& parts) {
  std::string out(1, '\x80');
  for (const auto& part : parts) {
    out.push_back(static_cast<char>(part.size()));
    out += part;
  }
  return out;
}

std::vector<Seed> codec_seeds() {
  const std::pair<const char*, Message> valid[] = {
      {"heartbeat", Heartbeat{"north", 0xdeadbeefcafeULL, 42, 150.0, 33.5, 3}},
      {"charge-request", ChargeRequest{"req-1", "EV-42", 11.0, 20.0}},
      {"charge-reply-charging", ChargeReply{"req-1", Outcome::charging, "north-7", "north", 11.0, ""}},
      {"charge-reply-busy", ChargeReply{"req-2", Outcome::busy, "", "", 0.0, "balancer overloaded"}},
      {"charge-job", ChargeJob{7, "req-1", "EV-42", 22.0, 40.0}},
      {"job-result-accepted", JobResult{7, "req-1", true, "north-7", "", 55.0, 5, 41, 99}},
      {"job-result-refused", JobResult{8, "req-3", false, "", std::string(limits::max_reason_bytes, 'r'), 150.0,
                                       9, 41, 99}},
      {"ping", Ping{99}},
      {"pong", Pong{99, 3}},
      {"cancel-session", CancelSession{"req-1", "north-7"}},
      {"heartbeat-smart", Heartbeat{"north", 1, 2, 150.0, 30.0, 4, 120.0, 5.6, 44.0, 80.5, 12.5, 1}},
      {"charge-request-smart", ChargeRequest{"req-4", "EV-7", 11.0, 30.0, 1.4, 7200, 3}},
      {"job-result-smart", JobResult{9, "req-4", true, "north.0a0b0c0d-1", "", 30.0, 4, 41, 99, 3.5, 1.4}},
      {"session-query", SessionQuery{"q-1", "north.0a0b0c0d-1", true}},
      {"session-state", SessionState{"q-1", true, "north.0a0b0c0d-1", SessionStatus::paused, 0.0, 30.0, 12.5, 1.4,
                                     11.0, 3600, 0, "north", ""}},
      {"set-limit", SetLimit{"l-1", "north", 80.0, 3600}},
      {"limit-ack", LimitAck{"l-1", "north", true, 80.0, 150.0, 3600, ""}},
      {"substations-query", SubstationsQuery{"s-1"}},
      {"substation-info", SubstationInfo{"s-1", 0, 2, "north", true, false, 150.0, 120.0, 30.0, 4, 1}},
      {"heartbeat-feeder", Heartbeat{"north", 1, 2, 150.0, 30.0, 4, 120.0, 5.6, 44.0, 80.5, 12.5, 1, "feeder-a", 60.0,
                                     9, true}},
      {"feeder-grant", FeederGrant{"north", "feeder-a", 7, 42, 55.5, 0.75, 30.0}},
      {"feeder-limit", FeederLimit{"f-1", "feeder-a", 400.0, 3600, 7200}},
      {"feeder-limit-ack", FeederLimitAck{"f-1", "feeder-a", true, 400.0, 3600, 10800, 500.0, ""}},
      {"index-query", IndexQuery{7, 0}},
      {"admission-index", AdmissionIndex{7, 0, 2, {"req-1", "req-2"}, {"north.0a0b0c0d-1", "north.0a0b0c0d-2"}}},
  };
  std::vector<Seed> seeds;
  for (const auto& [name, message] : valid) {
    const Encoded encoded = encode(message);
    seeds.push_back({std::string("valid-") + name, command_and_body(encoded.command, encoded.body)});
    // Cut in the middle of the body: truncated msgpack.
    seeds.push_back({std::string("truncated-") + name,
                     command_and_body(encoded.command, encoded.body.substr(0, encoded.body.size() / 2))});
  }
  const auto heartbeat = encode(Heartbeat{"north", 1, 2, 150.0, 33.5, 3}).body;
  const auto ping = encode(Ping{7}).body;
  // A heartbeat whose load is NaN: valid msgpack, invalid value (0xcb = float64, NaN bits).
  std::string nan_load = heartbeat;
  const auto load_at = nan_load.size() - 1 - 9;  // [.., load (9 bytes), sessions (1 byte)]
  nan_load.replace(load_at, 9, std::string("\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00", 9));
  // The same load as a float32 (0xca): decoded as a double, re-encoded as float64.
  std::string float32_load = heartbeat;
  float32_load.replace(load_at, 9, std::string("\xca\x42\x06\x00\x00", 5));
  const std::vector<Seed> hostile = {
      // Headers that claim 4G elements or bytes: nothing may be allocated for them.
      {"array32-4g", command_and_body(Command::heartbeat, "\xdd\xff\xff\xff\xff")},
      {"map32-4g", command_and_body(Command::heartbeat, "\xdf\xff\xff\xff\xff")},
      {"str32-4g", command_and_body(Command::ping, "\x91\xdb\xff\xff\xff\xff")},
      {"bin32-4g", command_and_body(Command::ping, "\x91\xc6\xff\xff\xff\xff")},
      {"ext32-4g", command_and_body(Command::ping, "\x91\xc9\xff\xff\xff\xff\x01")},
      {"array16-64k", command_and_body(Command::ping, "\xdc\xff\xff")},
      {"deep-nesting", command_and_body(Command::ping, std::string(200, '\x91') + "\x01")},
      {"nan-load", command_and_body(Command::heartbeat, nan_load)},
      {"float32-load", command_and_body(Command::heartbeat, float32_load)},
      {"trailing-byte", command_and_body(Command::ping, ping + "\xc0")},
      {"empty-body", command_and_body(Command::ping, "")},
      {"unknown-command", command_and_body(static_cast<Command>(0), ping)},
      {"oversized", command_and_body(Command::ping, std::string(limits::max_body_bytes + 1, '\x90'))},
      {"frames-valid", frames({std::string(protocol_id), std::string(1, '\x06'), ping})},
      {"frames-bad-protocol", frames({"GRID0", std::string(1, '\x06'), ping})},
      {"frames-two", frames({std::string(protocol_id), std::string(1, '\x06')})},
      {"frames-four", frames({std::string(protocol_id), std::string(1, '\x06'), ping, ping})},
  };
  seeds.insert(seeds.end(), hostile.begin(), hostile.end());
  return seeds;
}

// charge_request_fuzz's layout: the Content-Type, a newline, then the body.
Seed json(std::string name, std::string body, std::string content_type = "application/json") {
  return {std::move(name), content_type + "\n" + body};
}

std::vector<Seed> charge_request_seeds() {
  return {
      json("valid", R"({"vehicle_id":"EV-42","power_kw":11,"energy_kwh":20})"),
      json("valid-charset", R"({"vehicle_id":"EV-42","power_kw":22.5,"energy_kwh":40})",
           "application/json; charset=utf-8"),
      json("valid-bounds", R"({"vehicle_id":"E","power_kw":350,"energy_kwh":200})"),
      json("valid-request-id", R"({"request_id":"r-1","vehicle_id":"EV-1","power_kw":7.4,"energy_kwh":1e1})"),
      json("wrong-content-type", R"({"vehicle_id":"EV-42","power_kw":11,"energy_kwh":20})", "text/plain"),
      json("no-content-type", R"({"vehicle_id":"EV-42","power_kw":11,"energy_kwh":20})", ""),
      json("power-over", R"({"vehicle_id":"EV-42","power_kw":350.0001,"energy_kwh":20})"),
      json("power-zero", R"({"vehicle_id":"EV-42","power_kw":0,"energy_kwh":20})"),
      json("energy-negative", R"({"vehicle_id":"EV-42","power_kw":11,"energy_kwh":-1})"),
      json("overflow-1e309", R"({"vehicle_id":"EV-42","power_kw":1e309,"energy_kwh":20})"),
      json("nan", R"({"vehicle_id":"EV-42","power_kw":NaN,"energy_kwh":20})"),
      json("power-string", R"({"vehicle_id":"EV-42","power_kw":"11","energy_kwh":20})"),
      json("power-huge-int", R"({"vehicle_id":"EV-42","power_kw":18446744073709551616,"energy_kwh":20})"),
      json("duplicate-keys", R"({"vehicle_id":"EV-42","power_kw":11,"power_kw":9999,"energy_kwh":20})"),
      json("missing-field", R"({"vehicle_id":"EV-42","power_kw":11})"),
      json("unknown-field", R"({"vehicle_id":"EV-42","power_kw":11,"energy_kwh":20,"extra":[1,2]})"),
      json("vehicle-empty", R"({"vehicle_id":"","power_kw":11,"energy_kwh":20})"),
      json("vehicle-long", R"({"vehicle_id":")" + std::string(limits::max_id_bytes + 1, 'V') +
                               R"(","power_kw":11,"energy_kwh":20})"),
      json("vehicle-control-char", R"({"vehicle_id":"EV\u0000 42","power_kw":11,"energy_kwh":20})"),
      json("vehicle-number", R"({"vehicle_id":42,"power_kw":11,"energy_kwh":20})"),
      json("invalid-utf8", "{\"vehicle_id\":\"EV\xff\xfe\",\"power_kw\":11,\"energy_kwh\":20}"),
      json("overlong-utf8", "{\"vehicle_id\":\"\xc0\xaf\",\"power_kw\":11,\"energy_kwh\":20}"),
      json("deep-nesting", std::string(5000, '[') + std::string(5000, ']')),
      json("deep-object", R"({"vehicle_id":"EV-1","power_kw":11,"energy_kwh":20,"x":)" + std::string(3000, '[') +
                              std::string(3000, ']') + "}"),
      json("not-object", R"(["EV-42",11,20])"),
      json("valid-smart", R"({"vehicle_id":"EV-42","power_kw":22,"energy_kwh":40,"min_power_kw":4.2,)"
                          R"("departs_in_s":7200,"priority":3})"),
      json("power-below-minimum", R"({"vehicle_id":"EV-42","power_kw":1e-20,"energy_kwh":1})"),
      json("min-above-max", R"({"vehicle_id":"EV-42","power_kw":7,"min_power_kw":7.5})"),
      json("departs-zero", R"({"vehicle_id":"EV-42","departs_in_s":0})"),
      json("priority-fraction", R"({"vehicle_id":"EV-42","priority":1.5})"),
      json("priority-ten", R"({"vehicle_id":"EV-42","priority":10})"),
      json("truncated", R"({"vehicle_id":"EV-42","power_k)"),
      json("trailing-garbage", R"({"vehicle_id":"EV-42","power_kw":11,"energy_kwh":20} x)"),
      json("empty", ""),
      json("null", "null"),
  };
}

bool write_all(const fs::path& dir, const std::vector<Seed>& seeds) {
  fs::create_directories(dir);
  for (const auto& seed : seeds) {
    std::ofstream out(dir / ("seed-" + seed.name), std::ios::binary | std::ios::trunc);
    out.write(seed.bytes.data(), static_cast<std::streamsize>(seed.bytes.size()));
    if (!out) {
      std::fprintf(stderr, "grid_fuzz_seeds: cannot write %s\n", (dir / seed.name).c_str());
      return false;
    }
  }
  std::printf("%zu seeds in %s\n", seeds.size(), dir.c_str());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: grid_fuzz_seeds DIR   (writes DIR/codec/ and DIR/charge_request/)\n");
    return 2;
  }
  const fs::path root = argv[1];
  const bool ok = write_all(root / "codec", codec_seeds()) && write_all(root / "charge_request", charge_request_seeds());
  return ok ? 0 : 1;
}
