#include "charge_response.h"

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace grid::edge {
namespace {

// `text` as a JSON string, or false for a byte the encoder would have to judge (control or
// non-ASCII: never in ids the codec and the request parser have validated).
bool append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f) return false;
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return true;
}

// The charging answer, the one every admitted request gets, written directly: building a JSON
// object and dumping it cost the broker thread (which answers every request) about half of its
// instructions per request. Same bytes as the encoder's, keys in its (sorted) order.
// "charging" when power is allocated now, "paused" when admitted at 0 kW (others hold the limit
// for now): the words of GET /sessions/{id}.
std::string_view admitted_status(const proto::ChargeReply& reply) { return reply.power_kw > 0 ? "charging" : "paused"; }

std::optional<http::Response> charging_response(const proto::ChargeReply& reply, std::string_view vehicle_id) {
  std::string body;
  body.reserve(224);
  body += '{';
  if (reply.departs_in_s > 0) {
    body += R"("departs_in_s":)";
    body += nlohmann::json(reply.departs_in_s).dump();
    body += ',';
  }
  body += R"("min_power_kw":)";
  body += nlohmann::json(reply.min_power_kw).dump();
  body += R"(,"power_kw":)";
  body += nlohmann::json(reply.power_kw).dump();
  body += R"(,"session_id":)";
  if (!append_json_string(body, reply.session_id)) return std::nullopt;
  body += R"(,"status":")";
  body += admitted_status(reply);
  body += R"(","substation":)";
  if (!append_json_string(body, reply.substation_id)) return std::nullopt;
  body += R"(,"vehicle_id":)";
  if (!append_json_string(body, vehicle_id)) return std::nullopt;
  body += '}';
  return http::Response{200, "application/json", std::move(body), {}};
}

}  // namespace

http::Response json_response(int status, const nlohmann::json& body) {
  return http::Response{status, "application/json", body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                        {}};
}

http::Response unavailable_response(std::string_view message, int retry_after_s) {
  auto response = json_response(503, {{"error", message}});
  response.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return response;
}

http::Response rate_limited_response(int retry_after_s) {
  auto response = json_response(429, {{"error", "rate limited: too many charge requests from this address"}});
  response.headers.emplace_back("Retry-After", std::to_string(retry_after_s));
  return response;
}

http::Response failure_response(BrokerFailure failure) {
  switch (failure) {
    case BrokerFailure::timeout: return json_response(504, {{"error", "balancer timeout"}});
    case BrokerFailure::unreachable: return json_response(504, {{"error", "balancer unreachable"}});
    case BrokerFailure::shutting_down: break;
  }
  return unavailable_response("edge shutting down", retry_after_busy_s);
}

http::Response charge_response(const BrokerAnswer& answer, std::string_view vehicle_id) {
  if (const auto* failure = std::get_if<BrokerFailure>(&answer)) return failure_response(*failure);
  const auto* answered = std::get_if<proto::ChargeReply>(&answer);
  if (!answered) return json_response(502, {{"error", "unexpected answer from the balancer"}});
  const auto& reply = *answered;
  switch (reply.outcome) {
    case proto::Outcome::charging: {
      if (auto direct = charging_response(reply, vehicle_id)) return std::move(*direct);
      nlohmann::json body{{"status", admitted_status(reply)},
                          {"vehicle_id", vehicle_id},
                          {"session_id", reply.session_id},
                          {"substation", reply.substation_id},
                          {"power_kw", reply.power_kw},
                          {"min_power_kw", reply.min_power_kw}};
      if (reply.departs_in_s > 0) body["departs_in_s"] = reply.departs_in_s;
      return json_response(200, body);
    }
    case proto::Outcome::no_capacity: return unavailable_response("no capacity", retry_after_no_capacity_s);
    case proto::Outcome::busy: return unavailable_response("balancer busy", retry_after_busy_s);
    case proto::Outcome::invalid:
      // The edge checks more strictly than the balancer, so this means the two disagree; the
      // balancer's reason is the most useful thing to tell the client.
      return json_response(400, {{"error", reply.reason.empty() ? std::string("rejected by the balancer") : reply.reason}});
    case proto::Outcome::conflict:
      // The request id (the client's Idempotency-Key) already names a different request.
      return json_response(422, {{"error", reply.reason.empty() ? std::string("request id reused for a different request")
                                                                 : reply.reason}});
  }
  return json_response(502, {{"error", "unexpected answer from the balancer"}});
}

}  // namespace grid::edge
