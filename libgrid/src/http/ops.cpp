#include "grid/http/ops.h"

#include <memory>

#include "grid/metrics/exposition.h"

namespace grid::http {

Response metrics_response(const grid::metrics::Exposition& metrics) {
  return Response{200, std::string(grid::metrics::text_content_type), metrics.text(), {}};
}

void route_ops(Router& router, const grid::metrics::Exposition& registry, std::function<bool()> healthy) {
  router.route("GET", "/metrics", "metrics",
               [&registry](const Request&, const Respond& respond) { respond(metrics_response(registry)); });
  router.route("GET", "/healthz", "healthz", [healthy = std::move(healthy)](const Request&, const Respond& respond) {
    const bool ok = !healthy || healthy();
    respond(Response{ok ? 200 : 503, "application/json", ok ? R"({"status":"ok"})" : R"({"status":"unhealthy"})", {}});
  });
}

Handler ops_handler(const grid::metrics::Exposition& registry, std::function<bool()> healthy) {
  auto router = std::make_shared<Router>();
  route_ops(*router, registry, std::move(healthy));
  return [router](Request request, Respond respond) { router->handle(std::move(request), std::move(respond)); };
}

}  // namespace grid::http
