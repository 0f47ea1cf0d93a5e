#include <doctest/doctest.h>

#include <clocale>
#include <cmath>
#include <locale>
#include <string>

#include "grid/metrics/registry.h"
#include "grid/metrics/text_format.h"

using namespace grid::metrics;

namespace {

// Registered out of name order and with series added out of label order: the output must not care.
void fill(Registry& registry) {
  auto& temperature = registry.gauge("temperature_celsius", "Sensor temperature.", {"sensor"});
  temperature.add({{"sensor", "g"}}).set(1e300);
  temperature.add({{"sensor", "a"}}).set(NAN);
  temperature.add({{"sensor", "b"}}).set(INFINITY);
  temperature.add({{"sensor", "c"}}).set(-INFINITY);
  temperature.add({{"sensor", "d"}}).set(0.25);
  temperature.add({{"sensor", "e"}}).set(-3);
  temperature.add({{"sensor", "f"}}).set(1234567.5);

  auto& latency = registry.histogram("latency_seconds", "Request latency.", {0.1, 0.25, 1, 2.5}, {"path"});
  auto& charge = latency.add({{"path", "/charge"}});
  charge.observe(0.125);
  charge.observe(0.25);
  charge.observe(3);

  registry.counter("never_used_total", "A family without series is left out.", {"x"});

  auto& requests = registry.counter("http_requests_total", "Requests served,\nby code \\ method.", {"method", "code"});
  requests.add({{"method", "PO\"ST\\\n"}, {"code", "500"}}).inc();
  requests.add({{"method", "GET"}, {"code", "200"}}).inc(3);

  registry.gauge("up", "Whether the node is up.").add({}).set(1);
}

const std::string expected =
    "# HELP http_requests_total Requests served,\\nby code \\\\ method.\n"
    "# TYPE http_requests_total counter\n"
    "http_requests_total{code=\"200\",method=\"GET\"} 3\n"
    "http_requests_total{code=\"500\",method=\"PO\\\"ST\\\\\\n\"} 1\n"
    "# HELP latency_seconds Request latency.\n"
    "# TYPE latency_seconds histogram\n"
    "latency_seconds_bucket{path=\"/charge\",le=\"0.1\"} 0\n"
    "latency_seconds_bucket{path=\"/charge\",le=\"0.25\"} 2\n"
    "latency_seconds_bucket{path=\"/charge\",le=\"1\"} 2\n"
    "latency_seconds_bucket{path=\"/charge\",le=\"2.5\"} 2\n"
    "latency_seconds_bucket{path=\"/charge\",le=\"+Inf\"} 3\n"
    "latency_seconds_sum{path=\"/charge\"} 3.375\n"
    "latency_seconds_count{path=\"/charge\"} 3\n"
    "# HELP temperature_celsius Sensor temperature.\n"
    "# TYPE temperature_celsius gauge\n"
    "temperature_celsius{sensor=\"a\"} NaN\n"
    "temperature_celsius{sensor=\"b\"} +Inf\n"
    "temperature_celsius{sensor=\"c\"} -Inf\n"
    "temperature_celsius{sensor=\"d\"} 0.25\n"
    "temperature_celsius{sensor=\"e\"} -3\n"
    "temperature_celsius{sensor=\"f\"} 1234567.5\n"
    "temperature_celsius{sensor=\"g\"} 1e+300\n"
    "# HELP up Whether the node is up.\n"
    "# TYPE up gauge\n"
    "up 1\n";

std::string render() {
  Registry registry;
  fill(registry);
  return serialize_text(registry.collect());
}

// A decimal comma and digit grouping: what a German locale does to streams and printf.
struct CommaNumpunct : std::numpunct<char> {
  char do_decimal_point() const override { return ','; }
  char do_thousands_sep() const override { return '.'; }
  std::string do_grouping() const override { return "\3"; }
};

// Restores the classic locale even when a check fails.
struct GlobalLocale {
  explicit GlobalLocale(const std::locale& locale) { std::locale::global(locale); }
  ~GlobalLocale() { std::locale::global(std::locale::classic()); }
  GlobalLocale(const GlobalLocale&) = delete;
  GlobalLocale& operator=(const GlobalLocale&) = delete;
};

}  // namespace

TEST_CASE("exposition text is exact to the byte") { CHECK(render() == expected); }

TEST_CASE("a histogram without labels puts le alone in the braces") {
  Registry registry;
  registry.histogram("job_power_kw", "Power per job.", {11}).add({}).observe(22);
  CHECK(serialize_text(registry.collect()) ==
        "# HELP job_power_kw Power per job.\n"
        "# TYPE job_power_kw histogram\n"
        "job_power_kw_bucket{le=\"11\"} 0\n"
        "job_power_kw_bucket{le=\"+Inf\"} 1\n"
        "job_power_kw_sum 22\n"
        "job_power_kw_count 1\n");
}

TEST_CASE("values: integers without exponent noise, shortest round-trip otherwise") {
  CHECK(format_value(3) == "3");
  CHECK(format_value(0) == "0");
  CHECK(format_value(-0.0) == "0");
  CHECK(format_value(0.25) == "0.25");
  CHECK(format_value(0.1) == "0.1");
  CHECK(format_value(1e6) == "1000000");
  CHECK(format_value(-42) == "-42");
  CHECK(format_value(1e-9) == "1e-09");
  CHECK(format_value(1e300) == "1e+300");
  CHECK(format_value(NAN) == "NaN");
  CHECK(format_value(INFINITY) == "+Inf");
  CHECK(format_value(-INFINITY) == "-Inf");
}

TEST_CASE("exposition text does not change under a C++ locale with a decimal comma") {
  GlobalLocale guard(std::locale(std::locale::classic(), new CommaNumpunct));
  CHECK(render() == expected);
}

TEST_CASE("exposition text does not change under a foreign named locale") {
  for (const char* name : {"de_DE.UTF-8", "de_DE.utf8", "de_DE", "fr_FR.UTF-8", "fr_FR.utf8", "ru_RU.UTF-8"}) {
    std::locale foreign;
    try {
      foreign = std::locale(name);
    } catch (const std::runtime_error&) {
      continue;
    }
    // std::locale::global also sets the C locale (printf, strtod) for a named locale.
    GlobalLocale guard(foreign);
    INFO("locale " << name << ", C locale " << std::setlocale(LC_ALL, nullptr));
    CHECK(render() == expected);
    return;
  }
  MESSAGE("no foreign locale installed (locale -a); covered by the decimal-comma facet case only");
}
