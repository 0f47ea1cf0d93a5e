#include "balancer_list.h"

#include <set>

namespace grid::edge {

std::string balancer_endpoint_error(std::string_view endpoint) {
  for (const std::string_view scheme : {"tcp://", "ipc://", "inproc://"}) {
    if (endpoint.substr(0, scheme.size()) == scheme && endpoint.size() > scheme.size()) return "";
  }
  return "expected a ZeroMQ endpoint such as tcp://127.0.0.1:5555, got '" + std::string(endpoint) + "'";
}

std::string balancer_list_error(const std::vector<std::string>& endpoints) {
  if (endpoints.empty()) return "at least one balancer is needed";
  std::set<std::string_view> seen;
  for (const auto& endpoint : endpoints) {
    if (auto error = balancer_endpoint_error(endpoint); !error.empty()) return error;
    if (!seen.insert(endpoint).second) return "balancer " + endpoint + " is listed twice";
  }
  return "";
}

}  // namespace grid::edge
