#include "node_cli.h"

#include <cmath>

#include <fmt/format.h>

#include "grid/transport/sockets.h"
#include "grid/util/logging.h"

namespace grid::app {

void add_log_level_flag(CLI::App& app, std::string& level) {
  app.add_option("--log-level", level, "Log verbosity")
      ->check(CLI::IsMember(log_level_names()))
      ->capture_default_str();
}

CLI::Option* add_host_port_flag(CLI::App& app, const std::string& name, std::string& value, const std::string& help) {
  const CLI::Validator host_port(
      [](std::string& text) -> std::string {
        return parse_host_port(text) ? "" : "expected HOST:PORT (for example 127.0.0.1:9100 or :9100), got '" + text + "'";
      },
      "HOST:PORT");
  return app.add_option(name, value, help)->check(host_port)->capture_default_str();
}

CLI::Validator finite_range(double low, double high) {
  return CLI::Validator(
      [low, high](std::string& text) -> std::string {
        double value = 0;
        if (!CLI::detail::lexical_cast(text, value)) return "expected a number, got '" + text + "'";
        if (!std::isfinite(value)) return "must be a finite number, got '" + text + "'";
        if (value < low || value > high) {
          return fmt::format("must be between {} and {}, got {}", low, high, text);
        }
        return "";
      },
      fmt::format("FINITE in [{} - {}]", low, high));
}

namespace {

CLI::Validator zmq_endpoint() {
  return CLI::Validator([](std::string& text) { return transport::endpoint_error(text); }, "ENDPOINT");
}

}  // namespace

CLI::Option* add_endpoint_flag(CLI::App& app, const std::string& name, std::string& value, const std::string& help) {
  return app.add_option(name, value, help)->check(zmq_endpoint())->capture_default_str();
}

CLI::Option* add_endpoints_flag(CLI::App& app, const std::string& name, std::vector<std::string>& values,
                                const std::string& help) {
  return app
      .add_option_function<std::vector<std::string>>(
          name,
          [&values, name](const std::vector<std::string>& given) {
            // The same endpoint twice would be one peer counted twice.
            for (std::size_t i = 0; i < given.size(); ++i) {
              for (std::size_t j = i + 1; j < given.size(); ++j) {
                if (given[i] == given[j]) throw CLI::ValidationError(name, "names " + given[i] + " twice");
              }
            }
            values = given;
          },
          help + " (repeat the flag, or give a comma-separated list)")
      ->check(zmq_endpoint())
      ->delimiter(',');
}

}  // namespace grid::app
