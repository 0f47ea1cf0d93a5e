#pragma once
// The poll loop every node runs on its own thread: it waits on its sockets with zmq::poll until
// the nearest deadline (never forever), runs the handlers of readable sockets, then the node's
// timers. stop() may be called from any thread: it reaches the loop through an inproc socket, so
// the loop's sockets stay owned by the loop's thread.
// Thread-safety: add(), add_fd(), set_timers() and run() from the owner thread, every addition
// before run(); stop() from any thread.

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "grid/util/clock.h"

namespace grid::transport {

class PollLoop {
public:
  // Timers: called after every wake-up; returns when it next wants to be called (empty: no
  // timer pending, wait for sockets only, up to max_wait).
  using Timers = std::function<std::optional<TimePoint>(TimePoint now)>;

  PollLoop(zmq::context_t& context, const Clock& clock);
  PollLoop(const PollLoop&) = delete;
  PollLoop& operator=(const PollLoop&) = delete;

  // Throws std::logic_error once run() has been called (from a handler too): the loop polls what
  // was added before it started, and a later addition would silently never be polled.
  void add(zmq::socket_t& socket, std::function<void()> on_readable);
  // A plain file descriptor (an eventfd another thread writes to hand work over, for example).
  void add_fd(int fd, std::function<void()> on_readable);
  void set_timers(Timers timers) {
    refuse_after_run("set_timers");
    timers_ = std::move(timers);
  }

  // Runs until stop(), once per loop (a second run() throws std::logic_error). Handlers may throw
  // only for broken invariants; those end the loop.
  void run();
  void stop();
  bool stopping() const { return stop_requested_.load(); }

  static constexpr std::chrono::milliseconds max_wait{1000};

private:
  void refuse_after_run(const char* what) const;

  zmq::context_t& context_;
  const Clock& clock_;
  std::string control_endpoint_;
  zmq::socket_t control_;
  std::vector<zmq::pollitem_t> items_;  // after the control socket, in add order
  std::vector<std::function<void()>> handlers_;
  Timers timers_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> running_{false};  // set by run(), never cleared
};

}  // namespace grid::transport
