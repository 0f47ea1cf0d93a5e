#include "query_response.h"

#include <nlohmann/json.hpp>

#include "charge_response.h"
#include "console_state.h"

namespace grid::edge {
namespace {

// A balancer that answered with the wrong kind disagrees with us about the protocol.
http::Response unexpected() { return json_response(502, {{"error", "unexpected answer from the balancer"}}); }

bool running(proto::SessionStatus status) {
  return status == proto::SessionStatus::charging || status == proto::SessionStatus::paused;
}

}  // namespace

nlohmann::json session_json(const proto::SessionState& state) {
  nlohmann::json body{{"session_id", state.session_id},
                      {"status", status_name(state.status)},
                      {"substation", state.substation_id},
                      {"power_kw", state.power_kw},
                      {"energy_kwh", state.energy_kwh},
                      {"energy_delivered_kwh", state.delivered_kwh},
                      {"min_power_kw", state.min_power_kw},
                      {"max_power_kw", state.max_power_kw}};
  // Times that only mean something while the car is plugged in; a finished session has none.
  if (running(state.status)) {
    if (state.departs_in_s > 0) body["departs_in_s"] = state.departs_in_s;
    // Paused: no completion can be promised at 0 kW.
    if (state.completes_in_s > 0) body["completes_in_s"] = state.completes_in_s;
  }
  return body;
}

http::Response session_response(const BrokerAnswer& answer) {
  if (const auto* failure = std::get_if<BrokerFailure>(&answer)) return failure_response(*failure);
  const auto* state = std::get_if<proto::SessionState>(&answer);
  if (!state) return unexpected();
  if (state->found) return json_response(200, session_json(*state));
  if (state->reason.empty()) return json_response(404, {{"error", "no such session"}});
  return unavailable_response(state->reason, retry_after_busy_s);
}

http::Response limit_response(const BrokerAnswer& answer) {
  if (const auto* failure = std::get_if<BrokerFailure>(&answer)) return failure_response(*failure);
  const auto* ack = std::get_if<proto::LimitAck>(&answer);
  if (!ack) return unexpected();
  if (!ack->applied) {
    if (ack->reason.starts_with("no substation")) return json_response(404, {{"error", ack->reason}});
    return unavailable_response(ack->reason.empty() ? std::string("limit not applied") : ack->reason,
                                retry_after_busy_s);
  }
  return json_response(200, {{"substation", ack->substation_id},
                             {"limit_kw", ack->limit_kw},
                             {"capacity_kw", ack->capacity_kw},
                             {"expires_in_s", ack->expires_in_s}});
}

http::Response feeder_limit_response(const BrokerAnswer& answer) {
  if (const auto* failure = std::get_if<BrokerFailure>(&answer)) return failure_response(*failure);
  const auto* ack = std::get_if<proto::FeederLimitAck>(&answer);
  if (!ack) return unexpected();
  if (!ack->applied) {
    if (ack->reason.starts_with("no feeder")) return json_response(404, {{"error", ack->reason}});
    return unavailable_response(ack->reason.empty() ? std::string("feeder limit not applied") : ack->reason,
                                retry_after_busy_s);
  }
  return json_response(200, {{"feeder", ack->feeder_id},
                             {"limit_kw", ack->limit_kw},
                             {"starts_in_s", ack->starts_in_s},
                             {"expires_in_s", ack->expires_in_s},
                             {"topology_kw", ack->topology_kw}});
}

http::Response substations_response(const BrokerAnswer& answer) {
  if (const auto* failure = std::get_if<BrokerFailure>(&answer)) return failure_response(*failure);
  const auto* list = std::get_if<SubstationList>(&answer);
  if (!list) return unexpected();
  auto body = nlohmann::json::array();
  for (const auto& info : *list) body.push_back(substation_json(info));
  return json_response(200, body);
}

}  // namespace grid::edge
