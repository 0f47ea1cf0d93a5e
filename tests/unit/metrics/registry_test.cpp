#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <thread>
#include <vector>

#include "grid/metrics/process_metrics.h"
#include "grid/metrics/registry.h"

using namespace grid::metrics;

TEST_CASE("add() returns the same series for the same labels, whatever their order of insertion") {
  Registry registry;
  auto& family = registry.counter("jobs_total", "Jobs.", {"substation", "outcome"});
  auto& a = family.add({{"substation", "s1"}, {"outcome", "accepted"}});
  a.inc(2);
  Labels same;
  same["outcome"] = "accepted";
  same["substation"] = "s1";
  CHECK(&family.add(same) == &a);
  CHECK(family.add(same).value() == 2.0);
  CHECK(&family.add({{"substation", "s2"}, {"outcome", "accepted"}}) != &a);
}

TEST_CASE("registering a name twice the same way returns the same family") {
  Registry registry;
  auto& first = registry.gauge("load_kw", "Load.", {"substation"});
  CHECK(&registry.gauge("load_kw", "Other help is ignored.", {"substation"}) == &first);
  auto& h = registry.histogram("wait_seconds", "Wait.", {0.1, 1});
  CHECK(&registry.histogram("wait_seconds", "Wait.", {0.1, 1}) == &h);
}

TEST_CASE("registration errors throw std::invalid_argument") {
  Registry registry;
  registry.counter("requests_total", "Requests.", {"code"});
  CHECK_THROWS_AS(registry.gauge("requests_total", "Clash."), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("requests_total", "Other labels.", {"method"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("1bad_total", "Digit first."), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("bad-name_total", "Dash."), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("", "Empty."), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("__reserved_total", "Reserved prefix."), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("ok_total", "Bad label.", {"a:b"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("ok_total", "Reserved label.", {"__x"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.counter("ok_total", "Duplicate label.", {"a", "a"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("h_seconds", "le label.", {1}, {"le"}), std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("h_seconds", "Unsorted.", {2, 1}), std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("h_seconds", "Duplicate.", {1, 1}), std::invalid_argument);
  CHECK_THROWS_AS(registry.histogram("h_seconds", "Inf.", {1, INFINITY}), std::invalid_argument);
  registry.histogram("h_seconds", "Fine.", {1, 2});
  CHECK_THROWS_AS(registry.histogram("h_seconds", "Other buckets.", {1, 3}), std::invalid_argument);
  // Colons are allowed in metric names (recording rules), and "le" on a non-histogram.
  CHECK_NOTHROW(registry.gauge("grid:load_kw", "Colon.", {"le"}));
}

TEST_CASE("add() with other label names throws, but the hot path never does") {
  Registry registry;
  auto& family = registry.counter("jobs_total", "Jobs.", {"substation"});
  CHECK_THROWS_AS(family.add({}), std::invalid_argument);
  CHECK_THROWS_AS(family.add({{"station", "s1"}}), std::invalid_argument);
  CHECK_THROWS_AS(family.add({{"substation", "s1"}, {"extra", "x"}}), std::invalid_argument);
  auto& c = family.add({{"substation", "s1"}});
  c.inc(-1);
  c.inc(NAN);
  CHECK(c.value() == 0.0);
}

TEST_CASE("remove() drops a series from collection") {
  Registry registry;
  auto& family = registry.gauge("load_kw", "Load.", {"substation"});
  family.add({{"substation", "a"}}).set(1);
  family.add({{"substation", "b"}}).set(2);
  family.remove({{"substation", "a"}});
  family.remove({{"substation", "unknown"}});
  const auto families = registry.collect();
  REQUIRE(families.size() == 1);
  REQUIRE(families[0].series.size() == 1);
  CHECK(families[0].series[0].labels.at("substation") == "b");
  CHECK(!family.has({{"substation", "a"}}));
}

TEST_CASE("counters incremented from several threads add up exactly") {
  Registry registry;
  auto& counter = registry.counter("events_total", "Events.").add({});
  auto& gauge = registry.gauge("level", "Level.").add({});
  auto& histogram = registry.histogram("size_bytes", "Size.", {10, 100}).add({});
  constexpr int threads = 4;
  constexpr int per_thread = 100000;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      for (int i = 0; i < per_thread; ++i) {
        counter.inc();
        gauge.inc(2);
        gauge.dec();
        histogram.observe(1);
      }
    });
  }
  for (auto& w : workers) {
    w.join();
  }
  CHECK(counter.value() == threads * per_thread);
  CHECK(gauge.value() == threads * per_thread);
  const auto snap = histogram.snapshot();
  CHECK(snap.count == threads * per_thread);
  CHECK(snap.sum == threads * per_thread);
  CHECK(snap.cumulative_counts == std::vector<std::uint64_t>{400000, 400000, 400000});
}

TEST_CASE("histogram buckets are inclusive upper bounds, NaN only reaches +Inf") {
  Histogram h({1, 2});
  h.observe(1);
  h.observe(1.5);
  h.observe(2.5);
  h.observe(NAN);
  const auto snap = h.snapshot();
  CHECK(snap.cumulative_counts == std::vector<std::uint64_t>{1, 2, 4});
  CHECK(snap.count == 4);
}

TEST_CASE("bucket helpers") {
  CHECK(exponential_buckets(1, 2, 4) == std::vector<double>{1, 2, 4, 8});
  CHECK(linear_buckets(0, 5, 3) == std::vector<double>{0, 5, 10});
  CHECK_THROWS_AS(exponential_buckets(0, 2, 3), std::invalid_argument);
  CHECK_THROWS_AS(exponential_buckets(1, 1, 3), std::invalid_argument);
  CHECK_THROWS_AS(linear_buckets(0, 0, 3), std::invalid_argument);
  CHECK_THROWS_AS(linear_buckets(0, 1, 0), std::invalid_argument);
}

TEST_CASE("on_collect hooks run before the snapshot is taken, and may register") {
  Registry registry;
  auto& gauge = registry.gauge("sessions", "Sessions.").add({});
  int runs = 0;
  registry.on_collect([&] {
    gauge.set(++runs);
    registry.gauge("late_registered", "Registered from a hook.").add({}).set(1);
  });
  registry.on_collect([] { throw std::runtime_error("broken hook"); });
  const auto families = registry.collect();
  REQUIRE(families.size() == 2);
  CHECK(families[0].name == "late_registered");
  CHECK(families[1].series[0].value == 1);
  CHECK(registry.collect()[1].series[0].value == 2);
}

TEST_CASE("process metrics read /proc/self at collect time") {
  Registry registry;
  add_process_metrics(registry);
  double resident = 0, fds = 0, start = 0;
  for (const auto& family : registry.collect()) {
    if (family.name == "process_resident_memory_bytes")
      resident = family.series.at(0).value;
    if (family.name == "process_open_fds")
      fds = family.series.at(0).value;
    if (family.name == "process_start_time_seconds")
      start = family.series.at(0).value;
  }
  CHECK(resident > 1e5);
  CHECK(fds >= 3);
  CHECK(start > 1.6e9);  // after 2020: a real epoch time, not seconds since boot
}
