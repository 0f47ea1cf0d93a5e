// Every node's command line: --help explains and exits 0; an unknown flag, a bad value or a
// missing required flag is a clear error and a non-zero exit, before anything starts.
#include <doctest/doctest.h>

#include "support/process.h"

using grid::test::ChildProcess;

namespace {

struct Run {
  int exit_code;
  std::string output;
};

Run run(std::vector<std::string> argv) {
  ChildProcess process("cli", std::move(argv));
  const int code = process.wait(10'000);
  return {code, process.log()};
}

struct Node {
  const char* binary;
  std::vector<std::string> required;  // a minimal valid set of flags
  std::vector<std::string> flags;     // every flag --help must explain
};

std::vector<Node> nodes() {
  std::vector<Node> all{
      {GRID_BALANCER_BIN, {}, {"--frontend", "--backend", "--heartbeats", "--policy", "--heartbeat-ms", "--liveness",
                               "--dispatch-timeout-ms", "--warmup-ms", "--max-in-flight", "--metrics", "--log-level",
                               "--topology", "--curve-secret", "--curve-allow-substations", "--curve-allow-clients"}},
      {GRID_SUBSTATION_BIN,
       {"--id", "x", "--capacity-kw", "1", "--balancer", "tcp://127.0.0.1:1", "--heartbeats", "tcp://127.0.0.1:2"},
       {"--id", "--capacity-kw", "--balancer", "--heartbeats", "--heartbeat-ms", "--time-scale", "--metrics", "--log-level",
        "--state", "--feeder", "--curve-secret", "--balancer-key"}},
  };
#ifdef GRID_EDGE_BIN
  all.push_back({GRID_EDGE_BIN, {}, {"--listen", "--balancer", "--timeout-ms", "--max-in-flight", "--rate-limit",
                                     "--rate-burst", "--tls-cert", "--tls-key", "--log-level"}});
#endif
#ifdef GRID_LOADGEN_BIN
  all.push_back({GRID_LOADGEN_BIN, {"--target", "tcp://127.0.0.1:1"},
                 {"--target", "--vehicles", "--concurrency", "--rate", "--ramp-s", "--power-kw", "--energy-kwh", "--json"}});
#endif
  return all;
}

std::vector<std::string> with(const Node& node, std::vector<std::string> extra) {
  std::vector<std::string> argv{node.binary};
  argv.insert(argv.end(), node.required.begin(), node.required.end());
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

}  // namespace

TEST_CASE("--help explains every flag and exits 0") {
  for (const auto& node : nodes()) {
    CAPTURE(node.binary);
    const auto result = run({node.binary, "--help"});
    CHECK(result.exit_code == 0);
    for (const auto& flag : node.flags) {
      CAPTURE(flag);
      CHECK(result.output.find(flag) != std::string::npos);
    }
  }
}

TEST_CASE("an unknown flag, a bad value or a missing required flag is a clear error with a non-zero exit") {
  for (const auto& node : nodes()) {
    CAPTURE(node.binary);
    auto result = run(with(node, {"--no-such-flag"}));
    CHECK(result.exit_code != 0);
    CHECK(result.output.find("no-such-flag") != std::string::npos);

    result = run(with(node, {"--log-level", "loud"}));
    CHECK(result.exit_code != 0);
    CHECK(result.output.find("log-level") != std::string::npos);
    if (!node.required.empty()) {
      result = run({node.binary});
      CHECK(result.exit_code != 0);
      CHECK(result.output.find("required") != std::string::npos);
    }
  }
  auto result = run({GRID_BALANCER_BIN, "--policy", "fastest"});
  CHECK(result.exit_code != 0);
  CHECK(result.output.find("fastest") != std::string::npos);
  result = run({GRID_BALANCER_BIN, "--liveness", "0"});
  CHECK(result.exit_code != 0);
  result = run({GRID_BALANCER_BIN, "--frontend", "localhost:5555"});
  CHECK(result.exit_code != 0);
  CHECK(result.output.find("ZeroMQ endpoint") != std::string::npos);
  result = run({GRID_SUBSTATION_BIN, "--id", "x", "--capacity-kw", "-5", "--balancer", "tcp://a:1", "--heartbeats",
                "tcp://a:2"});
  CHECK(result.exit_code != 0);
  result = run({GRID_SUBSTATION_BIN, "--id", "x", "--capacity-kw", "5", "--balancer", "tcp://a:1", "--heartbeats",
                "tcp://a:2", "--metrics", "nowhere"});
  CHECK(result.exit_code != 0);
  CHECK(result.output.find("HOST:PORT") != std::string::npos);
}

TEST_CASE("issue 9.3: every decimal flag of every node refuses NaN and infinities with a clear error") {
  const std::vector<std::string> substation{GRID_SUBSTATION_BIN, "--id", "x", "--balancer", "tcp://a:1",
                                            "--heartbeats", "tcp://a:2"};
  struct Case {
    std::vector<std::string> base;
    std::string flag;
    std::string good;
  };
  const std::vector<Case> cases = {
      {substation, "--capacity-kw", "100"},
      {{GRID_SUBSTATION_BIN, "--id", "x", "--capacity-kw", "5", "--balancer", "tcp://a:1", "--heartbeats", "tcp://a:2"},
       "--time-scale", "1"},
      {{GRID_LOADGEN_BIN, "--target", "tcp://127.0.0.1:1", "--vehicles", "1"}, "--power-kw", "11"},
      {{GRID_LOADGEN_BIN, "--target", "tcp://127.0.0.1:1", "--vehicles", "1"}, "--energy-kwh", "20"},
      {{GRID_LOADGEN_BIN, "--target", "tcp://127.0.0.1:1", "--vehicles", "1"}, "--rate", "10"},
      {{GRID_LOADGEN_BIN, "--target", "tcp://127.0.0.1:1", "--vehicles", "1"}, "--ramp-s", "1"},
      {{GRID_EDGE_BIN}, "--rate-limit", "5"},
      {{GRID_EDGE_BIN, "--rate-limit", "5"}, "--rate-burst", "10"},
  };
  for (const auto& c : cases) {
    for (const std::string bad : {"nan", "NaN", "inf", "-inf", "infinity", "1e999"}) {
      CAPTURE(c.flag);
      CAPTURE(bad);
      auto args = c.base;
      args.push_back(c.flag);
      args.push_back(bad);
      args.push_back("--help");  // a refused value fails before --help would print and exit 0
      const auto result = run(args);
      CHECK(result.exit_code != 0);
      CHECK(result.output.find(c.flag) != std::string::npos);
    }
  }
  // The loadgen's capacity weights go through the same check.
  const auto result = run({GRID_LOADGEN_BIN, "--target", "tcp://127.0.0.1:1", "--vehicles", "1", "--capacity", "north=nan", "--help"});
  CHECK(result.exit_code != 0);
}

TEST_CASE("issue 9.8: --liveness 1 is refused: one late heartbeat is jitter, not death") {
  const auto result = run({GRID_BALANCER_BIN, "--liveness", "1"});
  CHECK(result.exit_code != 0);
  CHECK(result.output.find("liveness") != std::string::npos);
  CHECK(run({GRID_BALANCER_BIN, "--help"}).output.find("at least 2") != std::string::npos);
}

TEST_CASE("a port that cannot be bound is a clear error at start, not a hang") {
  ChildProcess first("balancer", {GRID_BALANCER_BIN, "--frontend", "tcp://127.0.0.1:*", "--backend", "tcp://127.0.0.1:*",
                                  "--heartbeats", "tcp://127.0.0.1:*", "--metrics", "127.0.0.1:0"});
  const int port = grid::test::free_port();
  ChildProcess holder("holder", {GRID_BALANCER_BIN, "--frontend", "tcp://127.0.0.1:" + std::to_string(port),
                                 "--backend", "tcp://127.0.0.1:*", "--heartbeats", "tcp://127.0.0.1:*", "--metrics",
                                 "127.0.0.1:0"});
  REQUIRE(grid::test::wait_for_port(port));
  const auto result = run({GRID_BALANCER_BIN, "--frontend", "tcp://127.0.0.1:" + std::to_string(port), "--backend",
                           "tcp://127.0.0.1:*", "--heartbeats", "tcp://127.0.0.1:*", "--metrics", "127.0.0.1:0"});
  CHECK(result.exit_code == 1);
  CHECK(result.output.find("cannot start") != std::string::npos);
  // Issue 9.9: the error names the endpoint, not only "Address already in use".
  CHECK(result.output.find("tcp://127.0.0.1:" + std::to_string(port)) != std::string::npos);
}
