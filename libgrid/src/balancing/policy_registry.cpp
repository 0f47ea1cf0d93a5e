#include "grid/balancing/policy_registry.h"

#include "grid/balancing/least_load_policy.h"
#include "grid/balancing/least_utilization_policy.h"
#include "grid/balancing/p2c_policy.h"
#include "grid/balancing/random_policy.h"
#include "grid/balancing/round_robin_policy.h"
#include "grid/util/named_factories.h"

namespace grid::balancing {
namespace {

const NamedFactories<Policy>& registry() {
  static const auto policies = NamedFactories<Policy>("balancing policy")
                                   .add<LeastUtilizationPolicy>()
                                   .add<LeastLoadPolicy>()
                                   .add<RoundRobinPolicy>()
                                   .add<RandomPolicy>()
                                   .add<PowerOfTwoChoicesPolicy>();
  return policies;
}

}  // namespace

std::unique_ptr<Policy> make_policy(std::string_view name) { return registry().make(name); }

const std::vector<std::string>& policy_names() { return registry().names(); }

}  // namespace grid::balancing
