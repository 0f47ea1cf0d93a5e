// grid_job_flood: a fake balancer that fills one substation with charging sessions. It binds the
// ROUTER a substation's DEALER connects to, waits until the substation is connected, sends N
// charge jobs (at most --window unanswered at a time) and counts the results. Sessions are long
// (energy / power hours of simulated time), so they stay active after it exits.
//
//   grid_job_flood --backend tcp://127.0.0.1:P --substation sub-1 --jobs 10000
//
// Prints "accepted A of N in S s"; exits 0 when every job was accepted, 1 otherwise (a refusal, a
// timeout, or no substation connecting within --timeout-s). Bench tool: not part of the grid.
#include <chrono>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "grid/proto/messages.h"
#include "grid/transport/sockets.h"
#include "grid/transport/wire.h"
#include "grid/util/logging.h"

int main(int argc, char** argv) {
  CLI::App app{"grid_job_flood: a fake balancer that sends one substation N charge jobs"};
  std::string endpoint, substation;
  std::size_t jobs = 10'000, window = 500;
  double power_kw = 1, energy_kwh = 1000, timeout_s = 60;
  app.add_option("--backend", endpoint, "Endpoint to bind (the substation's --balancer)")->required();
  app.add_option("--substation", substation, "The substation's id (its routing id)")->required();
  app.add_option("--jobs", jobs, "Charge jobs to send")->check(CLI::Range(1, 10'000'000));
  app.add_option("--window", window, "Jobs unanswered at once at most")->check(CLI::Range(1, 100'000));
  app.add_option("--power-kw", power_kw, "Power per session")->check(CLI::Range(0.001, 10'000.0));
  app.add_option("--energy-kwh", energy_kwh, "Energy per session")->check(CLI::Range(0.001, 100'000.0));
  app.add_option("--timeout-s", timeout_s, "Give up after this long")->check(CLI::Range(0.1, 3600.0));
  CLI11_PARSE(app, argc, argv);
  grid::setup_logging("job-flood", "info");

  zmq::context_t context;
  auto router = grid::transport::make_socket(context, zmq::socket_type::router, {.router_mandatory = true});
  router.bind(endpoint);
  const auto start = std::chrono::steady_clock::now();
  const auto deadline = start + std::chrono::duration<double>(timeout_s);
  const std::string run = fmt::format("flood-{:x}", start.time_since_epoch().count() & 0xffffffff);

  std::size_t sent = 0, answered = 0, accepted = 0;
  while (answered < jobs && std::chrono::steady_clock::now() < deadline) {
    while (sent < jobs && sent - answered < window) {
      const grid::proto::ChargeJob job{sent + 1, fmt::format("{}-{}", run, sent + 1), fmt::format("EV-{}", sent + 1),
                                       power_kw, energy_kwh};
      if (grid::transport::send_message(router, job, substation) != grid::transport::SendResult::sent) break;
      ++sent;
    }
    zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(10));  // also the retry pace while not connected
    while (auto inbound = grid::transport::receive_message(router, true)) {
      const auto* message = std::get_if<grid::proto::Message>(&inbound->message);
      const auto* result = message ? std::get_if<grid::proto::JobResult>(message) : nullptr;
      if (result == nullptr) continue;
      ++answered;
      if (result->accepted) ++accepted;
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("accepted {} of {} in {:.2f} s\n", accepted, jobs, seconds);
  return accepted == jobs ? 0 : 1;
}
