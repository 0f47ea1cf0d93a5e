#include "pacer.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace grid::loadgen {
namespace {

// Past a computed instant by this much, floating-point rounding can no longer hold the window
// (or an arrival) one step short, so a driver that wakes then never spins.
constexpr double wake_margin_s = 1e-6;

}  // namespace

double ramp_fraction(double elapsed_s, double ramp_s) {
  if (ramp_s <= 0 || elapsed_s >= ramp_s) return 1.0;
  if (elapsed_s <= 0) return ramp_start_fraction;
  return ramp_start_fraction + (1.0 - ramp_start_fraction) * elapsed_s / ramp_s;
}

std::size_t closed_loop_window(const LoadPlan& plan, double elapsed_s) {
  const double window = std::floor(static_cast<double>(plan.concurrency) * ramp_fraction(elapsed_s, plan.ramp_s) + 1e-9);
  return std::clamp(static_cast<std::size_t>(window), std::size_t{1}, plan.concurrency);
}

double open_loop_time_of(const LoadPlan& plan, double arrivals) {
  const double rate = plan.rate;
  const double ramp = plan.ramp_s;
  if (arrivals <= 0) return 0;
  // Cumulative arrivals: rate * (0.1 t + 0.45 t^2 / ramp) during the ramp, then rate per second.
  const double during_ramp = rate * (ramp_start_fraction + 1.0) / 2.0 * ramp;
  if (ramp <= 0 || arrivals >= during_ramp) return ramp + (arrivals - during_ramp) / rate;
  const double a = rate * (1.0 - ramp_start_fraction) / (2.0 * ramp);
  const double b = rate * ramp_start_fraction;
  return (-b + std::sqrt(b * b + 4.0 * a * arrivals)) / (2.0 * a);
}

Pacer::Pacer(const LoadPlan& plan, std::uint64_t seed) : plan_(plan), engine_(seed) {
  if (plan.vehicles == 0 || plan.concurrency == 0 || plan.rate < 0 || plan.ramp_s < 0) {
    throw std::invalid_argument("pacer: needs vehicles and concurrency >= 1, rate and ramp >= 0");
  }
}

bool Pacer::may_start(double elapsed_s, std::size_t in_flight) const {
  if (all_started()) return false;
  if (open_loop()) return in_flight < plan_.concurrency && elapsed_s >= next_arrival_s_;
  return in_flight < closed_loop_window(plan_, elapsed_s);
}

void Pacer::started() {
  if (all_started()) throw std::logic_error("pacer: more requests started than planned");
  ++started_;
  if (open_loop()) {
    arrivals_so_far_ += std::exponential_distribution<double>(1.0)(engine_);
    next_arrival_s_ = open_loop_time_of(plan_, arrivals_so_far_);
  }
}

std::optional<double> Pacer::next_wake_s(double elapsed_s, std::size_t in_flight) const {
  if (all_started()) return std::nullopt;
  if (may_start(elapsed_s, in_flight)) return elapsed_s;
  if (open_loop()) {
    if (in_flight >= plan_.concurrency) return std::nullopt;
    return std::max(next_arrival_s_ + wake_margin_s, elapsed_s);
  }
  const std::size_t window = closed_loop_window(plan_, elapsed_s);
  if (window >= plan_.concurrency) return std::nullopt;
  // The window reaches window + 1 when concurrency * fraction(t) does.
  const double fraction = static_cast<double>(window + 1) / static_cast<double>(plan_.concurrency);
  const double at = (fraction - ramp_start_fraction) / (1.0 - ramp_start_fraction) * plan_.ramp_s;
  return std::max(at + wake_margin_s, elapsed_s + wake_margin_s);
}

}  // namespace grid::loadgen
