#include "trace_schedule.h"

#include <algorithm>
#include <random>

#include <fmt/format.h>

namespace grid::loadgen {

TraceSchedule::TraceSchedule(const Trace& trace, double time_scale, Duration sample_interval)
    : trace_(trace), time_scale_(time_scale), sample_interval_(sample_interval) {}

void TraceSchedule::start(TimePoint now) {
  start_ = now;
  next_sample_ = now;
}

TimePoint TraceSchedule::at(double trace_s) const {
  return start_ + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(trace_s / time_scale_));
}

double TraceSchedule::trace_now(TimePoint now) const {
  return std::chrono::duration<double>(now - start_).count() * time_scale_;
}

std::optional<TraceSchedule::Arrival> TraceSchedule::next_arrival(TimePoint now) {
  if (!arrivals_left()) return std::nullopt;
  const auto due = at(trace_.sessions[next_arrival_].arrival_s);
  if (due > now) return std::nullopt;
  return Arrival{.index = next_arrival_++, .lag_ms = std::chrono::duration<double, std::milli>(now - due).count()};
}

std::optional<std::size_t> TraceSchedule::next_departure(TimePoint now) {
  if (departures_.empty() || departures_.top().first > now) return std::nullopt;
  const std::size_t index = departures_.top().second;
  departures_.pop();
  return index;
}

TimePoint TraceSchedule::next_wake() const {
  auto next = next_sample_;
  if (arrivals_left()) next = std::min(next, at(trace_.sessions[next_arrival_].arrival_s));
  if (!departures_.empty()) next = std::min(next, departures_.top().first);
  return next;
}

std::string run_token() {
  std::random_device device;
  return fmt::format("lg-{:08x}", std::uniform_int_distribution<std::uint32_t>()(device));
}

}  // namespace grid::loadgen
