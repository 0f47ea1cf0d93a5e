#pragma once
// Allocation policies by name: the substation's --allocation flag and every test that covers "all
// policies" go through here, so a new policy is one file pair plus one line in the registry.
// Thread-safety: safe from any thread (immutable after first use).

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "grid/allocation/policy.h"

namespace grid::allocation {

// Least laxity first delivers the most of the energy the cars asked for on constrained workplace
// days (docs/performance.md, "Allocation policies"); cars that give no departure share equally.
inline constexpr std::string_view default_policy = "llf";

// Throws std::invalid_argument naming the known policies when `name` is not one of them.
std::unique_ptr<AllocationPolicy> make_policy(std::string_view name);

// The registered names, sorted.
const std::vector<std::string>& policy_names();

}  // namespace grid::allocation
