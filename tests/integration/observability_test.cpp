// The queries people read in Grafana and the alert rules, run for real: the native grid (balancer,
// three substations, the edge) scraped by a real Prometheus configured by scripts/prometheus-native
// from compose/prometheus/prometheus.yml. Every expression of the dashboard and of alerts.yml is
// read from those files at test time (tests/observability/extract_queries.py) and evaluated over
// Prometheus's HTTP API: none may fail, and those that must have data on a loaded grid must have it.
#include <doctest/doctest.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cluster.h"
#include "support/grid_client.h"
#include "support/http_get.h"
#include "support/wait.h"

using namespace grid;
using namespace grid::test;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string source_dir = GRID_SOURCE_DIR;

bool on_path(const std::string& program) {
  std::istringstream path(std::getenv("PATH") ? std::getenv("PATH") : "");
  for (std::string dir; std::getline(path, dir, ':');) {
    if (!dir.empty() && access((dir + "/" + program).c_str(), X_OK) == 0) return true;
  }
  return false;
}

// stdout of a shell command and its exit status.
std::pair<std::string, int> run_command(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return {"", -1};
  std::string output;
  std::array<char, 4096> buffer{};
  for (std::size_t got; (got = fread(buffer.data(), 1, buffer.size(), pipe.get())) > 0;) output.append(buffer.data(), got);
  const int status = pclose(pipe.release());
  return {output, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

std::string url_encode(const std::string& text) {
  static const char* hex = "0123456789ABCDEF";
  std::string encoded;
  for (const unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      encoded += static_cast<char>(c);
    } else {
      encoded += {'%', hex[c >> 4], hex[c & 15]};
    }
  }
  return encoded;
}

struct Query {
  std::string expect;  // data | succeeds | may-be-empty (see extract_queries.py)
  std::string where;
  std::string expr;
};

std::vector<Query> dashboard_and_alert_queries(const std::string& rate_interval) {
  // Named, not a structured binding: clang 14 cannot capture a binding in REQUIRE_MESSAGE.
  const auto ran = run_command("python3 " + source_dir + "/tests/observability/extract_queries.py --rate-interval " +
                                            rate_interval);
  const std::string& output = ran.first;
  REQUIRE_MESSAGE(ran.second == 0, "extract_queries.py failed:\n" << output);
  std::vector<Query> queries;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    const auto first = line.find('\t');
    const auto second = line.find('\t', first + 1);
    REQUIRE_MESSAGE(second != std::string::npos, "bad line from extract_queries.py: " << line);
    queries.push_back({line.substr(0, first), line.substr(first + 1, second - first - 1), line.substr(second + 1)});
  }
  return queries;
}

// A Prometheus HTTP API answer as JSON; null when Prometheus did not answer, discarded when the
// answer is not JSON.
json api_get(int port, const std::string& target) {
  const auto reply = http_get(port, target);
  if (!reply) return nullptr;
  return json::parse(reply->body, nullptr, false);  // http_get has already undone any chunking
}

// A fresh directory for Prometheus's data, removed however the test ends.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char pattern[] = "/tmp/grid-prometheus-test-XXXXXX";
    if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

json instant_query(int port, const std::string& expr) {
  return api_get(port, "/api/v1/query?query=" + url_encode(expr));
}

bool succeeded(const json& answer) { return answer.is_object() && answer.value("status", "") == "success"; }

bool has_data(const json& answer) {
  const auto data = answer.value("data", json::object());
  const auto type = data.value("resultType", "");
  if (type == "scalar" || type == "string") return true;
  return !data.value("result", json::array()).empty();
}

// The single value of a one-series query, or -1.
double single_value(int port, const std::string& expr) {
  auto answer = instant_query(port, expr);
  if (!succeeded(answer) || answer["data"]["result"].size() != 1) return -1;
  return std::stod(answer["data"]["result"][0]["value"][1].get<std::string>());
}

