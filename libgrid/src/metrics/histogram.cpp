#include "grid/metrics/histogram.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace grid::metrics {

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)),
      counts_(std::make_unique<std::atomic<std::uint64_t>[]>(upper_bounds_.size() + 1)) {
  for (std::size_t i = 0; i < upper_bounds_.size(); ++i) {
    if (!std::isfinite(upper_bounds_[i])) {
      throw std::invalid_argument("histogram bucket bounds must be finite (+Inf is implicit)");
    }
    if (i > 0 && !(upper_bounds_[i - 1] < upper_bounds_[i])) {
      throw std::invalid_argument("histogram bucket bounds must be strictly increasing");
    }
  }
}

void Histogram::observe(double v) noexcept {
  // Buckets are "less than or equal": the first bound >= v. NaN compares false with every bound
  // and lands in +Inf only, as in the Go client.
  std::size_t bucket = upper_bounds_.size();
  if (!std::isnan(v)) {
    bucket = static_cast<std::size_t>(std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), v) -
                                      upper_bounds_.begin());
  }
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  double current = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(current, current + v, std::memory_order_relaxed)) {
  }
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot out;
  out.upper_bounds = upper_bounds_;
  out.cumulative_counts.reserve(upper_bounds_.size() + 1);
  // The count is the sum of the buckets rather than a separate atomic, so the +Inf bucket and
  // _count can never disagree in a scrape.
  std::uint64_t running = 0;
  for (std::size_t i = 0; i <= upper_bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    out.cumulative_counts.push_back(running);
  }
  out.count = running;
  out.sum = sum_.load(std::memory_order_relaxed);
  return out;
}

std::vector<double> exponential_buckets(double start, double factor, int count) {
  if (!(start > 0.0) || !(factor > 1.0) || count < 1) {
    throw std::invalid_argument("exponential_buckets needs start > 0, factor > 1 and count >= 1");
  }
  std::vector<double> bounds;
  bounds.reserve(static_cast<std::size_t>(count));
  double bound = start;
  for (int i = 0; i < count; ++i) {
    bounds.push_back(bound);
    bound *= factor;
  }
  return bounds;
}

std::vector<double> linear_buckets(double start, double width, int count) {
  if (!std::isfinite(start) || !(width > 0.0) || count < 1) {
    throw std::invalid_argument("linear_buckets needs a finite start, width > 0 and count >= 1");
  }
  std::vector<double> bounds;
  bounds.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    // Multiply rather than accumulate, so rounding errors do not pile up over many buckets.
    bounds.push_back(start + width * i);
  }
  return bounds;
}

}  // namespace grid::metrics
