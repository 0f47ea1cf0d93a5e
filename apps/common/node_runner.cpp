#include "node_runner.h"

#include <atomic>
#include <csignal>
#include <exception>
#include <optional>
#include <thread>

#include <sys/types.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "grid/http/ops.h"
#include "grid/http/server.h"
#include "grid/util/host_port.h"
#include "grid/util/shutdown.h"

namespace grid::app {

int run_node(const NodeRun& node, const metrics::Exposition& registry) {
  std::optional<http::Server> ops;
  if (!node.metrics_address.empty()) {
    const auto address = parse_host_port(node.metrics_address);
    http::ServerOptions options;
    options.host = address->host;
    options.port = address->port;
    ops.emplace(options, http::ops_handler(registry, node.healthy));
    try {
      ops->start();
    } catch (const std::exception& error) {
      spdlog::error("{}: cannot serve metrics on {}: {}", node.name, node.metrics_address, error.what());
      return 1;
    }
    spdlog::info("{}: metrics on http://{}:{}/metrics", node.name, address->host, ops->port());
  }

  // Written on the loop thread, read here before join(): atomic, or it would be a data race.
  std::atomic<bool> failed{false};
  std::thread loop([&] {
    try {
      node.run();
    } catch (const std::exception& error) {
      spdlog::critical("{}: stopped by an error: {}", node.name, error.what());
      failed = true;
      // Wake the main thread, which waits for a shutdown signal. raise() would signal only this
      // thread, where the signal is blocked; kill() makes it pending for the process.
      ::kill(::getpid(), SIGTERM);
    }
  });
  const int signal = wait_for_shutdown_signal();
  if (!failed) spdlog::info("{}: {} received, shutting down", node.name, signal == SIGINT ? "SIGINT" : "SIGTERM");
  node.stop();
  loop.join();
  if (ops) ops->stop();
  return failed ? 1 : 0;
}

}  // namespace grid::app
