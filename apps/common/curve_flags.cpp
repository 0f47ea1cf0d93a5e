#include "curve_flags.h"

#include <spdlog/spdlog.h>

namespace grid::app {

CLI::Option* add_curve_secret_flag(CLI::App& app, std::string& secret_file) {
  return app
      .add_option("--curve-secret", secret_file,
                  "This node's CURVE secret key file (NAME.key_secret from grid-keygen); the public key is derived "
                  "from it. Without it the node runs unauthenticated, in clear text")
      ->check(CLI::ExistingFile);
}

void add_curve_client_flags(CLI::App& app, CurveClientFlags& flags) {
  auto* secret = add_curve_secret_flag(app, flags.secret_file);
  auto* balancer = app.add_option("--balancer-key", flags.balancer_key_file,
                                  "The balancer's CURVE public key file (its NAME.key); needs --curve-secret")
                       ->check(CLI::ExistingFile);
  secret->needs(balancer);
  balancer->needs(secret);
}

std::optional<transport::CurveClient> load_curve_client(const CurveClientFlags& flags, const std::string& node) {
  if (flags.secret_file.empty()) {
    warn_unauthenticated(node);
    return std::nullopt;
  }
  return transport::CurveClient{transport::load_own_keys(flags.secret_file),
                                transport::read_key_file(flags.balancer_key_file)};
}

void warn_unauthenticated(const std::string& node) {
  spdlog::warn("{} runs unauthenticated: no --curve-secret, so ZeroMQ traffic is clear text and any peer may "
               "connect (docs/operations.md, \"CurveZMQ\")",
               node);
}

}  // namespace grid::app
