#pragma once
// "HOST:PORT" as given on the command line (for --metrics and --listen).

#include <cstdint>
#include <optional>
#include <string>

namespace grid {

struct HostPort {
  std::string host;
  std::uint16_t port = 0;  // 0 asks the OS for a free port
  std::string to_string() const { return host + ":" + std::to_string(port); }
};

// Accepts "host:port", "[v6addr]:port" and ":port" (meaning 0.0.0.0). Empty on anything else.
std::optional<HostPort> parse_host_port(const std::string& text);

}  // namespace grid
