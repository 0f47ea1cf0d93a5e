#pragma once
// Things made by name: the balancing policies and the allocation policies are each one registry
// of these, so a new policy is one file pair plus one `add` line, and --help, the CLI's check and
// "every registered policy" tests all read the same list.
// Thread-safety: fill it once (in a function-local static), then every member is safe from any thread.

#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace grid {

template <class Base>
class NamedFactories {
public:
  // `what` names the kind in errors: "balancing policy", "allocation policy".
  explicit NamedFactories(std::string what) : what_(std::move(what)) {}

  // P has a static `policy_name` and a default constructor.
  template <class P>
  NamedFactories& add() {
    factories_.emplace(std::string(P::policy_name), [] { return std::make_unique<P>(); });
    names_.clear();
    for (const auto& entry : factories_) names_.push_back(entry.first);  // std::map iterates sorted
    return *this;
  }

  // Throws std::invalid_argument naming the known names when `name` is not one of them.
  std::unique_ptr<Base> make(std::string_view name) const {
    if (const auto found = factories_.find(name); found != factories_.end()) return found->second();
    std::string known;
    for (const auto& each : names_) known += (known.empty() ? "" : ", ") + each;
    throw std::invalid_argument("unknown " + what_ + " '" + std::string(name) + "' (known: " + known + ")");
  }

  // The registered names, sorted.
  const std::vector<std::string>& names() const { return names_; }

private:
  std::string what_;
  std::map<std::string, std::function<std::unique_ptr<Base>()>, std::less<>> factories_;
  std::vector<std::string> names_;
};

}  // namespace grid
