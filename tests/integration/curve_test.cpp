// Issue 17, CurveZMQ: with keys on every node the grid works as before; a substation with an
// unknown key, a client key posing as a substation and a substation key claiming another
// substation's id get nothing into the load table, while honest clients keep being served.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cluster.h"
#include "loadgen_process.h"
#include "support/http_get.h"
#include "support/process.h"
#include "support/temp_dir.h"
#include "support/wait.h"

using namespace grid::test;

namespace {

std::string scrape(Cluster& cluster) {
  const auto reply = http_get(cluster.balancer_metrics_port(), "/metrics");
  return reply ? reply->body : std::string();
}

bool live(Cluster& cluster, const std::string& id) {
  return sample(scrape(cluster), "balancer_substation_live{substation=\"" + id + "\"}") == 1.0;
}

double counter(Cluster& cluster, const std::string& series) { return sample(scrape(cluster), series).value_or(0); }

}  // namespace

#ifdef GRID_LOADGEN_BIN
TEST_CASE("CURVE on every node: a rush hour over ZeroMQ and a charge through the edge are served") {
  Cluster cluster({.curve = true});
  cluster.start_balancer();
  cluster.add_substation("north", 300);
  cluster.add_substation("south", 200);
  REQUIRE_MESSAGE(wait_until([&] { return live(cluster, "north") && live(cluster, "south"); }), cluster.logs());

  auto flags = cluster.curve_client_flags("loadgen");
  flags.insert(flags.end(), {"--vehicles", "100", "--concurrency", "16", "--power-kw", "2", "--energy-kwh", "20"});
  const auto run = run_loadgen_process(GRID_LOADGEN_BIN, cluster.frontend(), flags);
  INFO(run.log);
  INFO(cluster.logs());
  CHECK(run.exit_code == 0);
  REQUIRE(run.summary.is_object());
  CHECK(run.summary["outcomes"]["charging"] == 100);
  CHECK(counter(cluster, "balancer_auth_refused_total{socket=\"frontend\"}") == 0);
  CHECK(counter(cluster, "balancer_messages_dropped_total{reason=\"identity_mismatch\"}") == 0);
  CHECK(cluster.balancer().log().find("unauthenticated") == std::string::npos);

#ifdef GRID_EDGE_BIN
  const int port = cluster.start_edge();
  // Healthy once its pings are answered: its CURVE handshake with the balancer is done.
  REQUIRE_MESSAGE(wait_until([&] {
    const auto health = http_get(port, "/healthz");
    return health && health->status == 200;
  }), cluster.logs());
  const auto reply = http_request(port, "POST", "/charge", R"({"vehicle_id":"EV-1","power_kw":2})", "application/json");
  REQUIRE_MESSAGE(reply, cluster.logs());
  CHECK_MESSAGE(reply->status == 200, reply->body);
#endif
}

