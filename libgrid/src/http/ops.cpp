#include "grid/http/ops.h"

#include "grid/metrics/exposition.h"

namespace grid::http {
namespace {

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

}  // namespace

Response metrics_response(const grid::metrics::Exposition& metrics) {
  return Response{200, std::string(grid::metrics::text_content_type), metrics.text(), {}};
}

Handler ops_handler(const grid::metrics::Exposition& registry, std::function<bool()> healthy) {
  return [&registry, healthy = std::move(healthy)](Request request, Respond respond) {
    const auto path = path_of(request.target);
    if (path != "/metrics" && path != "/healthz") {
      respond(json_error(404, "not found"));
      return;
    }
    if (request.method != "GET") {
      auto response = json_error(405, "method not allowed");
      response.headers.emplace_back("Allow", "GET");
      respond(std::move(response));
      return;
    }
    if (path == "/metrics") {
      respond(metrics_response(registry));
      return;
    }
    const bool ok = !healthy || healthy();
    respond(Response{ok ? 200 : 503, "application/json", ok ? R"({"status":"ok"})" : R"({"status":"unhealthy"})", {}});
  };
}

}  // namespace grid::http
