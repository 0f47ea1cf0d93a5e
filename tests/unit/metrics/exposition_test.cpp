// Our use of prometheus-cpp: what Exposition adds on top of it (collectables beside the registry,
// a stable order, the text format whatever the locale) and that the text passes promtool.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

#include "grid/metrics/buckets.h"
#include "grid/metrics/exposition.h"
#include "grid/metrics/process_collector.h"
#include "support/http_get.h"

using namespace grid::metrics;
using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

namespace {

// A collectable with one fixed family, standing in for the process collector.
struct FixedFamily final : prometheus::Collectable {
  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::ClientMetric sample;
    sample.gauge.value = 7;
    return {prometheus::MetricFamily{"aaa_first_by_name", "Sorts first.", prometheus::MetricType::Gauge, {sample}}};
  }
};

}  // namespace

TEST_CASE("families come ordered by name and series by labels, collectables with the registry") {
  Exposition exposition;
  auto& outcomes = BuildCounter().Name("grid_outcomes_total").Help("Outcomes.").Register(exposition.registry());
  for (const char* outcome : {"zeta", "alpha", "mu", "beta", "omega", "kappa"}) outcomes.Add({{"outcome", outcome}});
  BuildGauge().Name("grid_b_gauge").Help("B.").Register(exposition.registry()).Add({}).Set(1);
  BuildGauge().Name("grid_unused").Help("A family without series is left out.").Register(exposition.registry());
  exposition.add(std::make_shared<FixedFamily>());

  const auto families = exposition.collect();
  REQUIRE(families.size() == 3);
  CHECK(families[0].name == "aaa_first_by_name");
  CHECK(families[1].name == "grid_b_gauge");
  CHECK(families[2].name == "grid_outcomes_total");
  std::string order;
  for (const auto& series : families[2].metric) order += series.label.at(0).value + " ";
  CHECK(order == "alpha beta kappa mu omega zeta ");
  CHECK(exposition.text() == exposition.text());
}

TEST_CASE("the text format: integers as integers, fractions exact, +Inf bucket last, labels escaped") {
  Exposition exposition;
  auto& r = exposition.registry();
  BuildCounter().Name("grid_big_total").Help("Big.").Register(r).Add({}).Increment(1e6);
  BuildGauge().Name("grid_quarter").Help("A quarter.").Register(r).Add({{"substation", "a\"b\\c\nd"}}).Set(0.25);
  auto& latency = BuildHistogram().Name("grid_latency_seconds").Help("Latency.").Register(r).Add({}, Buckets{0.5, 1});
  latency.Observe(0.7);
  latency.Observe(3);

  const auto text = exposition.text();
  INFO(text);
  CHECK(text.find("grid_big_total 1000000\n") != std::string::npos);
  CHECK(text.find("grid_quarter{substation=\"a\\\"b\\\\c\\nd\"} 0.25\n") != std::string::npos);
  CHECK(text.find("grid_latency_seconds_bucket{le=\"0.5\"} 0\n") != std::string::npos);
  CHECK(text.find("grid_latency_seconds_bucket{le=\"1\"} 1\n") != std::string::npos);
  CHECK(text.find("grid_latency_seconds_bucket{le=\"+Inf\"} 2\n") != std::string::npos);
  CHECK(text.find("grid_latency_seconds_count 2\n") != std::string::npos);
  CHECK(text.find("grid_latency_seconds_sum 3.7\n") != std::string::npos);
  // What the tests and scripts that read scrapes parse back.
  CHECK(grid::test::sample(text, "grid_latency_seconds_bucket{le=\"+Inf\"}") == 2.0);
}

