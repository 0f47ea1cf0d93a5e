#pragma once
// A monotonically increasing value (requests served, bytes sent).
// Thread-safety: every member is safe from any thread and lock-free; inc() never throws, so it can
// sit on the data path.

#include <atomic>

namespace grid::metrics {

class Counter {
public:
  // Negative and NaN increments are ignored rather than thrown: a counter that went down would
  // look like a process restart to Prometheus' rate(), and the data path must not throw.
  void inc(double v = 1.0) noexcept {
    if (!(v >= 0.0)) {
      return;
    }
    double current = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(current, current + v, std::memory_order_relaxed)) {
    }
  }

  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
  std::atomic<double> value_{0.0};
};

}  // namespace grid::metrics
