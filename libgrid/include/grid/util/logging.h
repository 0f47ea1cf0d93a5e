#pragma once
// Logging set-up shared by every node, and a rate limit for logging on the data path, where a
// hostile peer must not be able to flood the log.

#include <chrono>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

namespace grid {

// The names --log-level accepts, in the order shown by --help.
const std::vector<std::string>& log_level_names();

// Configures the default logger: "[time] [node] [level] message" on stderr at the given level.
// Throws std::invalid_argument for an unknown level name.
void setup_logging(const std::string& node_name, const std::string& level);

// Lets through at most `burst` events per `window`; reports how many were suppressed since the
// last one let through. Thread-safety: none; one per thread.
class LogRateLimit {
public:
  explicit LogRateLimit(int burst = 5, std::chrono::seconds window = std::chrono::seconds(10))
      : burst_(burst), window_(window) {}
  // True when the caller should log now; `suppressed` receives the count skipped before it.
  bool allow(std::size_t& suppressed);

private:
  int burst_;
  std::chrono::seconds window_;
  std::chrono::steady_clock::time_point window_start_{};
  int used_ = 0;
  std::size_t suppressed_ = 0;
};

}  // namespace grid
