#pragma once
// What the client of POST /charge hears for each way a request can end: the balancer's reply or
// a failure of the broker link, mapped to an HTTP status and a JSON body (docs/http-api.md).
// Thread-safety: pure and reentrant.

#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "broker_client.h"
#include "grid/http/server.h"

namespace grid::edge {

// Seconds a client is asked to wait before retrying (the Retry-After header of a 503). A grid
// without capacity frees it only as sessions end, which takes far longer than an overload.
inline constexpr int retry_after_no_capacity_s = 10;
inline constexpr int retry_after_busy_s = 1;

http::Response charge_response(const BrokerAnswer& answer, std::string_view vehicle_id);

// What any request hears when the broker link failed: 504 for a timeout or an unreachable
// balancer, 503 while the edge shuts down.
http::Response failure_response(BrokerFailure failure);

// 503 {"error": message} with a Retry-After header.
http::Response unavailable_response(std::string_view message, int retry_after_s);

// 429 {"error": ...} with a Retry-After header: the client sent faster than --rate-limit.
http::Response rate_limited_response(int retry_after_s);

// `body` as the JSON answer. Text from a peer (a balancer's reason) may be invalid UTF-8: it is
// replaced rather than thrown on, so no answer is ever lost to the encoder.
http::Response json_response(int status, const nlohmann::json& body);

}  // namespace grid::edge
