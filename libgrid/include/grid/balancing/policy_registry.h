#pragma once
// Policies by name: the balancer's --policy flag and every test that covers "all policies" go
// through here, so a new policy is one file pair plus one line in the registry.
//
// Thread-safety: make_policy and policy_names are safe from any thread (the registry is immutable
// after its first use); the policies they make are not (see policy.h).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "grid/balancing/policy.h"

namespace grid::balancing {

inline constexpr std::string_view default_policy = "least-utilization";

// Throws std::invalid_argument naming the known policies when `name` is not one of them.
std::unique_ptr<Policy> make_policy(std::string_view name);

// The registered names, sorted (for --help and CLI11's IsMember check).
const std::vector<std::string>& policy_names();

}  // namespace grid::balancing
