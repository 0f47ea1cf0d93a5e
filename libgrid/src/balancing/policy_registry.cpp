#include "grid/balancing/policy_registry.h"

#include <functional>
#include <map>
#include <stdexcept>

#include "grid/balancing/least_load_policy.h"
#include "grid/balancing/least_utilization_policy.h"
#include "grid/balancing/p2c_policy.h"
#include "grid/balancing/random_policy.h"
#include "grid/balancing/round_robin_policy.h"

namespace grid::balancing {
namespace {

using Factory = std::function<std::unique_ptr<Policy>()>;
using Registry = std::map<std::string, Factory, std::less<>>;

template <class P>
void add(Registry& registry) {
  registry.emplace(std::string(P::policy_name), [] { return std::make_unique<P>(); });
}

const Registry& registry() {
  static const Registry policies = [] {
    Registry r;
    add<LeastUtilizationPolicy>(r);
    add<LeastLoadPolicy>(r);
    add<RoundRobinPolicy>(r);
    add<RandomPolicy>(r);
    add<PowerOfTwoChoicesPolicy>(r);
    return r;
  }();
  return policies;
}

}  // namespace

std::unique_ptr<Policy> make_policy(std::string_view name) {
  const auto found = registry().find(name);
  if (found != registry().end()) return found->second();
  std::string known;
  for (const auto& policy : policy_names()) known += (known.empty() ? "" : ", ") + policy;
  throw std::invalid_argument("unknown balancing policy '" + std::string(name) +
                              "' (known: " + known + ")");
}

const std::vector<std::string>& policy_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> sorted;
    for (const auto& entry : registry()) sorted.push_back(entry.first);
    return sorted;  // std::map iterates in order
  }();
  return names;
}

}  // namespace grid::balancing
