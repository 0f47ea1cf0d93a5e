#include "balancer_list.h"

#include <set>

#include "grid/transport/sockets.h"

namespace grid::edge {

std::string balancer_endpoint_error(std::string_view endpoint) { return transport::endpoint_error(endpoint); }

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
