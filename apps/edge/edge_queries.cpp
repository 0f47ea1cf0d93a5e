// The EdgeNode's routes beyond POST /charge: a session's state or stop, the substation list and,
// for operators, the limits. Each is checked here, asked through the broker thread and answered
// when the balancer does (query_response.h maps the answer to a status).
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "charge_response.h"
#include "edge_node.h"
#include "grid/proto/codec.h"
#include "grid/proto/session_id.h"
#include "limit_request.h"
#include "query_response.h"

namespace grid::edge {
namespace {

// A 401 names the scheme to use (RFC 6750) and nothing about the token presented.
http::Response unauthorized() {
  auto response = json_response(401, {{"error", "a valid operator token is required: Authorization: Bearer <token>"}});
  response.headers.emplace_back("WWW-Authenticate", R"(Bearer realm="grid-operator")");
  return response;
}

}  // namespace

void EdgeNode::add_query_routes() {
  router_
      .route("GET", "/sessions/{session_id}", "session",
             [this](const http::Request& request, http::Respond respond) { session(request, std::move(respond), false); })
      .route("DELETE", "/sessions/{session_id}", "session",
             [this](const http::Request& request, http::Respond respond) { session(request, std::move(respond), true); })
      .route("GET", "/substations", "substations",
             [this](const http::Request&, http::Respond respond) { substations(std::move(respond)); })
      .route("PUT", "/substations/{id}/limit", "limit",
             [this](const http::Request& request, http::Respond respond) { limit(request, std::move(respond), false); })
      .route("DELETE", "/substations/{id}/limit", "limit",
             [this](const http::Request& request, http::Respond respond) { limit(request, std::move(respond), true); })
      .route("PUT", "/feeders/{id}/limit", "feeder_limit",
             [this](const http::Request& request, http::Respond respond) { feeder_limit(request, std::move(respond), false); })
      .route("DELETE", "/feeders/{id}/limit", "feeder_limit",
             [this](const http::Request& request, http::Respond respond) { feeder_limit(request, std::move(respond), true); });
}

void EdgeNode::session(const http::Request& request, http::Respond respond, bool stop) {
  const auto id = request.param("session_id");
  // An id that no substation can have made is not sent on: it is unknown, whatever it is.
  if (!proto::valid_session_id(id) || !proto::valid_id(proto::substation_of(id))) {
    return respond(json_response(404, {{"error", "no such session"}}));
  }
  ask(proto::SessionQuery{"", std::string(id), stop}, std::move(respond), session_response);
}

void EdgeNode::substations(http::Respond respond) {
  ask(proto::SubstationsQuery{}, std::move(respond), substations_response);
}

bool EdgeNode::authorized(const http::Request& request, http::Respond& respond) const {
  const auto authorization =
      request.header_count("Authorization") == 1 ? request.header("Authorization") : std::nullopt;
  switch (config_.operators.check(authorization)) {
    case OperatorAuth::Verdict::allowed: return true;
    case OperatorAuth::Verdict::disabled:
      respond(json_response(403, {{"error", "operator endpoints are disabled on this edge (no --operator-token-file)"}}));
      return false;
    case OperatorAuth::Verdict::unauthorized: respond(unauthorized()); return false;
  }
  return false;
}

void EdgeNode::limit(const http::Request& request, http::Respond respond, bool clear) {
  // Who asks comes first: without the right token nothing else about the request is answered.
  if (!authorized(request, respond)) return;
  const auto id = request.param("id");
  if (!proto::valid_id(id)) return respond(json_response(404, {{"error", "no substation with that id"}}));
  proto::SetLimit set{"", std::string(id), 0, 0};
  if (!clear) {
    auto parsed = parse_limit_request(request.content_type, request.body);
    if (const auto* rejection = std::get_if<LimitRejection>(&parsed)) {
      return respond(json_response(rejection->status, {{"error", rejection->message}}));
    }
    const auto& input = std::get<LimitInput>(parsed);
    set.limit_kw = input.limit_kw;
    set.duration_s = input.duration_s;
  }
  // An operator's change of the grid is worth a line in the log (never the token).
  spdlog::info("edge: operator {} the limit of substation {}{}", clear ? "clears" : "sets", set.substation_id,
               clear ? std::string() : fmt::format(" to {} kW", set.limit_kw));
  ask(std::move(set), std::move(respond), limit_response);
}

void EdgeNode::feeder_limit(const http::Request& request, http::Respond respond, bool clear) {
  if (!authorized(request, respond)) return;
  const auto id = request.param("id");
  if (!proto::valid_id(id)) return respond(json_response(404, {{"error", "no feeder with that id"}}));
  proto::FeederLimit set{.feeder_id = std::string(id)};
  if (!clear) {
    auto parsed = parse_feeder_limit_request(request.content_type, request.body);
    if (const auto* rejection = std::get_if<LimitRejection>(&parsed)) {
      return respond(json_response(rejection->status, {{"error", rejection->message}}));
    }
    const auto& input = std::get<LimitInput>(parsed);
    set.limit_kw = input.limit_kw;
    set.starts_in_s = input.starts_in_s;
    set.duration_s = input.duration_s;
  }
  spdlog::info("edge: operator {} the limit of feeder {}{}", clear ? "clears" : "sets", set.feeder_id,
               clear ? std::string() : fmt::format(" to {} kW in {} s for {} s", set.limit_kw, set.starts_in_s, set.duration_s));
  ask(std::move(set), std::move(respond), feeder_limit_response);
}

void EdgeNode::ask(BrokerQuery query, http::Respond respond, http::Response (*to_response)(const BrokerAnswer&)) {
  auto held = in_flight_.hold(respond);
  if (!held) return respond(unavailable_response("edge overloaded", retry_after_busy_s));
  broker_.ask(std::move(query), [respond = std::move(*held), to_response](BrokerAnswer result) {
    respond(to_response(result));
  });
}

}  // namespace grid::edge
