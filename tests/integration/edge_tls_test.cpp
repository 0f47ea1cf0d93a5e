// grid-edge with --tls-cert and --tls-key in front of a real grid: curl completes POST /charge
// over HTTPS, plain HTTP to that port gets no HTTP answer, the edge keeps serving TLS clients, and
// a bad certificate stops the start; grid-loadgen replays a trace over HTTPS when it trusts the
// certificate, and gets nothing through when it does not. The certificate is made here, per run,
// with the openssl CLI.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cluster.h"
#include "loadgen_process.h"
#include "support/http_get.h"
#include "support/process.h"
#include "support/self_signed.h"
#include "support/wait.h"

using namespace grid::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

std::string https(int port, const std::string& path) { return "https://127.0.0.1:" + std::to_string(port) + path; }

}  // namespace

TEST_CASE("edge over TLS: curl charges over HTTPS, plain HTTP is refused, and the edge keeps serving") {
  SelfSigned certificate;
  Cluster cluster;
  cluster.start_balancer();
  cluster.add_substation("north", 100);
  const int port = cluster.start_edge({"--tls-cert", certificate.cert, "--tls-key", certificate.key});
  const bool healthy = wait_until(
      [&] {
        const auto reply = curl(certificate.cert, {https(port, "/healthz")});
        return reply.status() == 200 && json::parse(reply.body(), nullptr, false).value("live_substations", 0) == 1;
      },
      10s, 50ms);
  REQUIRE_MESSAGE(healthy, cluster.logs());

  const auto charge = [&](const std::string& vehicle) {
    return curl(certificate.cert, {"-X", "POST", "-H", "Content-Type: application/json", "-d",
                                   json{{"vehicle_id", vehicle}, {"power_kw", 11}}.dump(), https(port, "/charge")});
  };
  const auto first = charge("EV-TLS-1");
  CHECK(first.exit_code == 0);
  REQUIRE_MESSAGE(first.status() == 200, first.output);
  const auto body = json::parse(first.body());
  CHECK(body["status"] == "charging");
  CHECK(body["substation"] == "north");

  // Plain HTTP to the TLS port: the handshake fails, the edge closes, no HTTP answer comes back.
  const auto plain = raw_exchange(port, "POST /charge HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                        "Content-Length: 2\r\nConnection: close\r\n\r\n{}");
  CHECK(plain.closed_by_server);
  CHECK(plain.received.find("HTTP/") == std::string::npos);
  CHECK_FALSE(http_get(port, "/healthz"));

  // TLS 1.1 is refused at the handshake too.
  const auto old = curl(certificate.cert, {"--tlsv1.1", "--tls-max", "1.1", https(port, "/healthz")});
  CHECK(old.exit_code != 0);

  const auto after = charge("EV-TLS-2");
  CHECK(after.exit_code == 0);
  CHECK_MESSAGE(after.status() == 200, after.output);
  CHECK(cluster.edge().running());
}

TEST_CASE("edge over TLS: a certificate or key that cannot be loaded stops the start with a clear error") {
  SelfSigned certificate;
  TempDir dir;
  const auto garbage = (dir.path / "garbage.pem").string();
  std::ofstream(garbage) << "not a certificate\n";
  SelfSigned other;  // a valid key that belongs to another certificate

  struct Row {
    std::string cert;
    std::string key;
    std::string says;
  };
  const std::vector<Row> table{{garbage, certificate.key, "cannot load TLS certificate " + garbage},
                               {certificate.cert, garbage, "cannot load TLS private key " + garbage},
                               {certificate.cert, other.key, other.key}};
  for (const auto& row : table) {
    CAPTURE(row.cert);
    CAPTURE(row.key);
    ChildProcess edge("edge", {GRID_EDGE_BIN, "--listen", "127.0.0.1:" + std::to_string(free_port()), "--tls-cert",
                               row.cert, "--tls-key", row.key});
    CHECK(edge.wait(10000) == 1);
    CHECK_MESSAGE(edge.log().find(row.says) != std::string::npos, edge.log());
  }
}

#ifdef GRID_LOADGEN_BIN
TEST_CASE("edge over TLS: grid-loadgen replays a trace over HTTPS with --ca-file, and refuses an unknown certificate") {
  SelfSigned certificate;
  Cluster cluster;
  cluster.start_balancer();
  cluster.add_substation("north", 100);
  const int port = cluster.start_edge({"--tls-cert", certificate.cert, "--tls-key", certificate.key});
  REQUIRE_MESSAGE(wait_until([&] { return curl(certificate.cert, {https(port, "/healthz")}).status() == 200; }, 10s, 50ms),
                  cluster.logs());
  // Eight cars over two grid minutes, played 60 times faster: two real seconds.
  const std::string trace = (certificate.dir.path / "cars.csv").string();
  {
    std::ofstream file(trace);
    file << "arrival_s,departure_s,energy_kwh,max_power_kw\n";
    for (int car = 0; car < 8; ++car) file << car * 10 << "," << 60 + car * 10 << ",1,7.4\n";
  }
  const std::vector<std::string> replay{"--trace", trace, "--time-scale", "60", "--sample-ms", "50",
                                        "--timeout-ms", "2000"};

  for (const auto& target : {https(port, ""), "https://localhost:" + std::to_string(port)}) {
    CAPTURE(target);
    auto flags = replay;
    flags.insert(flags.end(), {"--ca-file", certificate.cert});
    const auto run = run_loadgen_process(GRID_LOADGEN_BIN, target, flags);
    INFO(run.log);
    CHECK(run.exit_code == 0);
    REQUIRE(run.summary.is_object());
    CHECK(run.summary["target"] == target);
    CHECK(run.summary["trace"]["admitted"] == 8);
    CHECK(run.summary["trace"]["failed"] == 0);
  }

  // The system's CAs alone do not know a self-signed certificate: nothing gets through, and the
  // run says why. --insecure skips the check (encrypted all the same).
  const auto untrusted = run_loadgen_process(GRID_LOADGEN_BIN, https(port, ""), replay);
  CHECK(untrusted.exit_code != 0);
  CHECK_MESSAGE(untrusted.log.find("certificate verify failed") != std::string::npos, untrusted.log);
  if (untrusted.summary.is_object()) CHECK(untrusted.summary["trace"]["admitted"] == 0);
  auto insecure = replay;
  insecure.push_back("--insecure");
  const auto skipped = run_loadgen_process(GRID_LOADGEN_BIN, https(port, ""), insecure);
  INFO(skipped.log);
  CHECK(skipped.exit_code == 0);
}
#endif
