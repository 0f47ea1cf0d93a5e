#include "grid/allocation/policy_registry.h"

#include "grid/allocation/edf_policy.h"
#include "grid/allocation/equal_share_policy.h"
#include "grid/allocation/fcfs_policy.h"
#include "grid/allocation/llf_policy.h"
#include "grid/util/named_factories.h"

namespace grid::allocation {
namespace {

const NamedFactories<AllocationPolicy>& registry() {
  static const auto policies = NamedFactories<AllocationPolicy>("allocation policy")
                                   .add<EqualSharePolicy>()
                                   .add<FirstComeFirstServedPolicy>()
                                   .add<EarliestDeadlineFirstPolicy>()
                                   .add<LeastLaxityFirstPolicy>();
  return policies;
}

}  // namespace

std::unique_ptr<AllocationPolicy> make_policy(std::string_view name) { return registry().make(name); }

const std::vector<std::string>& policy_names() { return registry().names(); }

}  // namespace grid::allocation
