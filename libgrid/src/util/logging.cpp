#include "grid/util/logging.h"

#include <stdexcept>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace grid {

const std::vector<std::string>& log_level_names() {
  static const std::vector<std::string> names{"trace", "debug", "info", "warn", "error", "critical", "off"};
  return names;
}

void setup_logging(const std::string& node_name, const std::string& level) {
  const auto parsed = spdlog::level::from_str(level);
  // from_str maps anything unknown to "off"; only "off" itself may mean off.
  if (parsed == spdlog::level::off && level != "off") {
    throw std::invalid_argument("unknown log level '" + level + "'");
  }
  auto logger = spdlog::stderr_color_mt(node_name);
  logger->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%n] [%^%l%$] %v");
  logger->set_level(parsed);
  spdlog::set_default_logger(std::move(logger));
}

bool LogRateLimit::allow(std::size_t& suppressed) {
  const auto now = std::chrono::steady_clock::now();
  if (now - window_start_ >= window_) {
    window_start_ = now;
    used_ = 0;
  }
  if (used_ < burst_) {
    ++used_;
    suppressed = suppressed_;
    suppressed_ = 0;
    return true;
  }
  ++suppressed_;
  return false;
}

}  // namespace grid
