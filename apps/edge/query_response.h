#pragma once
// What the client of the session, substation and limit endpoints hears for each answer of the
// balancer (docs/http-api.md): the JSON of a session's state, of a limit in force, of the
// substation list, and the statuses for the answers that say the request could not be served.
// Thread-safety: pure and reentrant.

#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "broker_client.h"
#include "grid/http/server.h"
#include "grid/proto/queries.h"

namespace grid::edge {

// "charging", "paused", "completed", "departed", "stopped" (shared with the load generator).
using proto::status_name;

// GET and DELETE /sessions/{id}: 200 with the state; 404 when the substation knows no such
// session (found, reason empty); 503 when it could not be asked (the reason says why).
http::Response session_response(const BrokerAnswer& answer);
// PUT and DELETE /substations/{id}/limit: 200 with the limit in force; 404 when there is no such
// substation (the reason starts "no substation"); 503 otherwise.
http::Response limit_response(const BrokerAnswer& answer);
// PUT and DELETE /feeders/{id}/limit: 200 with the limit scheduled; 404 when there is no such
// feeder (the reason starts "no feeder"); 503 otherwise.
http::Response feeder_limit_response(const BrokerAnswer& answer);
// GET /substations: 200 with a JSON array, one object per substation.
http::Response substations_response(const BrokerAnswer& answer);

nlohmann::json session_json(const proto::SessionState& state);

}  // namespace grid::edge
