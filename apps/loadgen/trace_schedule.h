#pragma once
// When a trace replay does what: each session's arrival (trace time / --time-scale after the
// start), each admitted car's departure, and the next look at the grid every --sample-ms. Shared
// by the HTTP and the ZeroMQ replay, which differ only in how they ask. Pure: the time is passed
// in, so it is unit-tested without sockets or clocks.
// Thread-safety: none; the replay's thread.

#include <chrono>
#include <cstddef>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "grid/util/clock.h"
#include "trace.h"

namespace grid::loadgen {

class TraceSchedule {
public:
  TraceSchedule(const Trace& trace, double time_scale, Duration sample_interval);

  // The replay starts now: trace time 0, and the first look at the grid due at once.
  void start(TimePoint now);
  TimePoint at(double trace_s) const;
  double trace_now(TimePoint now) const;

  struct Arrival {
    std::size_t index;  // into trace.sessions
    double lag_ms;      // how late it is against its trace time
  };
  // The next session whose arrival is due by now, in trace order; empty when none is.
  std::optional<Arrival> next_arrival(TimePoint now);
  // Sessions whose arrival has not come yet.
  bool arrivals_left() const { return next_arrival_ < trace_.sessions.size(); }

  // An admitted car leaves at `when` (its departure, or later for a retried unplugging).
  void depart_at(TimePoint when, std::size_t index) { departures_.emplace(when, index); }
  // The next car whose departure is due by now; empty when none is.
  std::optional<std::size_t> next_departure(TimePoint now);
  bool departures_left() const { return !departures_.empty(); }

  bool sample_due(TimePoint now) const { return now >= next_sample_; }
  // A look at the grid was asked for now; the next is due one interval later.
  void sampled(TimePoint now) { next_sample_ = now + sample_interval_; }

  // The earliest of the next arrival, departure and look at the grid.
  TimePoint next_wake() const;

private:
  const Trace& trace_;
  double time_scale_;
  Duration sample_interval_;
  TimePoint start_{};
  TimePoint next_sample_{};
  std::size_t next_arrival_ = 0;
  using Due = std::pair<TimePoint, std::size_t>;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> departures_;
};

// A token unique to this run ("lg-1a2b3c4d"): request ids and Idempotency-Keys start with it, so
// that the grid recognises a retry within a run but never takes a second run for a retry of the
// first.
std::string run_token();

}  // namespace grid::loadgen
