#include "grid/metrics/registry.h"

#include <stdexcept>

#include <spdlog/spdlog.h>

#include "names.h"

namespace grid::metrics {

Registry::Registry() = default;
Registry::~Registry() = default;

template <class Metric>
Family<Metric>& Registry::find_or_add(const std::string& name, const std::string& help,
                                      std::vector<std::string> label_names, std::vector<double> buckets) {
  auto sorted = detail::checked_names(name, std::move(label_names), std::is_same_v<Metric, Histogram>);
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    auto family = std::make_unique<Family<Metric>>(name, help, std::move(sorted), std::move(buckets));
    auto& ref = *family;
    families_.emplace(name, std::move(family));
    return ref;
  }
  auto* existing = dynamic_cast<Family<Metric>*>(it->second.get());
  if (existing == nullptr) {
    throw std::invalid_argument("metric '" + name + "' is already registered as a " + to_string(it->second->type()));
  }
  if (existing->label_names() != sorted) {
    throw std::invalid_argument("metric '" + name + "' is already registered with other label names");
  }
  if (existing->buckets() != buckets) {
    throw std::invalid_argument("histogram '" + name + "' is already registered with other buckets");
  }
  return *existing;
}

Family<Counter>& Registry::counter(const std::string& name, const std::string& help,
                                   std::vector<std::string> label_names) {
  return find_or_add<Counter>(name, help, std::move(label_names), {});
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help, std::vector<std::string> label_names) {
  return find_or_add<Gauge>(name, help, std::move(label_names), {});
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help, std::vector<double> buckets,
                                       std::vector<std::string> label_names) {
  return find_or_add<Histogram>(name, help, std::move(label_names), std::move(buckets));
}

void Registry::on_collect(std::function<void()> hook) {
  auto shared = std::make_shared<const std::function<void()>>(std::move(hook));
  std::lock_guard lock(mutex_);
  hooks_.push_back(std::move(shared));
}

std::vector<FamilySnapshot> Registry::collect() const {
  std::vector<std::shared_ptr<const std::function<void()>>> hooks;
  {
    std::lock_guard lock(mutex_);
    hooks = hooks_;
  }
  for (const auto& hook : hooks) {
    try {
      (*hook)();
    } catch (const std::exception& e) {
      spdlog::warn("metrics collect hook failed: {}", e.what());
    }
  }
  std::vector<FamilySnapshot> out;
  std::lock_guard lock(mutex_);
  out.reserve(families_.size());
  for (const auto& [name, family] : families_) {
    out.push_back(family->collect());
  }
  return out;
}

}  // namespace grid::metrics
