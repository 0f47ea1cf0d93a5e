#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <string>

#include "grid/proto/codec.h"
#include "grid/proto/limits.h"
#include "grid/proto/session_id.h"
#include "proto_test_support.h"

using namespace grid::proto;
using grid::test::command_byte;
using grid::test::round_trip;

TEST_CASE("every message survives a round trip") {
  const Message messages[] = {
      Heartbeat{"north", 0xdeadbeefcafeULL, 42, 150.0, 33.5, 3},
      ChargeRequest{"req-1", "EV-42", 11.0, 20.0},
      ChargeReply{"req-1", Outcome::charging, "north-7", "north", 11.0, ""},
      ChargeReply{"req-2", Outcome::no_capacity, "", "", 0.0, "no capacity"},
      ChargeJob{7, "req-1", "EV-42", 22.0, 40.0},
      JobResult{7, "req-1", true, "north-7", "", 55.0, 5, 41, 99},
      JobResult{8, "req-3", false, "", "full", 150.0, 9, 41, 99},
      Ping{99},
      Pong{99, 3},
      CancelSession{"req-1", ""},
      CancelSession{"req-1", "north-7"},
      Heartbeat{"north", 1, 2, 150.0, 30.0, 4, 120.0, 5.6, 44.0, 80.5, 12.5, 1},
      ChargeRequest{"req-4", "EV-7", 11.0, 30.0, 1.4, 7200, 3},
      ChargeReply{"req-4", Outcome::charging, "north.0a0b0c0d-1", "north", 0.0, "", 1.4, 7200},
      ChargeJob{9, "req-4", "EV-7", 11.0, 30.0, 1.4, 7200, 3},
      JobResult{9, "req-4", true, "north.0a0b0c0d-1", "", 30.0, 4, 41, 99, 3.5, 1.4},
      SessionQuery{"q-1", "north.0a0b0c0d-1", true},
      SessionState{"q-1", true, "north.0a0b0c0d-1", SessionStatus::paused, 0.0, 30.0, 12.5, 1.4, 11.0, 3600, 0, "north", ""},
      SessionState{"q-2", false, "", SessionStatus::charging, 0, 0, 0, 0, 0, 0, 0, "", "substation north is not live"},
      SetLimit{"l-1", "north", 80.0, 3600},
      LimitAck{"l-1", "north", true, 80.0, 150.0, 3600, ""},
      SubstationsQuery{"s-1"},
      SubstationInfo{"s-1", 0, 2, "north", true, false, 150.0, 120.0, 30.0, 4, 1},
      SubstationInfo{"s-2", 0, 0, "", false, false, 0, 0, 0, 0, 0},
  };
  for (const auto& message : messages) {
    CAPTURE(message.index());
    const auto decoded = round_trip(message);
    REQUIRE(std::holds_alternative<Message>(decoded));
    CHECK(std::get<Message>(decoded) == message);
  }
}

TEST_CASE("a GRID1 peer's shorter bodies still decode: the fields appended since keep their defaults") {
  // A heartbeat as the first release sent it: six fields.
  // [ "north", 1, 2, 100.0 (float64), 0, 0 ]
  const std::string old_heartbeat(
      "\x96"
      "\xa5north"
      "\x01\x02"
      "\xcb\x40\x59\x00\x00\x00\x00\x00\x00"
      "\x00\x00",
      20);
  const auto decoded = decode(protocol_id, command_byte(Command::heartbeat), old_heartbeat);
  REQUIRE(std::holds_alternative<Message>(decoded));
  const auto& heartbeat = std::get<Heartbeat>(std::get<Message>(decoded));
  CHECK(heartbeat.capacity_kw == 100.0);
  CHECK(heartbeat.limit_kw == 0.0);
  CHECK(heartbeat.paused_sessions == 0);
}

TEST_CASE("smart-charging fields are range-checked") {
  CHECK(std::holds_alternative<DecodeError>(round_trip(ChargeRequest{"r", "EV", 11.0, 20.0, 12.0, 0, 0})));  // min > max
  CHECK(std::holds_alternative<DecodeError>(round_trip(ChargeRequest{"r", "EV", 11.0, 20.0, 1.4, -1, 0})));
  CHECK(std::holds_alternative<DecodeError>(round_trip(ChargeRequest{"r", "EV", 11.0, 20.0, 1.4, 0, 10})));
  CHECK(std::holds_alternative<DecodeError>(
      round_trip(Heartbeat{"n", 1, 1, 100, 10, 1, 100, 1, 11, 10, 1, /*paused > active*/ 2})));
  CHECK(std::holds_alternative<DecodeError>(round_trip(SetLimit{"l", "n", std::nan(""), 0})));
  CHECK(std::holds_alternative<DecodeError>(round_trip(SubstationInfo{"s", 2, 2, "n", true, false, 1, 1, 1, 1, 0})));
  CHECK(std::holds_alternative<DecodeError>(round_trip(SessionQuery{"q", std::string(97, 's'), false})));
  CHECK(std::holds_alternative<Message>(round_trip(SessionQuery{"q", std::string(96, 's'), false})));
}