bool alert_active(int port, const std::string& name, const std::string& substation) {
  auto answer = api_get(port, "/api/v1/alerts");
  if (!succeeded(answer)) return false;
  for (const auto& alert : answer["data"]["alerts"]) {
    if (alert["labels"].value("alertname", "") == name && alert["labels"].value("substation", "") == substation) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("every dashboard and alert query runs on a real Prometheus scraping the native grid") {
  if (!on_path("prometheus")) {
    MESSAGE("skipped: no prometheus binary on PATH (scripts/install-deps installs it)");
    return;
  }
  // One feeder over the three, so the feeder panels and alerts have series to show.
  const auto topology = std::filesystem::temp_directory_path() / ("grid-topology-" + std::to_string(getpid()) + ".json");
  std::ofstream(topology) << R"({"feeders": [{"id": "feeder-a", "limit_kw": 500, "substations": ["north", "south", "east"]}]})";
  Cluster cluster({.balancer_extra = {"--topology", topology.string()}});
  cluster.start_balancer();
  cluster.add_substation("north", 300);
  cluster.add_substation("south", 200);
  cluster.add_substation("east", 100);
  std::vector<std::string> native{source_dir + "/scripts/prometheus-native", "--balancer",
                                  "127.0.0.1:" + std::to_string(cluster.balancer_metrics_port())};
  for (const auto& s : cluster.substations()) {
    native.insert(native.end(), {"--substation", s.id + "=127.0.0.1:" + std::to_string(s.metrics_port)});
  }
  bool with_edge = false;
#ifdef GRID_EDGE_BIN
  native.insert(native.end(), {"--edge", "127.0.0.1:" + std::to_string(cluster.start_edge())});
  with_edge = true;
#else
  MESSAGE("grid-edge is not built: the edge's queries are not checked");
#endif
  zmq::context_t context;
  GridClient client(context, cluster.frontend());
  REQUIRE_MESSAGE(wait_until([&] { return client.live_substations() == 3u; }), cluster.logs());

  const TempDir data_dir;
  const int port = free_port();
  native.insert(native.end(), {"--listen", "127.0.0.1:" + std::to_string(port), "--data-dir", data_dir.path.string(),
                               "--scrape-interval", "1s"});
  ChildProcess prometheus("prometheus", native);
  REQUIRE_MESSAGE(wait_for_port(port, 30'000), prometheus.log());

  // Every target scraped and up: balancer, three substations, the edge, Prometheus itself.
  const double targets = with_edge ? 6 : 5;
  REQUIRE_MESSAGE(wait_until([&] { return single_value(port, "count(up == 1)") == targets; }, 30s),
                  prometheus.log() << "\ntargets: " << api_get(port, "/api/v1/targets").dump(1));

  // Load: 40 EVs of 11 kW (440 of the grid's 600 kW), through the edge when there is one, once
  // the edge hears the balancer (before that it answers 504 at once).
  if (with_edge) {
    REQUIRE_MESSAGE(wait_until([&] {
                      const auto health = http_get(cluster.edge_port(), "/healthz");
                      return health && health->status == 200;
                    }),
                    cluster.logs());
  }
  const int vehicles = 40;
  for (int i = 0; i < vehicles; ++i) {
    const std::string vehicle = "EV-" + std::to_string(i);
    if (with_edge) {
      const auto reply = http_request(cluster.edge_port(), "POST", "/charge",
                                      R"({"vehicle_id":")" + vehicle + R"(","power_kw":11,"energy_kwh":20})",
                                      "application/json");
      REQUIRE_MESSAGE(reply, cluster.logs());
      CHECK_MESSAGE(reply->status == 200, reply->body);
    } else {
      const auto reply = client.charge({"r" + std::to_string(i), vehicle, 11, 20});
      REQUIRE_MESSAGE(reply, cluster.logs());
      CHECK(reply->outcome == proto::Outcome::charging);
    }
  }
  // The event to wait for: Prometheus holds the scrape that saw the last session start.
  REQUIRE(wait_until([&] { return single_value(port, "sum(substation_sessions_started_total)") == vehicles; }, 20s));

  // The substation label: one series per substation, the same on the node's own series and on
  // the `up` Prometheus makes; honor_labels left no exported_substation behind.
  CHECK(single_value(port, "count(count by (substation) (up{job=\"substation\"}))") == 3);
  CHECK(single_value(port, "count(substation_load_kw{substation=~\"north|south|east\"})") == 3);
  const auto exported = instant_query(port, "{exported_substation!=\"\"}");
  CHECK(succeeded(exported));
  CHECK_FALSE(has_data(exported));

  const auto queries = dashboard_and_alert_queries("30s");
  REQUIRE(queries.size() > 20);
  int checked = 0;
  for (const auto& query : queries) {
    if (!with_edge && query.expr.find("edge_") != std::string::npos) continue;
    CAPTURE(query.where);
    CAPTURE(query.expr);
    json answer;
    // A series born with the load needs a second scrape before rate() sees it: retry until the
    // data is there, within a bound. An error is not transient and fails at once.
    wait_until(
        [&] {
          answer = instant_query(port, query.expr);
          if (!succeeded(answer)) return true;
          return query.expect != "data" || has_data(answer);
        },
        10s, 100ms);
    CHECK_MESSAGE(succeeded(answer), (answer.is_discarded() ? "no JSON from Prometheus" : answer.dump()));
    if (query.expect == "data" && succeeded(answer)) {
      CHECK_MESSAGE(has_data(answer), "empty result where the loaded grid must have data");
    }
    ++checked;
  }
  MESSAGE(checked << " expressions evaluated");

  // The rules as Prometheus runs them: every rule evaluated, none in error.
  json groups;
  REQUIRE(wait_until(
      [&] {
        auto answer = api_get(port, "/api/v1/rules");
        if (!succeeded(answer)) return false;
        groups = answer["data"]["groups"];
        if (!groups.is_array() || groups.empty()) return false;
        for (const auto& group : groups)
          for (const auto& rule : group.value("rules", json::array()))
            if (rule.value("health", "unknown") == "unknown") return false;
        return true;
      },
      10s));
  for (const auto& group : groups) {
    for (const auto& rule : group.value("rules", json::array())) {
      CHECK_MESSAGE(rule.value("health", "") == "ok", rule.dump());
    }
  }

  // End to end: pull the plug on a substation; its alerts go pending (their `for` runs from here).
  cluster.kill_substation("east");
  CHECK_MESSAGE(wait_until([&] { return alert_active(port, "SubstationDown", "east"); }, 20s),
                api_get(port, "/api/v1/alerts").dump(1));
  CHECK_MESSAGE(wait_until([&] { return alert_active(port, "SubstationScrapeFailing", "east"); }, 20s),
                api_get(port, "/api/v1/alerts").dump(1));

  CHECK(prometheus.terminate() == 0);
}
