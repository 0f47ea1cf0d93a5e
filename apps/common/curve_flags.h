#pragma once
// The CurveZMQ flags every connecting node shares (--curve-secret, --balancer-key), so they mean
// the same thing on the substation, the edge and the load generator.

#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "grid/transport/curve.h"

namespace grid::app {

struct CurveClientFlags {
  std::string secret_file;       // this node's NAME.key_secret
  std::string balancer_key_file;  // the balancer's NAME.key
};

// Adds both flags; each needs the other (CLI11 refuses a half-configured node at parse time).
void add_curve_client_flags(CLI::App& app, CurveClientFlags& flags);
// --curve-secret on a node that binds (the balancer), and the check that the file exists.
CLI::Option* add_curve_secret_flag(CLI::App& app, std::string& secret_file);

// The keys the flags name; empty, after one warning in the log that `node` runs unauthenticated,
// when no flag was given. Throws std::runtime_error naming a file that is not a valid key.
std::optional<transport::CurveClient> load_curve_client(const CurveClientFlags& flags, const std::string& node);

// The one start-up warning of a node without CURVE.
void warn_unauthenticated(const std::string& node);

}  // namespace grid::app