TEST_CASE("a session id names its substation, even one with dots in its id") {
  CHECK(make_session_id("north", 0x1f3a9c2eULL, 17) == "north.1f3a9c2e-17");
  CHECK(substation_of("north.1f3a9c2e-17") == "north");
  CHECK(substation_of(make_session_id("site.a.b", 0xffffffff00000001ULL, 1)) == "site.a.b");
  for (const char* bad : {"", "north", ".1f3a9c2e-1", "north.1f3a9c2e-", "north.1f3a9c2e17", "north.1F3A9C2E-1",
                          "north.1f3a9c2e-x", "north.1f3a9c-1"}) {
    CAPTURE(bad);
    CHECK(substation_of(bad).empty());
  }
}

TEST_CASE("the command frame names the message type") {
  CHECK(encode(Heartbeat{}).command == Command::heartbeat);
  CHECK(encode(Pong{}).command == Command::pong);
  CHECK(command_of(JobResult{}) == Command::job_result);
}

TEST_CASE("frames are checked before the body") {
  const auto body = encode(Ping{1}).body;
  const auto cmd = command_byte(Command::ping);
  CHECK(std::get<DecodeError>(decode("GRID0", cmd, body)) == DecodeError::bad_protocol);
  CHECK(std::get<DecodeError>(decode(protocol_id, "", body)) == DecodeError::unknown_command);
  CHECK(std::get<DecodeError>(decode(protocol_id, "\x06\x06", body)) == DecodeError::unknown_command);
  CHECK(std::get<DecodeError>(decode(protocol_id, command_byte(static_cast<Command>(200)), body)) ==
        DecodeError::unknown_command);
  const std::string_view two[] = {protocol_id, cmd};
  CHECK(std::get<DecodeError>(decode(std::span<const std::string_view>(two))) == DecodeError::wrong_frame_count);
  const std::string huge(limits::max_body_bytes + 1, '\x90');
  CHECK(std::get<DecodeError>(decode(protocol_id, cmd, huge)) == DecodeError::oversized);
}

TEST_CASE("truncated bodies are malformed, at every cut") {
  const auto full = encode(JobResult{7, "req-1", true, "north-7", "", 55.0, 5, 41, 99}).body;
  for (std::size_t cut = 0; cut < full.size(); ++cut) {
    CAPTURE(cut);
    const auto decoded = decode(protocol_id, command_byte(Command::job_result), full.substr(0, cut));
    REQUIRE(std::holds_alternative<DecodeError>(decoded));
    CHECK(std::get<DecodeError>(decoded) == DecodeError::malformed);
  }
}

TEST_CASE("trailing bytes after the array are refused") {
  auto body = encode(Ping{1}).body;
  body.push_back('\xc0');
  CHECK(std::get<DecodeError>(decode(protocol_id, command_byte(Command::ping), body)) == DecodeError::trailing_bytes);
}

TEST_CASE("a body of the wrong shape is refused") {
  const auto ping = encode(Ping{1}).body;
  // A ping body under the heartbeat command: right msgpack, wrong field count.
  CHECK(std::get<DecodeError>(decode(protocol_id, command_byte(Command::heartbeat), ping)) == DecodeError::wrong_shape);
  // [ "x" ] where a ping wants [ uint ].
  CHECK(std::get<DecodeError>(decode(protocol_id, command_byte(Command::ping), std::string("\x91\xa1x", 3))) ==
        DecodeError::wrong_shape);
  // A bare integer instead of an array.
  CHECK(std::get<DecodeError>(decode(protocol_id, command_byte(Command::ping), std::string("\x05", 1))) ==
        DecodeError::wrong_shape);
  // A negative nonce.
  CHECK(std::get<DecodeError>(decode(protocol_id, command_byte(Command::ping), std::string("\x91\xff", 2))) ==
        DecodeError::wrong_shape);
  // A nested map where a field should be, over the unpack limits.
  CHECK(std::get<DecodeError>(decode(protocol_id, command_byte(Command::ping), std::string("\x91\x81\x01\x02", 4))) ==
        DecodeError::malformed);
}

