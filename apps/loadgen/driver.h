#pragma once
// A driver sends the planned charge requests to the target, paced by a Pacer, and tallies how
// each ended. One per target kind: ZeroMQ straight to the balancer's frontend, or HTTP through
// an edge. Thread-safety: run() on one thread; stop() from any thread (a signal watcher).

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

#include "grid/util/logging.h"
#include "loadgen_config.h"
#include "summary.h"

namespace grid::loadgen {

class Driver {
public:
  virtual ~Driver() = default;
  // Sends every planned request and returns once each has an outcome, or soon after stop() with
  // the tally so far (marked interrupted).
  virtual RunTally run() = 0;
  virtual void stop() = 0;
};

// Warnings from the data path (failed sends, timeouts, refusals), rate-limited so a dead target
// does not flood the log with one line per request. Thread-safety: none; the driver thread's.
class ProblemLog {
public:
  template <typename... Args>
  void warn(fmt::format_string<Args...> format, Args&&... args) {
    std::size_t suppressed = 0;
    if (!limit_.allow(suppressed)) return;
    const std::string text = fmt::format(format, std::forward<Args>(args)...);
    if (suppressed > 0) {
      spdlog::warn("{} ({} similar suppressed)", text, suppressed);
    } else {
      spdlog::warn("{}", text);
    }
  }

private:
  LogRateLimit limit_;
};

// The vehicle id of the n-th request (from 1): "EV-<n>".
std::string vehicle_id(std::size_t n);

// Throws std::runtime_error when the target cannot be used at all (an HTTP host that does not
// resolve); a target that is merely down shows up as errors and timeouts in the tally.
std::unique_ptr<Driver> make_zmq_driver(const LoadgenConfig& config);
std::unique_ptr<Driver> make_http_driver(const LoadgenConfig& config);
std::unique_ptr<Driver> make_driver(const LoadgenConfig& config);

}  // namespace grid::loadgen
