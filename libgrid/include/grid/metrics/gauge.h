#pragma once
// A value that goes up and down (active sessions, load in kW).
// Thread-safety: every member is safe from any thread and lock-free; nothing throws.

#include <atomic>

namespace grid::metrics {

class Gauge {
public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void inc(double v = 1.0) noexcept { add(v); }
  void dec(double v = 1.0) noexcept { add(-v); }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
  void add(double v) noexcept {
    double current = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(current, current + v, std::memory_order_relaxed)) {
    }
  }

  std::atomic<double> value_{0.0};
};

}  // namespace grid::metrics
