#include "grid/allocation/policy_registry.h"

#include <functional>
#include <map>
#include <stdexcept>

#include "grid/allocation/edf_policy.h"
#include "grid/allocation/equal_share_policy.h"
#include "grid/allocation/fcfs_policy.h"
#include "grid/allocation/llf_policy.h"

namespace grid::allocation {
namespace {

using Factory = std::function<std::unique_ptr<AllocationPolicy>()>;
using Registry = std::map<std::string, Factory, std::less<>>;

template <class P>
void add(Registry& registry) {
  registry.emplace(std::string(P::policy_name), [] { return std::make_unique<P>(); });
}

const Registry& registry() {
  static const Registry policies = [] {
    Registry r;
    add<EqualSharePolicy>(r);
    add<FirstComeFirstServedPolicy>(r);
    add<EarliestDeadlineFirstPolicy>(r);
    add<LeastLaxityFirstPolicy>(r);
    return r;
  }();
  return policies;
}

}  // namespace

std::unique_ptr<AllocationPolicy> make_policy(std::string_view name) {
  const auto found = registry().find(name);
  if (found == registry().end()) {
    std::string known;
    for (const auto& entry : registry()) known += (known.empty() ? "" : ", ") + entry.first;
    throw std::invalid_argument("unknown allocation policy '" + std::string(name) + "' (known: " + known + ")");
  }
  return found->second();
}

const std::vector<std::string>& policy_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all;
    for (const auto& entry : registry()) all.push_back(entry.first);
    return all;
  }();
  return names;
}

}  // namespace grid::allocation
