#pragma once
// The operations endpoints every node serves: GET /metrics and GET /healthz.
// Thread-safety: the returned handler may run on several server threads at once; it only reads
// the exposition (whose text() is thread-safe) and calls `healthy`, which must be thread-safe too.

#include <functional>

#include "grid/http/router.h"
#include "grid/http/server.h"

namespace grid::metrics {
class Exposition;
}

namespace grid::http {

// 200 with the node's metrics in the text format and its content type.
Response metrics_response(const grid::metrics::Exposition& metrics);

// Adds GET /metrics (label "metrics") and GET /healthz (label "healthz") to `router`, answered as
// ops_handler describes. The registry must outlive the router.
void route_ops(Router& router, const grid::metrics::Exposition& registry, std::function<bool()> healthy);

// GET /metrics; GET /healthz answers 200 {"status":"ok"} or 503 {"status":"unhealthy"} as
// `healthy` says (an empty function counts as healthy); other methods there get 405 with Allow;
// anything else 404. The registry must outlive the handler.
Handler ops_handler(const grid::metrics::Exposition& registry, std::function<bool()> healthy);

}  // namespace grid::http
