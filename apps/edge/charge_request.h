#pragma once
// The body of POST /charge, checked before anything reaches the grid: a pure function of the
// Content-Type and the body, so unit tests and the fuzz target call it without sockets or HTTP.
// Every rejection carries the HTTP status and a message that names the field at fault.
// Thread-safety: pure and reentrant.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "grid/http/server.h"

namespace grid::edge {

// The bounds of the public API, stricter than the wire codec's (limits.h): an EV charger
// above 350 kW or a battery above 200 kWh is a mistake in the request, not a big car.
inline constexpr double default_power_kw = 11;
inline constexpr double max_power_kw = 350;
inline constexpr double default_energy_kwh = 20;
inline constexpr double max_energy_kwh = 200;
// A departure further away than this (about 31 years) is a mistake, not a long stay.
inline constexpr double max_departs_in_s = 1e9;
inline constexpr std::uint32_t max_priority = 9;

struct ChargeInput {
  std::string vehicle_id;
  double power_kw = default_power_kw;
  double energy_kwh = default_energy_kwh;
  std::string request_id;  // from the Idempotency-Key header; empty: the broker makes one
  // Smart charging, optional (after request_id so that older aggregate initialisers still read).
  double min_power_kw = 0;     // 0: the substation's default minimum
  double departs_in_s = 0;     // 0: the car stays until full
  std::uint32_t priority = 0;  // 0-9, higher first
  bool operator==(const ChargeInput&) const = default;
};

struct ChargeRejection {
  int status = 400;     // 400 for the body, 415 for the content type
  std::string message;  // for {"error": message}
};

using ChargeParse = std::variant<ChargeInput, ChargeRejection>;

// Accepts `application/json` (any case, optional parameters; a charset other than UTF-8 is
// refused) with a body that is exactly one JSON object holding "vehicle_id" (required, 1-64
// printable ASCII), "power_kw" (number in [power::min_session_kw, 350], default 11),
// "energy_kwh" (number in (0, 200], default 20) and the optional "min_power_kw" (number in
// [power::min_session_kw, power_kw]), "departs_in_s" (number in (0, 1e9]) and "priority" (integer
// 0-9). Refused with 400: malformed JSON, invalid UTF-8, a top level that is not
// an object, a wrong type (a numeric string, a boolean, null), a number out of range or not
// finite, a duplicate key, and any unknown field (a typo such as "power_kW" must not silently
// become the default power). Nested values are refused where they start, so a deeply nested
// body costs no more than its first bytes.
ChargeParse parse_charge_request(std::string_view content_type, std::string_view body);

// The whole POST /charge: the headers it depends on (Content-Type and Idempotency-Key, each at
// most once; a key that is present must be valid even when empty), then the body as above. The
// request id of the result is the key's (request_id_for_key), or empty without a key.
ChargeParse parse_charge(const http::Request& request);

// The request id for a client's Idempotency-Key: "k-" + key, so it never collides with the ids the
// edge makes itself. Empty optional when the key is not 1-62 printable ASCII characters.
std::optional<std::string> request_id_for_key(std::string_view key);

// True for `application/json` with optional parameters, as above.
bool is_json_content_type(std::string_view content_type);

}  // namespace grid::edge
