#pragma once
// The poll loop every node runs on its own thread: it waits on its sockets with zmq::poll until
// the nearest deadline (never forever), runs the handlers of readable sockets, then the node's
// timers. stop() may be called from any thread: it reaches the loop through an inproc socket, so
// the loop's sockets stay owned by the loop's thread.
// Thread-safety: add()/run() from the owner thread; stop() from any thread.

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

  void add(zmq::socket_t& socket, std::function<void()> on_readable);
  // A plain file descriptor (an eventfd another thread writes to hand work over, for example).
  void add_fd(int fd, std::function<void()> on_readable);
  void set_timers(Timers timers) { timers_ = std::move(timers); }

  // Runs until stop(). Handlers may throw only for broken invariants; those end the loop.
  void run();
  void stop();
  bool stopping() const { return stop_requested_.load(); }

  static constexpr std::chrono::milliseconds max_wait{1000};

private:
  zmq::context_t& context_;
  const Clock& clock_;
  std::string control_endpoint_;
  zmq::socket_t control_;
  std::vector<zmq::pollitem_t> items_;  // after the control socket, in add order
  std::vector<std::function<void()>> handlers_;
  Timers timers_;
  std::atomic<bool> stop_requested_{false};
};

}  // namespace grid::transport
