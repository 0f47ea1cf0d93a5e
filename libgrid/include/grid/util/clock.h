#pragma once
// Time as an injected source, so node logic can be stepped by tests instead of waiting.
// Thread-safety: SteadyClock is safe from any thread; FakeClock is safe from any thread too
// (its time is an atomic), which lets a test advance it while a node reads it.

#include <atomic>
#include <chrono>

namespace grid {

using TimePoint = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

class Clock {
public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SteadyClock final : public Clock {
public:
  TimePoint now() const override { return std::chrono::steady_clock::now(); }
};

class FakeClock final : public Clock {
public:
  explicit FakeClock(TimePoint start = TimePoint{} + std::chrono::hours(1)) : ticks_(start.time_since_epoch().count()) {}
  TimePoint now() const override { return TimePoint{Duration{ticks_.load()}}; }
  void advance(Duration by) { ticks_ += by.count(); }

private:
  std::atomic<Duration::rep> ticks_;
};

// The process-wide real clock, for nodes that run for real.
const Clock& steady_clock();

}  // namespace grid
