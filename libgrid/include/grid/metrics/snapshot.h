#pragma once
// What Registry::collect() hands out: plain values copied out of the live metrics, so the text
// serializer (and tests) work on data that no other thread is changing.
// Thread-safety: plain values; the usual rules for standard containers apply.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace grid::metrics {

// Label name -> value. A std::map, so a label set has one canonical order and can key a map itself.
using Labels = std::map<std::string, std::string>;

enum class MetricType { counter, gauge, histogram };

// "counter", "gauge" or "histogram", as written on a # TYPE line.
const char* to_string(MetricType type) noexcept;

struct HistogramSnapshot {
  std::vector<double> upper_bounds;  // finite, strictly increasing; the +Inf bucket is implicit
  // Cumulative counts, one per upper bound plus a last one for +Inf (which equals `count`).
  std::vector<std::uint64_t> cumulative_counts;
  double sum = 0.0;
  std::uint64_t count = 0;
};

struct SeriesSnapshot {
  Labels labels;
  double value = 0.0;           // counters and gauges
  HistogramSnapshot histogram;  // histograms only; empty otherwise
};

struct FamilySnapshot {
  std::string name;
  std::string help;
  MetricType type = MetricType::gauge;
  std::vector<SeriesSnapshot> series;  // ordered by labels
};

}  // namespace grid::metrics
