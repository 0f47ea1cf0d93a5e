#pragma once
// Command-line pieces every node shares, so each flag means the same thing everywhere.

#include <chrono>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "grid/util/host_port.h"

namespace grid::app {

// --log-level, checked against spdlog's level names.
void add_log_level_flag(CLI::App& app, std::string& level);

// A HOST:PORT flag (for --metrics and --listen); rejects anything parse_host_port does not take.
CLI::Option* add_host_port_flag(CLI::App& app, const std::string& name, std::string& value, const std::string& help);

// A decimal flag's check: a finite number in [low, high]. CLI11's Range lets NaN through (every
// comparison with NaN is false), and "nan" or "inf" on a command line is always a mistake.
CLI::Validator finite_range(double low, double high);

// A duration flag in whole milliseconds within [low, high]. Its default is the value `target`
// already holds (the config struct's, the one home of each default), shown by --help.
template <class Rep, class Period>
CLI::Option* add_milliseconds_flag(CLI::App& app, const std::string& name, std::chrono::duration<Rep, Period>& target,
                                   const std::string& help, int low, int high) {
  const auto shown = std::chrono::duration_cast<std::chrono::milliseconds>(target).count();
  return app
      .add_option_function<int>(
          name, [&target](int ms) { target = std::chrono::duration_cast<std::chrono::duration<Rep, Period>>(
                                        std::chrono::milliseconds(ms)); },
          help)
      ->check(CLI::Range(low, high))
      ->default_str(std::to_string(shown));
}

// A ZeroMQ endpoint flag: tcp://HOST:PORT, ipc://PATH or inproc://NAME.
CLI::Option* add_endpoint_flag(CLI::App& app, const std::string& name, std::string& value, const std::string& help);

// The same, repeatable and taking comma lists (`--balancer A --balancer B` or `--balancer A,B`):
// each value is checked, and naming one endpoint twice is an error, never a silent merge.
CLI::Option* add_endpoints_flag(CLI::App& app, const std::string& name, std::vector<std::string>& values,
                                const std::string& help);

}  // namespace grid::app
