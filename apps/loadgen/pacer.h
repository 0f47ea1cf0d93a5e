#pragma once
// When the load generator may start its next request: the rush-hour ramp and the arrival process,
// as pure functions of the elapsed time, so both drivers (ZeroMQ and HTTP) pace the same way and
// the pacing is unit-tested without clocks or sockets.
//
// Closed loop (rate 0): the window of requests in flight grows with the ramp from ~10% of the
// concurrency to all of it; a finished request makes room for the next at once.
// Open loop (rate R): vehicles arrive as a Poisson process whose rate grows with the ramp from
// 10% of R to R; the first arrives at time 0. Arrivals beyond the concurrency cap wait for room.
// Thread-safety: none; one driver thread owns a Pacer.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>

namespace grid::loadgen {

struct LoadPlan {
  std::size_t vehicles = 1;
  std::size_t concurrency = 1;
  double rate = 0;    // arrivals per second at full load; 0 = closed loop
  double ramp_s = 0;  // seconds from 10% to full load
};

inline constexpr double ramp_start_fraction = 0.1;

// The fraction of full load at `elapsed_s`: rises linearly from 0.1 to 1 over ramp_s, then 1.
double ramp_fraction(double elapsed_s, double ramp_s);

// Closed loop: requests allowed in flight at `elapsed_s`, between 1 and the concurrency.
std::size_t closed_loop_window(const LoadPlan& plan, double elapsed_s);

// Open loop: the time by which `arrivals` vehicles are expected (the inverse of the cumulative
// arrival rate). Poisson arrival times are this function of a sum of unit exponentials.
double open_loop_time_of(const LoadPlan& plan, double arrivals);

class Pacer {
public:
  Pacer(const LoadPlan& plan, std::uint64_t seed);

  // True when a request may start now, with `in_flight` requests unanswered.
  bool may_start(double elapsed_s, std::size_t in_flight) const;
  // Records that the driver started one request.
  void started();
  // When may_start can next become true without a request finishing; empty when only a finished
  // request can change it, or when every request has started.
  std::optional<double> next_wake_s(double elapsed_s, std::size_t in_flight) const;

  bool all_started() const { return started_ == plan_.vehicles; }
  std::size_t started_count() const { return started_; }

private:
  bool open_loop() const { return plan_.rate > 0; }

  LoadPlan plan_;
  std::mt19937_64 engine_;
  std::size_t started_ = 0;
  double arrivals_so_far_ = 0;  // sum of unit exponentials: the arrival process in "expected arrivals"
  double next_arrival_s_ = 0;
};

}  // namespace grid::loadgen