TEST_CASE("CURVE: an unknown key, a client key heartbeating and a stolen id deliver nothing, clients still served") {
  Cluster cluster({.heartbeat_ms = 50, .curve = true});
  cluster.start_balancer();
  cluster.add_substation("north", 100);
  cluster.add_substation("south", 100);
  REQUIRE_MESSAGE(wait_until([&] { return live(cluster, "north") && live(cluster, "south"); }), cluster.logs());

  // An unknown key, a client's key on the substation sockets, and south's key claiming north's id
  // (with another capacity, so a heartbeat that got through would show).
  cluster.add_substation("rogue", 500, {.name = "rogue", .allowed = false});
  cluster.add_substation("posing-edge", 500, {.name = "edge", .allowed = false});
  cluster.add_substation("north", 500, {.name = "south"});

  // They tried: both strangers are refused on both substation sockets, and the impostor's
  // heartbeats are dropped as identity mismatches.
  REQUIRE_MESSAGE(wait_until([&] {
    const auto text = scrape(cluster);
    return sample(text, "balancer_auth_refused_total{socket=\"backend\"}").value_or(0) >= 2 &&
           sample(text, "balancer_auth_refused_total{socket=\"heartbeats\"}").value_or(0) >= 2 &&
           sample(text, "balancer_messages_dropped_total{reason=\"identity_mismatch\"}").value_or(0) >= 3;
  }), cluster.logs());

  // Nothing of theirs is in the load table.
  const auto text = scrape(cluster);
  INFO(text);
  CHECK_FALSE(sample(text, "balancer_substation_live{substation=\"rogue\"}"));
  CHECK_FALSE(sample(text, "balancer_substation_live{substation=\"posing-edge\"}"));
  CHECK(sample(text, "balancer_substation_capacity_kw{substation=\"north\"}") == 100.0);
  CHECK(sample(text, "balancer_substation_id_conflicts_total") == 0.0);
  CHECK(sample(text, "balancer_auth_refused_total{socket=\"frontend\"}") == 0.0);

  // Honest clients are served, only by the honest substations.
  auto flags = cluster.curve_client_flags("loadgen");
  flags.insert(flags.end(), {"--vehicles", "40", "--concurrency", "8", "--power-kw", "2", "--energy-kwh", "20"});
  const auto run = run_loadgen_process(GRID_LOADGEN_BIN, cluster.frontend(), flags);
  INFO(run.log);
  INFO(cluster.logs());
  CHECK(run.exit_code == 0);
  REQUIRE(run.summary.is_object());
  CHECK(run.summary["outcomes"]["charging"] == 40);
  for (const auto& [id, figures] : run.summary["substations"].items()) {
    CAPTURE(id);
    CHECK((id == "north" || id == "south"));
  }
  // The impostor never got north's jobs: north's process admitted sessions.
  CHECK(counter(cluster, "balancer_dispatch_total{outcome=\"accepted\",substation=\"north\"}") > 0);
}

