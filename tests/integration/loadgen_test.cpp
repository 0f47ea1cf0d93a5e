// grid-loadgen as a process against a real grid (over ZeroMQ, and over HTTP once the edge is
// built), against a target that is down, and against a fake balancer that never answers.
#include <doctest/doctest.h>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "cluster.h"
#include "grid/transport/sockets.h"
#include "grid/transport/wire.h"
#include "support/grid_client.h"
#include "support/wait.h"

using namespace grid;
using namespace grid::test;
using namespace std::chrono_literals;

#ifdef GRID_LOADGEN_BIN
namespace {

struct LoadgenRun {
  int exit_code = -1;
  nlohmann::json summary;  // null when the JSON file was not written
  std::string log;
};

std::string json_path() {
  static std::atomic<int> counter{0};
  return (std::filesystem::temp_directory_path() /
          ("grid-loadgen-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + ".json"))
      .string();
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) return nullptr;
  auto json = nlohmann::json::parse(in, nullptr, false);
  std::filesystem::remove(path);
  return json.is_discarded() ? nlohmann::json(nullptr) : json;
}

// Runs grid-loadgen to its end (bounded) and collects its exit code, JSON summary and output.
LoadgenRun run_loadgen(const std::string& target, std::vector<std::string> flags, int limit_ms = 60'000) {
  const std::string path = json_path();
  std::vector<std::string> argv{GRID_LOADGEN_BIN, "--target", target, "--json", path};
  argv.insert(argv.end(), flags.begin(), flags.end());
  ChildProcess loadgen("loadgen", argv);
  LoadgenRun run;
  run.exit_code = loadgen.wait(limit_ms);
  run.log = loadgen.log();
  run.summary = read_json(path);
  return run;
}

// A grid of three substations of different capacities, ready when the balancer counts all three.
void start_grid(Cluster& cluster) {
  cluster.start_balancer();
  cluster.add_substation("north", 300);
  cluster.add_substation("south", 200);
  cluster.add_substation("east", 100);
  zmq::context_t context;
  GridClient client(context, cluster.frontend());
  REQUIRE_MESSAGE(wait_until([&] { return client.live_substations() == 3u; }), cluster.logs());
}

const std::vector<std::string> capacity_flags{"--capacity", "north=300", "--capacity", "south=200",
                                              "--capacity", "east=100"};

// 200 vehicles of 2 kW: 400 kW of the grid's 600, so every one is admitted, spread by capacity.
void check_rush_hour(const LoadgenRun& run, const Cluster& cluster) {
  INFO(run.log);
  INFO(cluster.logs());
  CHECK(run.exit_code == 0);
  REQUIRE(run.summary.is_object());
  CHECK(run.summary["outcomes"]["charging"] == 200);
  CHECK(run.summary["finished"] == 200);
  CHECK(run.summary["weighted_by_capacity"] == true);
  for (const auto& expected : {std::pair{"north", 0.5}, {"south", 1.0 / 3}, {"east", 1.0 / 6}}) {
    const char* id = expected.first;  // named: clang 14 cannot CAPTURE a structured binding
    CAPTURE(id);
    CHECK(run.summary["substations"][id]["share"].get<double>() == doctest::Approx(expected.second).epsilon(0.25));
  }
  CHECK(run.summary["imbalance"].get<double>() < 1.3);
  CHECK(run.summary["latency_ms"]["answered"] == 200);
  CHECK(run.log.find("throughput") != std::string::npos);  // the printed summary
}

// A balancer frontend that answers pings (so the load generator starts) but never a request; or,
// with `admit`, answers every request "charging" at a substation named after `admit`.
class SilentBalancer {
public:
  explicit SilentBalancer(std::string admit = {})
      : admit_(std::move(admit)),
        socket_(transport::make_socket(context_, zmq::socket_type::router)),
        endpoint_((socket_.bind("tcp://127.0.0.1:*"), transport::last_endpoint(socket_))),
        thread_([this] { serve(); }) {}
  ~SilentBalancer() {
    done_ = true;
    thread_.join();
  }
  const std::string& endpoint() const { return endpoint_; }
  std::size_t requests() const { return requests_; }
  std::set<std::string> vehicles() const {
    std::lock_guard lock(mutex_);
    return vehicles_;
  }
  std::size_t distinct_request_ids() const {
    std::lock_guard lock(mutex_);
    return request_ids_.size();
  }

private:
  void serve() {
    while (!done_) {
      zmq::pollitem_t item{socket_.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 10ms);
      while (auto inbound = transport::receive_message(socket_, true)) {
        const auto* message = std::get_if<proto::Message>(&inbound->message);
        if (!message) continue;
        if (const auto* ping = std::get_if<proto::Ping>(message)) {
          transport::send_message(socket_, proto::Pong{ping->nonce, 3}, inbound->routing_id);
        } else if (const auto* request = std::get_if<proto::ChargeRequest>(message)) {
          std::lock_guard lock(mutex_);
          vehicles_.insert(request->vehicle_id);
          request_ids_.insert(request->request_id);
          ++requests_;
          if (!admit_.empty()) {
            proto::ChargeReply reply{.request_id = request->request_id, .outcome = proto::Outcome::charging,
                                     .session_id = admit_ + "-" + request->request_id, .substation_id = admit_,
                                     .power_kw = request->power_kw};
            transport::send_message(socket_, reply, inbound->routing_id);
          }
        }
      }
    }
  }

  std::string admit_;
  zmq::context_t context_;
  zmq::socket_t socket_;
  std::string endpoint_;
  std::atomic<bool> done_{false};
  std::atomic<std::size_t> requests_{0};
  mutable std::mutex mutex_;
  std::set<std::string> vehicles_;
  std::set<std::string> request_ids_;
  std::thread thread_;  // last: starts once everything it uses exists
};

}  // namespace

TEST_CASE("grid-loadgen over ZeroMQ: 200 vehicles all charging, spread by capacity") {
  Cluster cluster;
  start_grid(cluster);
  auto flags = capacity_flags;
  flags.insert(flags.end(), {"--vehicles", "200", "--concurrency", "32", "--power-kw", "2", "--energy-kwh", "20"});
  const auto run = run_loadgen(cluster.frontend(), flags);
  check_rush_hour(run, cluster);
  CHECK(run.summary["mode"] == "zmq");
}

#ifdef GRID_EDGE_BIN
TEST_CASE("grid-loadgen over HTTP through the edge: 200 vehicles all charging, spread by capacity") {
  Cluster cluster;
  start_grid(cluster);
  const int port = cluster.start_edge();
  auto flags = capacity_flags;
  flags.insert(flags.end(), {"--vehicles", "200", "--concurrency", "32", "--power-kw", "2", "--energy-kwh", "20"});
  const auto run = run_loadgen("http://127.0.0.1:" + std::to_string(port), flags);
  check_rush_hour(run, cluster);
  CHECK(run.summary["mode"] == "http");
}
#endif

TEST_CASE("grid-loadgen fails when nothing listens at its target") {
  const int port = free_port();
  SUBCASE("over ZeroMQ") {
    const auto run = run_loadgen("tcp://127.0.0.1:" + std::to_string(port), {"--vehicles", "20", "--timeout-ms", "300"});
    INFO(run.log);
    CHECK(run.exit_code == 1);
    REQUIRE(run.summary.is_object());
    CHECK(run.summary["finished"] == 20);
    CHECK(run.summary["outcomes"]["charging"] == 0);
    CHECK(run.summary["outcomes"]["error"].get<int>() + run.summary["outcomes"]["timeout"].get<int>() == 20);
  }
  SUBCASE("over HTTP") {
    const auto run = run_loadgen("http://127.0.0.1:" + std::to_string(port), {"--vehicles", "20", "--timeout-ms", "300"});
    INFO(run.log);
    CHECK(run.exit_code == 1);
    REQUIRE(run.summary.is_object());
    CHECK(run.summary["outcomes"]["error"] == 20);
  }
}

TEST_CASE("grid-loadgen against a balancer that never answers: well-formed requests, then timeouts") {
  SilentBalancer balancer;
  const auto run = run_loadgen(balancer.endpoint(), {"--vehicles", "10", "--concurrency", "4", "--timeout-ms", "300"});
  INFO(run.log);
  CHECK(run.exit_code == 1);
  REQUIRE(run.summary.is_object());
  CHECK(run.summary["outcomes"]["timeout"] == 10);
  CHECK(run.summary["latency_ms"].is_null());
  CHECK(balancer.requests() == 10);
  CHECK(balancer.distinct_request_ids() == 10);
  CHECK(balancer.vehicles().contains("EV-1"));
  CHECK(balancer.vehicles().contains("EV-10"));
}

TEST_CASE("grid-loadgen spreads its requests over several balancers and skips one that is down") {
  SilentBalancer a("sub-a");
  SilentBalancer b("sub-b");
  const std::string down = "tcp://127.0.0.1:" + std::to_string(free_port());
  // Repeated and as a comma list: the same three targets.
  const auto run = run_loadgen(a.endpoint(), {"--target", b.endpoint() + "," + down, "--vehicles", "100",
                                              "--concurrency", "8", "--timeout-ms", "1000"});
  INFO(run.log);
  CHECK(run.exit_code == 0);
  REQUIRE(run.summary.is_object());
  CHECK(run.summary["outcomes"]["charging"] == 100);
  // Round robin over the two that are up: half each; the one down got nothing and cost no request.
  CHECK(a.requests() == 50);
  CHECK(b.requests() == 50);
  CHECK(run.summary["targets"][a.endpoint()] == nlohmann::json{{"sent", 50}, {"answered", 50}});
  CHECK(run.summary["targets"][b.endpoint()] == nlohmann::json{{"sent", 50}, {"answered", 50}});
  CHECK(run.summary["targets"][down] == nlohmann::json{{"sent", 0}, {"answered", 0}});
  CHECK(run.summary["substations"]["sub-a"]["sessions"] == 50);
  CHECK(run.summary["target"] == a.endpoint() + "," + b.endpoint() + "," + down);
  CHECK(run.log.find("ZeroMQ spread over the balancers") != std::string::npos);
  CHECK(a.distinct_request_ids() + b.distinct_request_ids() == 100);  // no request sent twice
}

TEST_CASE("grid-loadgen over ZeroMQ to the two balancers of one grid: every car admitted, both do their share") {
  Cluster cluster({.balancers = 2});
  cluster.start_balancer();
  cluster.add_substation("north", 300);
  cluster.add_substation("south", 200);
  cluster.add_substation("east", 100);
  zmq::context_t context;
  for (std::size_t i = 0; i < 2; ++i) {
    GridClient client(context, cluster.frontend(i));
    REQUIRE_MESSAGE(wait_until([&] { return client.live_substations() == 3u; }), cluster.logs());
  }
  auto flags = capacity_flags;
  flags.insert(flags.end(), {"--target", cluster.frontend(1), "--vehicles", "200", "--concurrency", "32",
                             "--power-kw", "2", "--energy-kwh", "20"});
  const auto run = run_loadgen(cluster.frontend(0), flags);
  check_rush_hour(run, cluster);
  for (std::size_t i = 0; i < 2; ++i) {
    CAPTURE(i);
    // Round robin over two live balancers: half each, every one answered by the balancer it went to.
    CHECK(run.summary["targets"][cluster.frontend(i)] == nlohmann::json{{"sent", 100}, {"answered", 100}});
  }
  CHECK(cluster.none_overloaded());
}

TEST_CASE("grid-loadgen refuses several targets where it cannot use them") {
  const auto trace = run_loadgen("tcp://127.0.0.1:1", {"--target", "tcp://127.0.0.1:2", "--trace", "x.csv"});
  CHECK(trace.exit_code == 1);
  CHECK(trace.log.find("a trace replay (--trace) goes to one --target") != std::string::npos);
  const auto twice = run_loadgen("tcp://127.0.0.1:1", {"--target", "tcp://127.0.0.1:1"});
  CHECK(twice.exit_code != 0);
  CHECK(twice.log.find("twice") != std::string::npos);
}

TEST_CASE("SIGTERM stops grid-loadgen within a second, with the summary of what finished") {
  SilentBalancer balancer;
  const std::string path = json_path();
  ChildProcess loadgen("loadgen", {GRID_LOADGEN_BIN, "--target", balancer.endpoint(), "--vehicles", "100",
                                   "--concurrency", "5", "--timeout-ms", "60000", "--json", path});
  REQUIRE_MESSAGE(wait_until([&] { return balancer.requests() == 5; }), loadgen.log());
  const auto start = std::chrono::steady_clock::now();
  CHECK(loadgen.terminate(1000) == 128 + SIGTERM);
  CHECK(std::chrono::steady_clock::now() - start < 1s);
  const auto summary = read_json(path);
  INFO(loadgen.log());
  REQUIRE(summary.is_object());
  CHECK(summary["interrupted"] == true);
  CHECK(summary["finished"] == 0);
  CHECK(loadgen.log().find("INTERRUPTED") != std::string::npos);
}

#endif  // GRID_LOADGEN_BIN
