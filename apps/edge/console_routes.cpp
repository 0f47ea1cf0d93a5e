// The operator console's routes on the edge: GET / (the page), its files under /console/, and
// GET /console/state, which the page polls once a second while it is visible.
#include "console_routes.h"

#include <nlohmann/json.hpp>

#include "charge_response.h"
#include "console_state.h"
#include "edge_node.h"
#include "query_response.h"

namespace grid::edge {

void add_console_headers(http::Response& response) {
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("Content-Security-Policy", std::string(console_security_policy));
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
}

http::Response console_file_response(const EmbeddedFile& file) {
  http::Response response{200, std::string(file.content_type), std::string(file.body), {}};
  add_console_headers(response);
  return response;
}

void EdgeNode::add_console_routes() {
  // One label for the whole console, so its polling stays out of the API's counts (console_state.h)
  // and adds one series to edge_http_requests_total, not one per file.
  for (const auto& file : console_files()) {
    router_.route("GET", file.path, "console",
                  [&file](const http::Request&, const http::Respond& respond) { respond(console_file_response(file)); });
  }
  router_.route("GET", "/console/state", "console",
                [this](const http::Request&, http::Respond respond) { console_state(std::move(respond)); });
}

void EdgeNode::console_state(http::Respond respond) {
  auto held = in_flight_.hold(respond);
  if (!held) return respond(unavailable_response("edge overloaded", retry_after_busy_s));
  broker_.ask(proto::SubstationsQuery{}, [this, respond = std::move(*held)](BrokerAnswer answer) {
    auto response = [&] {
      const auto* list = std::get_if<SubstationList>(&answer);
      // A failure or a wrong answer is told as GET /substations tells it.
      if (!list) return substations_response(answer);
      return json_response(200, console_state_json(console_counters_.snapshot(), *list, clock_.now() - started_,
                                                   config_.operators.enabled()));
    }();
    add_console_headers(response);
    respond(std::move(response));
  });
}

}  // namespace grid::edge
