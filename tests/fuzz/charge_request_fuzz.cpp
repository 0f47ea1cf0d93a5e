// Fuzz target for the edge's POST /charge parser (apps/edge/charge_request.h): whatever a client
// sends must never crash it; what it accepts must be inside the public API's bounds and must have
// been a well-formed JSON body under a JSON Content-Type; what it refuses must carry a 4xx status
// and a message for the client.
//
// Input layout (tests/fuzz/corpus/charge_request/ has examples): the Content-Type, a newline, then
// the body. Without a newline the whole input is the body, under "application/json".
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "charge_request.h"
#include "grid/power/admission.h"
#include "grid/proto/codec.h"

namespace {

using grid::edge::ChargeInput;
using grid::edge::ChargeParse;
using grid::edge::ChargeRejection;

[[noreturn]] void violated(const char* property) {
  std::fprintf(stderr, "charge_request_fuzz: property violated: %s\n", property);
  std::abort();
}

bool in_range(double value, double max) { return std::isfinite(value) && value > 0 && value <= max; }

void check_accepted(const ChargeInput& input, std::string_view content_type, std::string_view body) {
  if (!grid::proto::valid_id(input.vehicle_id)) violated("accepted an invalid vehicle_id");
  if (!in_range(input.power_kw, grid::edge::max_power_kw) || input.power_kw < grid::power::min_session_kw) {
    violated("accepted power_kw out of [0.1, 350]");
  }
  // The smart-charging fields: absent (0) or in range, and a minimum never above the maximum.
  if (input.min_power_kw != 0 && (input.min_power_kw < grid::power::min_session_kw || input.min_power_kw > input.power_kw)) {
    violated("accepted min_power_kw out of [0.1, power_kw]");
  }
  if (input.departs_in_s != 0 && !in_range(input.departs_in_s, grid::edge::max_departs_in_s)) {
    violated("accepted departs_in_s out of (0, 1e9]");
  }
  if (input.priority > grid::edge::max_priority) violated("accepted priority above 9");
  if (!in_range(input.energy_kwh, grid::edge::max_energy_kwh)) violated("accepted energy_kwh out of (0, 200]");
  if (!grid::edge::is_json_content_type(content_type)) violated("accepted a non-JSON Content-Type");
  // The SAX walk must not be more lenient than the full parser on the same text.
  if (!nlohmann::json::accept(body.begin(), body.end())) violated("accepted a body that is not JSON");
  // The request, written back as JSON the way a client would, reads back the same.
  nlohmann::json again = {
      {"vehicle_id", input.vehicle_id}, {"power_kw", input.power_kw}, {"energy_kwh", input.energy_kwh}};
  if (input.min_power_kw != 0) again["min_power_kw"] = input.min_power_kw;
  if (input.departs_in_s != 0) again["departs_in_s"] = input.departs_in_s;
  if (input.priority != 0) again["priority"] = input.priority;
  const ChargeParse reparsed = grid::edge::parse_charge_request("application/json", again.dump());
  const auto* same = std::get_if<ChargeInput>(&reparsed);
  if (same == nullptr || *same != input) violated("accepted request does not survive a JSON round trip");
}

void check_rejected(const ChargeRejection& rejection) {
  if (rejection.status < 400 || rejection.status > 499) violated("rejection status is not 4xx");
  if (rejection.message.empty()) violated("rejection without a message");
  // The message goes back inside a JSON string: it must be valid UTF-8, or the error body breaks.
  try {
    (void)nlohmann::json(rejection.message).dump();
  } catch (const nlohmann::json::exception&) {
    violated("rejection message is not valid UTF-8");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view content_type = "application/json";
  std::string_view body = input;
  if (const auto newline = input.find('\n'); newline != std::string_view::npos) {
    content_type = input.substr(0, newline);
    body = input.substr(newline + 1);
  }
  const ChargeParse parsed = grid::edge::parse_charge_request(content_type, body);
  if (const auto* input_ok = std::get_if<ChargeInput>(&parsed)) {
    check_accepted(*input_ok, content_type, body);
  } else {
    check_rejected(std::get<ChargeRejection>(parsed));
  }
  return 0;
}
