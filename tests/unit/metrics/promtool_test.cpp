#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "grid/metrics/process_metrics.h"
#include "grid/metrics/registry.h"
#include "grid/metrics/text_format.h"

using namespace grid::metrics;

namespace {

struct CheckResult {
  int exit_code = -1;
  std::string output;
};

// Pipes exposition text through `promtool check metrics`, which parses it and lints the names.
CheckResult promtool_check(const std::string& text) {
  char path[] = "/tmp/grid-metrics-XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(path, std::ios::binary) << text;
  const std::string command = std::string("promtool check metrics < ") + path + " 2>&1";
  CheckResult result;
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[512];
  while (const auto n = std::fread(buffer, 1, sizeof buffer, pipe)) {
    result.output.append(buffer, n);
  }
  const int status = pclose(pipe);
  unlink(path);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace

TEST_CASE("a registry with every metric type passes promtool check metrics") {
  REQUIRE_MESSAGE(std::system("command -v promtool >/dev/null 2>&1") == 0,
                  "promtool is missing: run scripts/install-deps (Debian package prometheus)");
  Registry registry;
  add_process_metrics(registry);
  auto& requests = registry.counter("grid_charge_requests_total", "Charge requests by outcome.", {"outcome"});
  requests.add({{"outcome", "accepted"}}).inc(7);
  requests.add({{"outcome", "say \"no\"\\\nnow"}}).inc();
  registry.gauge("substation_load_kw", "Load of a substation in kW.", {"substation"})
      .add({{"substation", "north"}})
      .set(42.5);
  registry.gauge("substation_current_load", "Active charging sessions.", {"substation"})
      .add({{"substation", "north"}})
      .set(3);
  registry.gauge("grid_odd_values", "Values that need care: NaN and infinities.", {"kind"})
      .add({{"kind", "nan"}})
      .set(NAN);
  registry.gauge("grid_odd_values", "", {"kind"}).add({{"kind", "inf"}}).set(INFINITY);
  registry.gauge("grid_odd_values", "", {"kind"}).add({{"kind", "minus_inf"}}).set(-INFINITY);
  auto& latency = registry.histogram("grid_dispatch_latency_seconds", "Help with a\nnewline and a \\ backslash.",
                                     exponential_buckets(0.001, 2, 10), {"policy"});
  latency.add({{"policy", "p2c"}}).observe(0.003);
  latency.add({{"policy", "least_loaded"}}).observe(5);
  registry.histogram("grid_job_energy_kwh", "Energy per job.", linear_buckets(5, 5, 4)).add({}).observe(12);

  const auto text = serialize_text(registry.collect());
  const auto result = promtool_check(text);
  INFO("promtool said:\n" << result.output << "\nfor:\n" << text);
  CHECK(result.exit_code == 0);
  CHECK(result.output.empty());
}