TEST_CASE("CURVE: a client without a key or with a substation key is refused on the frontend") {
  Cluster cluster({.curve = true});
  cluster.start_balancer();
  cluster.add_substation("north", 100);
  REQUIRE(wait_until([&] { return live(cluster, "north"); }));
  for (const auto& key : {std::string("north"), std::string("stranger")}) {
    CAPTURE(key);
    auto flags = cluster.curve_client_flags(key);
    flags.insert(flags.end(), {"--vehicles", "1", "--timeout-ms", "300"});
    const double before = counter(cluster, "balancer_auth_refused_total{socket=\"frontend\"}");
    // The load generator waits for the balancer's answer to a ping, which never comes: it gives up.
    const auto run = run_loadgen_process(GRID_LOADGEN_BIN, cluster.frontend(), flags, 30'000);
    CHECK(run.exit_code != 0);
    CHECK(counter(cluster, "balancer_auth_refused_total{socket=\"frontend\"}") > before);
  }
  CHECK(counter(cluster, "balancer_requests_total{outcome=\"charging\"}") == 0);
}

namespace {

std::string read_text(const std::string& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream file(path, std::ios::trunc);
  file << text;
}

// A few EVs over ZeroMQ with the load generator's key: how many were charging at `id`.
int charging_at(Cluster& cluster, const std::string& id, int vehicles) {
  auto flags = cluster.curve_client_flags("loadgen");
  flags.insert(flags.end(), {"--vehicles", std::to_string(vehicles), "--concurrency", "4", "--power-kw", "2",
                             "--energy-kwh", "20"});
  const auto run = run_loadgen_process(GRID_LOADGEN_BIN, cluster.frontend(), flags);
  INFO(run.log);
  if (run.exit_code != 0 || !run.summary.is_object()) return -1;
  const auto& at = run.summary["substations"];
  return at.contains(id) ? at[id]["sessions"].get<int>() : 0;
}

}  // namespace

// The rotation of docs/operations.md, step by step, against real processes: both keys stand for
// the id while the node restarts with its new secret, then the old key is refused.
TEST_CASE("CURVE key rotation: the new key serves without downtime and the old key is refused afterwards") {
  Cluster cluster({.heartbeat_ms = 50, .curve = true});
  cluster.start_balancer();
  cluster.add_substation("north", 100);
  REQUIRE_MESSAGE(wait_until([&] { return live(cluster, "north"); }), cluster.logs());
  const std::string allow_file = cluster.allow_dir(true) + "/north.key";
  const std::string old_key = read_text(allow_file);
  const std::string new_key = read_text(cluster.curve_key("north-new") + ".key");
  REQUIRE(old_key != new_key);

  // 1. The new public key as a second line of north.key, and SIGHUP: both keys stand for north.
  write_text(allow_file, old_key + new_key);
  cluster.reload_allow_lists();
  CHECK(live(cluster, "north"));

  // 2. North restarts with its new secret and is live again, serving.
  cluster.stop_substation("north");
  // Gone first (three missed heartbeats), so "live" below is the new process, not the old one's echo.
  REQUIRE_MESSAGE(wait_until([&] { return !live(cluster, "north"); }), cluster.logs());
  cluster.add_substation("north", 100, {.name = "north-new", .allowed = false});
  REQUIRE_MESSAGE(wait_until([&] { return live(cluster, "north"); }), cluster.logs());
  CHECK(charging_at(cluster, "north", 10) == 10);

  // 3. The old key's line goes, and SIGHUP: the old key is refused from now on.
  write_text(allow_file, new_key);
  cluster.reload_allow_lists();
  const double refused_before = counter(cluster, "balancer_auth_refused_total{socket=\"backend\"}") +
                                counter(cluster, "balancer_auth_refused_total{socket=\"heartbeats\"}");
  // Someone still holding the old secret tries as north, with another capacity so a heartbeat
  // that got through would show in the load table.
  cluster.add_substation("north", 500, {.name = "north", .allowed = false});
  REQUIRE_MESSAGE(wait_until([&] {
    const auto text = scrape(cluster);
    return sample(text, "balancer_auth_refused_total{socket=\"backend\"}").value_or(0) +
               sample(text, "balancer_auth_refused_total{socket=\"heartbeats\"}").value_or(0) >=
           refused_before + 2;
  }), cluster.logs());
  CHECK(counter(cluster, "balancer_substation_capacity_kw{substation=\"north\"}") == 100.0);
  CHECK(counter(cluster, "balancer_messages_dropped_total{reason=\"identity_mismatch\"}") == 0);

  // 4. The new key keeps serving.
  CHECK(live(cluster, "north"));
  CHECK(charging_at(cluster, "north", 10) == 10);
}
#endif

TEST_CASE("CURVE flags: a half-configured node is a start-up error, a node without them warns once") {
  const auto run = [](std::vector<std::string> argv) {
    ChildProcess process("cli", std::move(argv));
    const int code = process.wait(10'000);
    return std::pair{code, process.log()};
  };
  TempDirectory dir;
  const auto [code, log] = run({GRID_SUBSTATION_BIN, "--id", "x", "--capacity-kw", "1", "--balancer",
                                "tcp://127.0.0.1:1", "--heartbeats", "tcp://127.0.0.1:2", "--curve-secret",
                                "/etc/hostname"});
  CHECK(code != 0);
  CHECK_MESSAGE(log.find("--balancer-key") != std::string::npos, log);
  const auto [balancer_code, balancer_log] =
      run({GRID_BALANCER_BIN, "--curve-allow-clients", dir.path(), "--metrics", "127.0.0.1:0"});
  CHECK(balancer_code != 0);
  CHECK_MESSAGE(balancer_log.find("--curve-secret") != std::string::npos, balancer_log);

  // Without the flags a node starts as before, and says once that it is unauthenticated.
  ChildProcess substation("substation", {GRID_SUBSTATION_BIN, "--id", "x", "--capacity-kw", "1", "--balancer",
                                         "tcp://127.0.0.1:1", "--heartbeats", "tcp://127.0.0.1:2", "--metrics",
                                         "127.0.0.1:" + std::to_string(free_port())});
  REQUIRE(wait_until([&] { return substation.log().find("runs unauthenticated") != std::string::npos; }));
  CHECK(substation.terminate(3000) == 0);
  const auto text = substation.log();
  CHECK(text.find("runs unauthenticated") == text.rfind("runs unauthenticated"));
}
