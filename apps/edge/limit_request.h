#pragma once
// The bodies of PUT /substations/{id}/limit and PUT /feeders/{id}/limit, checked as strictly as
// POST /charge's: pure functions of the Content-Type and the body, so they are tested without sockets.
// Thread-safety: pure and reentrant.

#include <string>
#include <string_view>
#include <variant>

namespace grid::edge {

struct LimitInput {
  double limit_kw = 0;
  double duration_s = 0;  // 0: until changed
  double starts_in_s = 0;  // feeders only: grid seconds until it applies; 0: at once
  bool operator==(const LimitInput&) const = default;
};

struct LimitRejection {
  int status = 400;  // 400 for the body, 415 for the content type
  std::string message;
};

using LimitParse = std::variant<LimitInput, LimitRejection>;

// Accepts `application/json` with exactly one JSON object holding "limit_kw" (required, a number
// greater than 0 and at most proto::limits::max_capacity_kw) and optionally "duration_s" (a number
// greater than 0 and at most proto::limits::max_seconds; absent: until changed). Refused with 400,
// naming the field: malformed JSON, another top level, a wrong type, a value out of range or not
// finite (1e309), a duplicate or unknown field, a nested value.
LimitParse parse_limit_request(std::string_view content_type, std::string_view body);

// The same for a feeder, which also takes "starts_in_s" (a number from 0, at once, to
// proto::limits::max_seconds): a demand-response limit can be scheduled ahead.
LimitParse parse_feeder_limit_request(std::string_view content_type, std::string_view body);

}  // namespace grid::edge
