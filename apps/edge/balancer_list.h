#pragma once
// The checks of the edge's balancer list (--balancer, repeatable and comma-separated): one home
// for them, used by the flag parser and by BrokerClient's constructor.
// Thread-safety: pure functions.

#include <string>
#include <string_view>
#include <vector>

namespace grid::edge {

// Empty when `endpoint` is a ZeroMQ endpoint the edge can connect to (tcp://, ipc:// or
// inproc:// with something after it), else why not.
std::string balancer_endpoint_error(std::string_view endpoint);

// Empty when `endpoints` is a usable list: at least one, each an endpoint, none twice (a
// balancer listed twice would get two DEALERs and twice its share of the requests).
std::string balancer_list_error(const std::vector<std::string>& endpoints);

}  // namespace grid::edge
