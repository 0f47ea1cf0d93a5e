#include "grid/metrics/family.h"

#include <stdexcept>

namespace grid::metrics {
namespace {

std::string describe(const std::vector<std::string>& names) {
  std::string out = "{";
  for (const auto& name : names) {
    out += (out.size() > 1 ? "," : "") + name;
  }
  return out + "}";
}

double value_of(const Counter& c) { return c.value(); }
double value_of(const Gauge& g) { return g.value(); }

}  // namespace

const char* to_string(MetricType type) noexcept {
  switch (type) {
    case MetricType::counter:
      return "counter";
    case MetricType::gauge:
      return "gauge";
    case MetricType::histogram:
      return "histogram";
  }
  return "untyped";
}

FamilyBase::FamilyBase(std::string name, std::string help, std::vector<std::string> label_names, MetricType type)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)), type_(type) {}

void FamilyBase::check_labels(const Labels& labels) const {
  bool same = labels.size() == label_names_.size();
  auto expected = label_names_.begin();
  for (auto it = labels.begin(); same && it != labels.end(); ++it, ++expected) {
    same = it->first == *expected;
  }
  if (!same) {
    std::vector<std::string> given;
    for (const auto& [key, value] : labels) {
      given.push_back(key);
    }
    throw std::invalid_argument("metric '" + name_ + "' has labels " + describe(label_names_) + ", got " +
                                describe(given));
  }
}

template <class Metric>
Family<Metric>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::vector<double> buckets)
    : FamilyBase(std::move(name), std::move(help), std::move(label_names),
                 std::is_same_v<Metric, Counter> ? MetricType::counter
                 : std::is_same_v<Metric, Gauge> ? MetricType::gauge
                                                 : MetricType::histogram),
      buckets_(std::move(buckets)) {
  if constexpr (std::is_same_v<Metric, Histogram>) {
    Histogram probe(buckets_);  // throws on bad buckets, before any series exists
  }
}

template <class Metric>
Metric& Family<Metric>::add(const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto it = series_.find(labels);
  if (it != series_.end()) {
    return *it->second;
  }
  check_labels(labels);
  std::unique_ptr<Metric> metric;
  if constexpr (std::is_same_v<Metric, Histogram>) {
    metric = std::make_unique<Histogram>(buckets_);
  } else {
    metric = std::make_unique<Metric>();
  }
  return *series_.emplace(labels, std::move(metric)).first->second;
}

template <class Metric>
void Family<Metric>::remove(const Labels& labels) {
  std::lock_guard lock(mutex_);
  series_.erase(labels);
}

template <class Metric>
bool Family<Metric>::has(const Labels& labels) const {
  std::lock_guard lock(mutex_);
  return series_.count(labels) != 0;
}

template <class Metric>
FamilySnapshot Family<Metric>::collect() const {
  FamilySnapshot out{name(), help(), type(), {}};
  std::lock_guard lock(mutex_);
  out.series.reserve(series_.size());
  for (const auto& [labels, metric] : series_) {
    SeriesSnapshot series{labels, 0.0, {}};
    if constexpr (std::is_same_v<Metric, Histogram>) {
      series.histogram = metric->snapshot();
    } else {
      series.value = value_of(*metric);
    }
    out.series.push_back(std::move(series));
  }
  return out;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

}  // namespace grid::metrics