TEST_CASE("the process collector reports this process from /proc") {
  const auto families = ProcessCollector().Collect();
  std::map<std::string, double> value;
  for (const auto& family : families) {
    REQUIRE(family.metric.size() == 1);
    CHECK(family.metric[0].label.empty());
    const bool counter = family.type == prometheus::MetricType::Counter;
    CHECK(counter == (family.name == "process_cpu_seconds_total"));
    value[family.name] = counter ? family.metric[0].counter.value : family.metric[0].gauge.value;
  }
  REQUIRE(value.size() == 6);
  CHECK(value["process_cpu_seconds_total"] >= 0);
  CHECK(value["process_resident_memory_bytes"] > 1e5);
  CHECK(value["process_virtual_memory_bytes"] >= value["process_resident_memory_bytes"]);
  CHECK(value["process_open_fds"] >= 3);
  CHECK(value["process_max_fds"] >= value["process_open_fds"]);
  const double now = static_cast<double>(std::time(nullptr));
  CHECK(value["process_start_time_seconds"] <= now + 1);
  CHECK(value["process_start_time_seconds"] > now - 24 * 3600.0);  // no test binary runs a day
}

TEST_CASE("every metric type, the process metrics and awkward values pass promtool check metrics") {
  REQUIRE_MESSAGE(std::system("command -v promtool >/dev/null 2>&1") == 0,
                  "promtool is missing: run scripts/install-deps (Debian package prometheus)");
  Exposition exposition;
  exposition.add(std::make_shared<ProcessCollector>());
  auto& r = exposition.registry();
  auto& requests = BuildCounter().Name("grid_charge_requests_total").Help("Charge requests by outcome.").Register(r);
  requests.Add({{"outcome", "accepted"}}).Increment(7);
  requests.Add({{"outcome", "say \"no\"\\\nnow"}}).Increment();
  auto& odd = BuildGauge().Name("grid_odd_values").Help("Values that need care: NaN and infinities.").Register(r);
  odd.Add({{"kind", "nan"}}).Set(NAN);
  odd.Add({{"kind", "inf"}}).Set(INFINITY);
  odd.Add({{"kind", "minus_inf"}}).Set(-INFINITY);
  auto& latency = BuildHistogram().Name("grid_dispatch_latency_seconds").Help("Dispatch latency.").Register(r);
  latency.Add({{"policy", "p2c"}}, exponential_buckets(0.001, 2, 10)).Observe(0.003);
  latency.Add({{"policy", "least_utilization"}}, exponential_buckets(0.001, 2, 10)).Observe(5);
  BuildHistogram()
      .Name("grid_job_energy_kwh")
      .Help("Energy per job.")
      .Register(r)
      .Add({}, linear_buckets(5, 5, 4))
      .Observe(12);

  const auto text = exposition.text();
  INFO("for:\n" << text);
  CHECK(grid::test::promtool_check_metrics(text) == "");
}

TEST_CASE("bucket helpers give the bounds we chose, and refuse bounds no histogram could take") {
  CHECK(exponential_buckets(1e-4, 2.5, 3) == Buckets{1e-4, 1e-4 * 2.5, 1e-4 * 2.5 * 2.5});
  CHECK(linear_buckets(5, 5, 4) == Buckets{5, 10, 15, 20});
  CHECK_THROWS_AS(exponential_buckets(0, 2, 3), std::invalid_argument);
  CHECK_THROWS_AS(exponential_buckets(1, 1, 3), std::invalid_argument);
  CHECK_THROWS_AS(linear_buckets(0, 0, 3), std::invalid_argument);
  CHECK_THROWS_AS(linear_buckets(0, 1, 0), std::invalid_argument);
  // prometheus-cpp refuses unsorted bounds at registration, never on the data path.
  prometheus::Registry registry;
  auto& family = BuildHistogram().Name("grid_h").Help("H.").Register(registry);
  CHECK_THROWS_AS(family.Add({}, Buckets{2, 1}), std::invalid_argument);
}

TEST_CASE("a help text with a newline or a backslash is escaped, once") {
  Exposition exposition;
  BuildGauge().Name("grid_h").Help("Two\nlines \\ here.").Register(exposition.registry()).Add({}).Set(1);
  CHECK(exposition.text().find("# HELP grid_h Two\\nlines \\\\ here.\n") != std::string::npos);
  CHECK(exposition.collect().at(0).help == "Two\nlines \\ here.");
}
