#pragma once
// Command-line pieces every node shares, so each flag means the same thing everywhere.

#include <string>

#include <CLI/CLI.hpp>

#include "grid/util/host_port.h"

namespace grid::app {

// --log-level, checked against spdlog's level names.
void add_log_level_flag(CLI::App& app, std::string& level);

// A HOST:PORT flag (for --metrics and --listen); rejects anything parse_host_port does not take.
CLI::Option* add_host_port_flag(CLI::App& app, const std::string& name, std::string& value, const std::string& help);

// A ZeroMQ endpoint flag: tcp://HOST:PORT, ipc://PATH or inproc://NAME.
CLI::Option* add_endpoint_flag(CLI::App& app, const std::string& name, std::string& value, const std::string& help);

}  // namespace grid::app