TEST_CASE("absurd values are refused even when well-formed") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const Message absurd[] = {
      Heartbeat{"north", 1, 1, -5.0, 0.0, 0},
      Heartbeat{"north", 1, 1, nan, 0.0, 0},
      Heartbeat{"north", 1, 1, inf, 0.0, 0},
      Heartbeat{"north", 1, 1, 1e12, 0.0, 0},
      Heartbeat{"north", 1, 1, 100.0, -1.0, 0},
      Heartbeat{std::string(limits::max_id_bytes + 1, 'x'), 1, 1, 100.0, 0.0, 0},
      Heartbeat{"", 1, 1, 100.0, 0.0, 0},
      Heartbeat{"bad\nid", 1, 1, 100.0, 0.0, 0},
      ChargeRequest{"r", "EV-1", 0.0, 20.0},
      ChargeRequest{"r", "EV-1", 11.0, nan},
      ChargeRequest{"r", "", 11.0, 20.0},
      ChargeJob{1, "r", "EV-1", -11.0, 20.0},
      JobResult{1, "r", true, "", "", 10.0, 1, 1},
      JobResult{1, "r", false, "", "", nan, 1, 1},
  };
  for (const auto& message : absurd) {
    CAPTURE(message.index());
    const auto decoded = round_trip(message);
    REQUIRE(std::holds_alternative<DecodeError>(decoded));
    CHECK(std::get<DecodeError>(decoded) == DecodeError::invalid_value);
  }
}

TEST_CASE("every decode error has a metric-friendly reason label") {
  for (int e = 0; e <= static_cast<int>(DecodeError::invalid_value); ++e) {
    const auto label = reason_label(static_cast<DecodeError>(e));
    CHECK(!label.empty());
    CHECK(label.find_first_not_of("abcdefghijklmnopqrstuvwxyz_") == std::string_view::npos);
  }
}

TEST_CASE("issue 10.8: a body with fields appended by a newer peer decodes, the extra fields are skipped") {
  // A ping from a newer peer: [nonce, "some new field", 3.5, true].
  const std::string newer(
      "\x94"
      "\x07"
      "\xa3new"
      "\xcb\x40\x0c\x00\x00\x00\x00\x00\x00"
      "\xc3",
      16);
  const auto decoded = decode(protocol_id, command_byte(Command::ping), newer);
  REQUIRE(std::holds_alternative<Message>(decoded));
  CHECK(std::get<Ping>(std::get<Message>(decoded)) == Ping{7});
  // Fewer than the required fields is still the wrong shape: a heartbeat of five fields.
  const std::string cut(
      "\x95"
      "\xa5north"
      "\x01\x02"
      "\xcb\x40\x59\x00\x00\x00\x00\x00\x00"
      "\x0a",
      19);
  CHECK(std::get<DecodeError>(decode(protocol_id, command_byte(Command::heartbeat), cut)) == DecodeError::wrong_shape);
  // More fields than the wire limit allows at all is refused before anything is allocated.
  std::string huge("\xdc\x00\x19", 3);  // 25 fields: the limit is 24
  huge.append(25, '\x01');
  CHECK(std::get<DecodeError>(decode(protocol_id, command_byte(Command::ping), huge)) == DecodeError::malformed);
}

TEST_CASE("a not-found SessionState or an empty SubstationInfo still has bounded numbers (found by fuzzing)") {
  const double nan = std::nan("");
  CHECK(std::holds_alternative<DecodeError>(
      round_trip(SessionState{"q", false, "", SessionStatus::charging, nan, 0, 0, 0, 0, 0, 0, "", ""})));
  CHECK(std::holds_alternative<DecodeError>(round_trip(SessionState{"q", false, "", SessionStatus::charging, 0, 0, 0,
                                                                    0, 0, -1, 0, "", ""})));
  CHECK(std::holds_alternative<DecodeError>(round_trip(SubstationInfo{"s", 0, 0, "", false, false, nan, 0, 0, 0, 0})));
  CHECK(std::holds_alternative<Message>(round_trip(SubstationInfo{"s", 0, 0, "", false, false, 0, 0, 0, 0, 0})));
}

