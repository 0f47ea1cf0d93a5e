// scripts/demo, the README's first command, runs in the suite in its short form: the whole grid
// as processes (two balancers, as by default), a rush hour through the edge, the summary, how the
// balancers shared the work, and a clean stop of every node; and once more with --secure (CURVE
// keys and HTTPS made for the run).
#include <doctest/doctest.h>

#include <filesystem>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/process.h"

using namespace grid::test;

#if defined(GRID_BALANCER_BIN) && defined(GRID_SUBSTATION_BIN) && defined(GRID_EDGE_BIN) && defined(GRID_LOADGEN_BIN)
namespace {

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  return address;
}

bool can_bind(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  const auto address = loopback(port);
  const bool ok = bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return ok;
}

// True when something listens on the port (a refused connection comes back at once on loopback).
bool accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  const auto address = loopback(port);
  const bool ok = connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return ok;
}

// The demo's ports with its default two balancers: nine, and four for the second balancer.
constexpr int demo_ports = 13;

// A base port with the demo's ports after it free a moment ago, below the ephemeral range so
// outgoing connections of parallel tests do not take them in between.
int free_port_block() {
  std::mt19937 random(static_cast<unsigned>(getpid()) ^ std::random_device{}());
  for (int attempt = 0; attempt < 50; ++attempt) {
    const int base = 20'000 + static_cast<int>(random() % 600) * 20;
    bool all_free = true;
    for (int port = base; port < base + demo_ports && all_free; ++port) all_free = can_bind(port);
    if (all_free) return base;
  }
  throw std::runtime_error("no block of free ports found");
}

struct DemoRun {
  int exit_code = -1;
  std::string log;
  int base = 0;
};

DemoRun run_demo(const std::vector<std::string>& extra) {
  // The binaries live in <build>/apps/<node>/grid-<node>; the demo finds them from <build>.
  const auto build_dir = std::filesystem::path(GRID_BALANCER_BIN).parent_path().parent_path().parent_path();
  DemoRun run;
  // Exit 3 is the demo's "a port is taken": someone took one after we looked; pick other ports.
  for (int attempt = 0; attempt < 3 && (attempt == 0 || run.exit_code == 3); ++attempt) {
    run.base = free_port_block();
    std::vector<std::string> argv{"/bin/bash", GRID_SOURCE_DIR "/scripts/demo", "--short", "--no-build", "--build-dir",
                                  build_dir.string(), "--port-base", std::to_string(run.base)};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ChildProcess demo("demo", argv);
    run.exit_code = demo.wait(150'000);
    if (run.exit_code == -1) run.exit_code = demo.terminate(15'000);  // its trap stops the nodes
    run.log = demo.log();
  }
  return run;
}

// Every node is gone: nothing listens on its ports any more (Prometheus's, base + 8, is not
// started by --short).
void check_all_stopped(const DemoRun& run) {
  for (int port = run.base; port < run.base + demo_ports; ++port) {
    CAPTURE(port);
    CHECK_FALSE(accepts(port));
  }
}

// "  balancer-a      31 admissions   51.7%": both balancers admitted some of the cars.
void check_work_shared(const DemoRun& run) {
  CHECK(run.log.find("How the 2 balancers shared the work") != std::string::npos);
  for (const char* name : {"balancer-a", "balancer-b"}) {
    CAPTURE(name);
    std::smatch match;
    const std::regex row(std::string("\\n  ") + name + " +([0-9]+) admissions");
    REQUIRE(std::regex_search(run.log, match, row));
    CHECK(std::stoi(match[1].str()) > 0);
  }
}

}  // namespace

TEST_CASE("scripts/demo --short: a rush-hour trace through the edge, the summary and report, every node stopped") {
  const auto run = run_demo({});
  INFO(run.log);
  CHECK(run.exit_code == 0);
  for (const char* part : {"grid ready", "(60 sessions over", "outcomes     charging", "throughput", "imbalance",
                           "trace replay:", "Limit violations seen:          0 in", "report.html", "/metrics",
                           "console: http://127.0.0.1:", "stopped edge", "stopped balancer-a",
                           "stopped balancer-b", "stopped substation north", "behind 2 balancers"}) {
    CAPTURE(part);
    CHECK(run.log.find(part) != std::string::npos);
  }
  CHECK(run.log.find("demo: building") == std::string::npos);  // --no-build: no install-deps, no cmake
  check_work_shared(run);
  check_all_stopped(run);
}

#ifdef GRID_KEYGEN_BIN
TEST_CASE("scripts/demo --short --secure: CURVE everywhere and HTTPS on the edge, nothing refused, plain HTTP refused") {
  const auto run = run_demo({"--secure"});
  INFO(run.log);
  CHECK(run.exit_code == 0);
  for (const char* part : {"demo: secure: CURVE keys", "grid ready", "edge on https://127.0.0.1:",
                           "(60 sessions over", "Limit violations seen:          0 in",
                           "balancer_auth_refused_total{socket=\"frontend\"} 0",
                           "balancer_auth_refused_total{socket=\"backend\"} 0",
                           "balancer_auth_refused_total{socket=\"heartbeats\"} 0", "\"status\":\"charging\"",
                           "(HTTP 200)", "refused, no answer (the edge speaks HTTPS only)", "stopped balancer-b"}) {
    CAPTURE(part);
    CHECK(run.log.find(part) != std::string::npos);
  }
  check_work_shared(run);
  check_all_stopped(run);
}
#endif
#endif
