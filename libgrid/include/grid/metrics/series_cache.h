#pragma once
// The series of one family that differ in one label (an outcome, a reason), found by that label's
// value without building a Labels map per event: prometheus-cpp's Family::Add copies the labels,
// allocates a new metric and hashes the map on every call, even for a series it already has.
// The values are a handful of fixed words, so a short vector searched in order is the fastest map.
// Thread-safety: none; one cache belongs to the thread that counts. The series it returns are
// prometheus-cpp's, safe from any thread, and live as long as their family.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <prometheus/family.h>
#include <prometheus/labels.h>

namespace grid::metrics {

template <class Metric>
class SeriesCache {
public:
  // `fixed` are the labels every series of this cache shares (substation="sub-1"), `label` the
  // name of the one that varies.
  SeriesCache(prometheus::Family<Metric>& family, prometheus::Labels fixed, std::string label)
      : family_(&family), fixed_(std::move(fixed)), label_(std::move(label)) {}

  // The series for this value, created (at 0) on first use.
  Metric& get(std::string_view value) {
    for (const auto& [known, metric] : series_) {
      if (known == value) return *metric;
    }
    auto labels = fixed_;
    labels.emplace(label_, std::string(value));
    auto& metric = family_->Add(labels);
    series_.emplace_back(std::string(value), &metric);
    return metric;
  }

private:
  prometheus::Family<Metric>* family_;
  prometheus::Labels fixed_;
  std::string label_;
  std::vector<std::pair<std::string, Metric*>> series_;
};

}  // namespace grid::metrics