TEST_CASE("feeder messages round-trip, and a grant without a feeder, power or lease is refused") {
  const FeederGrant grant{"north", "feeder-a", 7, 42, 55.5, 0.75, 30};
  CHECK(std::get<FeederGrant>(std::get<Message>(round_trip(grant))) == grant);
  const FeederLimit limit{"r1", "feeder-a", 400, 3600, 7200};
  CHECK(std::get<FeederLimit>(std::get<Message>(round_trip(limit))) == limit);
  const FeederLimitAck ack{"r1", "feeder-a", true, 400, 3600, 10800, 500, ""};
  CHECK(std::get<FeederLimitAck>(std::get<Message>(round_trip(ack))) == ack);
  CHECK(std::holds_alternative<DecodeError>(round_trip(FeederGrant{"north", "", 7, 42, 55.5, 0.75, 30})));
  CHECK(std::holds_alternative<DecodeError>(round_trip(FeederGrant{"north", "f", 7, 42, 0, 0.75, 30})));
  CHECK(std::holds_alternative<DecodeError>(round_trip(FeederGrant{"north", "f", 7, 42, 10, 0, 30})));
  CHECK(std::holds_alternative<DecodeError>(round_trip(FeederGrant{"north", "f", 7, 42, 10, 1, std::nan("")})));
  CHECK(std::holds_alternative<DecodeError>(round_trip(FeederLimit{"r", "f", -1, 0, 0})));
  Heartbeat heartbeat{"north", 1, 2, 100, 50, 3};
  heartbeat.feeder_id = "feeder-a";
  heartbeat.granted_kw = 60;
  heartbeat.grant_seq = 9;
  heartbeat.in_fallback = true;
  CHECK(std::get<Heartbeat>(std::get<Message>(round_trip(heartbeat))) == heartbeat);
  heartbeat.grant_boot = 0xfeedfacecafeULL;  // several balancers: whose grant it holds
  CHECK(std::get<Heartbeat>(std::get<Message>(round_trip(heartbeat))) == heartbeat);
}

TEST_CASE("an admission announcement round-trips, and one without a session is refused") {
  const Admitted announced{.substation_id = "s-1", .request_id = "r-1", .session_id = "s-1:ab:7", .placed_by = 42};
  CHECK(std::get<Admitted>(std::get<Message>(round_trip(announced))) == announced);
  auto unnamed = announced;
  unnamed.session_id.clear();
  CHECK(std::holds_alternative<DecodeError>(round_trip(unnamed)));
  ChargeJob job{.job_id = 9, .request_id = "r-1", .vehicle_id = "v", .power_kw = 11, .energy_kwh = 20};
  job.placed_by = 0xabcdefULL;
  CHECK(std::get<ChargeJob>(std::get<Message>(round_trip(job))) == job);
  const CancelSession cancel{.request_id = "r-1", .session_id = "", .placed_by = 0xb2ULL};
  CHECK(std::get<CancelSession>(std::get<Message>(round_trip(cancel))) == cancel);
}

TEST_CASE("an admission index page round-trips, and a page that does not add up is refused") {
  const IndexQuery query{0xfeedULL, 3};
  CHECK(std::get<IndexQuery>(std::get<Message>(round_trip(query))) == query);
  AdmissionIndex page{.token = 0xfeedULL, .page = 3, .pages = 5};
  for (std::size_t i = 0; i < AdmissionIndex::max_entries; ++i) {
    // The longest ids there are: a full page must still fit under the body limit.
    page.request_ids.push_back(std::string(limits::max_id_bytes - 3, 'r') + std::to_string(100 + i));
    page.session_ids.push_back(std::string(limits::max_session_id_bytes - 3, 's') + std::to_string(100 + i));
  }
  CHECK(encode(page).body.size() <= limits::max_body_bytes);
  CHECK(std::get<AdmissionIndex>(std::get<Message>(round_trip(page))) == page);
  const AdmissionIndex gone{.token = 1, .page = 2, .pages = 0};
  CHECK(std::get<AdmissionIndex>(std::get<Message>(round_trip(gone))) == gone);

  auto uneven = page;
  uneven.session_ids.pop_back();
  CHECK(std::holds_alternative<DecodeError>(round_trip(uneven)));
  auto too_many = page;
  too_many.request_ids.push_back("r");
  too_many.session_ids.push_back("north.1-1");
  CHECK(std::holds_alternative<DecodeError>(round_trip(too_many)));
  auto past_end = page;
  past_end.page = 5;
  CHECK(std::holds_alternative<DecodeError>(round_trip(past_end)));
  auto entries_without_snapshot = page;
  entries_without_snapshot.pages = 0;
  CHECK(std::holds_alternative<DecodeError>(round_trip(entries_without_snapshot)));
  auto bad_id = page;
  bad_id.request_ids[0] = std::string("a\nb");
  CHECK(std::holds_alternative<DecodeError>(round_trip(bad_id)));
}
