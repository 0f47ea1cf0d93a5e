#pragma once
// A distribution over fixed buckets (request latency in seconds, job power in kW).
// Thread-safety: observe() and snapshot() are safe from any thread, lock-free, and observe() never
// throws. A snapshot taken while other threads observe may show a `sum` that lags the counts by
// the observations in flight; the counts themselves are always consistent with each other.

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "grid/metrics/snapshot.h"

namespace grid::metrics {

class Histogram {
public:
  // Throws std::invalid_argument unless the bounds are finite and strictly increasing. The +Inf
  // bucket is always there and must not be listed.
  explicit Histogram(std::vector<double> upper_bounds);

  void observe(double v) noexcept;
  HistogramSnapshot snapshot() const;
  const std::vector<double>& upper_bounds() const noexcept { return upper_bounds_; }

private:
  std::vector<double> upper_bounds_;
  // Per bucket (not cumulative) so observe() touches one counter; the last one is +Inf.
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
  std::atomic<double> sum_{0.0};
};

// Throws std::invalid_argument when the bounds could not make a valid histogram: a histogram
// registered with them would fail anyway, better to say so where the numbers are chosen.
// start, start*factor, ..., count bounds; needs start > 0, factor > 1, count >= 1.
std::vector<double> exponential_buckets(double start, double factor, int count);
// start, start+width, ..., count bounds; needs width > 0, count >= 1.
std::vector<double> linear_buckets(double start, double width, int count);

}  // namespace grid::metrics
