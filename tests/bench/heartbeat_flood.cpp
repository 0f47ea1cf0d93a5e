// grid_heartbeat_flood: makes a balancer track many substations without starting them. Its PUB
// connects to the balancer's heartbeat endpoint and publishes, every interval, one heartbeat for
// each of N invented substations ("flood-00001"...), with a rising seq so each one counts. The
// loads are spread over the capacities, so the balancer's utilization index sees distinct values.
//
//   grid_heartbeat_flood --heartbeats tcp://127.0.0.1:P --substations 10000 --interval-ms 1000
//
// PUB drops what a slow subscriber cannot take; the next round repeats it, so the bench waits for
// the balancer's live count rather than for any one round. Runs until SIGINT/SIGTERM or
// --duration-s. Bench tool: not part of the grid.
#include <signal.h>

#include <chrono>
#include <ctime>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "grid/proto/messages.h"
#include "grid/transport/sockets.h"
#include "grid/transport/wire.h"
#include "grid/util/logging.h"
#include "grid/util/shutdown.h"

namespace {

// Waits up to `timeout` for SIGINT/SIGTERM (blocked in this process); true when one came.
bool signalled_within(std::chrono::milliseconds timeout) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  const auto ms = std::max<long long>(0, timeout.count());
  const timespec wait{static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1'000'000L};
  return sigtimedwait(&signals, nullptr, &wait) > 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"grid_heartbeat_flood: heartbeats of many invented substations, to load a balancer's table"};
  std::string endpoint;
  int substations = 10'000;
  int interval_ms = 1000;
  double duration_s = 600;
  app.add_option("--heartbeats", endpoint, "The balancer's heartbeat endpoint (our PUB connects)")->required();
  app.add_option("--substations", substations, "Distinct substation ids")->check(CLI::Range(1, 1'000'000));
  app.add_option("--interval-ms", interval_ms, "Time between rounds")->check(CLI::Range(10, 60'000));
  app.add_option("--duration-s", duration_s, "Stop after this long at most")->check(CLI::Range(0.1, 86'400.0));
  CLI11_PARSE(app, argc, argv);
  grid::setup_logging("heartbeat-flood", "info");
  grid::block_shutdown_signals();

  zmq::context_t context;
  // Room for whole rounds: a round is sent in one burst.
  auto socket = grid::transport::make_socket(context, zmq::socket_type::pub,
                                             {.high_water_mark = 2 * substations + 1000});
  socket.connect(endpoint);

  std::vector<grid::proto::Heartbeat> heartbeats;
  heartbeats.reserve(static_cast<std::size_t>(substations));
  for (int i = 0; i < substations; ++i) {
    const double capacity = 250.0 * (1 + i % 8);
    heartbeats.push_back({.substation_id = fmt::format("flood-{:05d}", i + 1),
                          .boot = 7,
                          .seq = 0,
                          .capacity_kw = capacity,
                          .load_kw = capacity * static_cast<double>(i % 97) / 100.0,
                          .active_sessions = static_cast<std::uint32_t>(i % 97)});
  }
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(duration_s);
  std::uint64_t rounds = 0;
  while (std::chrono::steady_clock::now() < until) {
    const auto started = std::chrono::steady_clock::now();
    ++rounds;
    for (auto& heartbeat : heartbeats) {
      heartbeat.seq = rounds;
      grid::transport::send_message(socket, heartbeat);
    }
    const auto next = started + std::chrono::milliseconds(interval_ms);
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(next - std::chrono::steady_clock::now());
    if (signalled_within(left)) break;
  }
  spdlog::info("sent {} rounds of {} heartbeats", rounds, substations);
  return 0;
}
