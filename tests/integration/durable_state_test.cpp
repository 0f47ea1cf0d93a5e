// grid-substation --state as a process: killed with SIGKILL and restarted on the same file, it
// comes back with its sessions and admits no car on top of them; a file it must not use stops it
// at start with a clear message and a non-zero exit.
#include <doctest/doctest.h>

#include <fstream>

#include "cluster.h"
#include "support/grid_client.h"
#include "support/http_get.h"
#include "support/wait.h"

using namespace grid;
using namespace grid::test;
using namespace std::chrono_literals;

namespace {

std::vector<std::string> substation_argv(const Cluster& cluster, const std::string& state, int metrics_port) {
  return {GRID_SUBSTATION_BIN, "--id", "north", "--capacity-kw", "30", "--balancer", cluster.backend_endpoint(),
          "--heartbeats", cluster.heartbeats_endpoint(), "--heartbeat-ms", "100", "--metrics",
          "127.0.0.1:" + std::to_string(metrics_port), "--state", state};
}

// How many of `count` new 11 kW cars (1.4 kW minimum each) the grid admits.
int admit(GridClient& client, const std::string& prefix, int count) {
  int charging = 0;
  for (int i = 0; i < count; ++i) {
    const auto reply = client.charge({.request_id = prefix + std::to_string(i), .vehicle_id = "EV-" + std::to_string(i),
                                      .power_kw = 11, .energy_kwh = 40});
    REQUIRE(reply.has_value());
    if (reply->outcome == proto::Outcome::charging) ++charging;
  }
  return charging;
}

}  // namespace

TEST_CASE("a substation killed with SIGKILL restarts on its state file with its sessions and admits none on top of them") {
  TempDirectory dir;
  const std::string state = dir / "north.db";
  Cluster cluster({.heartbeat_ms = 100, .liveness = 3, .dispatch_timeout_ms = 500});
  cluster.start_balancer();
  zmq::context_t context;
  GridClient client(context, cluster.frontend());
  int metrics_port = free_port();
  auto first = std::make_unique<ChildProcess>("substation north", substation_argv(cluster, state, metrics_port));
  REQUIRE(wait_for_port(metrics_port));
  REQUIRE(wait_until([&] { return client.live_substations() == 1u; }));
  // 30 kW holds 21 minimums of 1.4 kW: 15 now, and after the restart only 6 more.
  REQUIRE(admit(client, "before-", 15) == 15);
  first->kill_hard();

  metrics_port = free_port();
  ChildProcess second("substation north again", substation_argv(cluster, state, metrics_port));
  REQUIRE_MESSAGE(wait_for_port(metrics_port), second.log());
  const auto load = [&] {
    const auto reply = http_get(metrics_port, "/metrics");
    return reply && sample(reply->body, "substation_current_load{substation=\"north\"}") == 15.0;
  };
  CHECK_MESSAGE(wait_until(load), second.log());
  CHECK(wait_until([&] { return second.log().find("restored from") != std::string::npos; }));
  CHECK(second.log().find("15 sessions") != std::string::npos);
  REQUIRE(wait_until([&] { return client.live_substations() == 1u; }, 10s));
  // However the balancer's first jobs to the new process go, the substation admits 6 and no more.
  CHECK(admit(client, "after-", 30) == 6);
  const auto metrics = http_get(metrics_port, "/metrics");
  REQUIRE(metrics.has_value());
  CHECK(metrics->body.find("substation_state_commits_total{substation=\"north\"}") != std::string::npos);
  CHECK(metrics->body.find("substation_state_commit_seconds_bucket{substation=\"north\"") != std::string::npos);
}

TEST_CASE("grid-substation refuses a --state file that is not SQLite, or one a running substation holds, and exits non-zero") {
  TempDirectory dir;
  Cluster cluster;
  {
    const std::string notes = dir / "notes.txt";
    std::ofstream(notes) << std::string(4096, 'x');
    ChildProcess refused("substation on notes", substation_argv(cluster, notes, free_port()));
    CHECK(refused.wait(10'000) == 1);
    CHECK(refused.log().find("is not an SQLite database") != std::string::npos);
  }
  const std::string state = dir / "north.db";
  const int port = free_port();
  ChildProcess holder("substation north", substation_argv(cluster, state, port));
  REQUIRE(wait_for_port(port));
  ChildProcess second("second substation north", substation_argv(cluster, state, free_port()));
  CHECK(second.wait(10'000) == 1);
  CHECK(second.log().find("in use by another running grid-substation") != std::string::npos);
  CHECK(holder.running());
}
