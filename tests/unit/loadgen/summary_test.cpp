// The summary's arithmetic: percentiles, shares, the imbalance figure with and without
// capacities, the JSON shape and the exit-code rule.
#include <doctest/doctest.h>

#include "summary.h"

using namespace grid::loadgen;

namespace {

RunTally tally_of(std::map<std::string, std::size_t> sessions) {
  RunTally tally;
  for (const auto& [id, count] : sessions) {
    for (std::size_t i = 0; i < count; ++i) tally.record(RequestOutcome::charging, 1.0, id);
  }
  tally.planned = tally.finished();
  tally.wall_s = 1;
  return tally;
}

const SubstationShare& row(const Summary& summary, const std::string& id) {
  for (const auto& r : summary.substations) {
    if (r.id == id) return r;
  }
  FAIL("no row for " << id);
  throw;
}

}  // namespace

TEST_CASE("percentiles are nearest-rank over unsorted values") {
  std::vector<double> values;
  for (int i = 100; i >= 1; --i) values.push_back(i);
  CHECK(percentile(values, 50) == 50);
  CHECK(percentile(values, 90) == 90);
  CHECK(percentile(values, 99) == 99);
  CHECK(percentile(values, 100) == 100);
  CHECK(percentile({7.5}, 50) == 7.5);
  CHECK(percentile({7.5}, 99) == 7.5);
  CHECK(percentile({}, 50) == 0);
  CHECK(percentile({1, 2, 3, 4}, 50) == 2);  // rank ceil(0.5 * 4) = 2
  CHECK(percentile({1, 2, 3, 4}, 51) == 3);
}

TEST_CASE("latency, throughput and outcome counts") {
  RunTally tally;
  tally.planned = 6;
  for (double ms : {4.0, 1.0, 3.0, 2.0}) tally.record(RequestOutcome::charging, ms, "north");
  tally.record(RequestOutcome::no_capacity, 10.0);
  tally.record(RequestOutcome::timeout, std::nullopt);  // unanswered: no latency
  tally.wall_s = 2;
  const Summary summary = summarize(tally, {});
  CHECK(summary.finished == 6);
  CHECK(summary.throughput_rps == doctest::Approx(2.5));  // 5 answered in 2 s: the timeout is no throughput
  CHECK(summary.outcomes[static_cast<std::size_t>(RequestOutcome::charging)] == 4);
  REQUIRE(summary.latency);
  CHECK(summary.latency->answered == 5);
  CHECK(summary.latency->p50_ms == 3.0);
  CHECK(summary.latency->max_ms == 10.0);

  RunTally silent;
  silent.planned = 1;
  silent.record(RequestOutcome::error, std::nullopt);
  const Summary none = summarize(silent, {});
  CHECK_FALSE(none.latency);
  CHECK_FALSE(none.imbalance);
  CHECK(none.throughput_rps == 0);  // no wall time: no division by zero
}

TEST_CASE("issue 9.9: a run against a dead target has no throughput, and says so") {
  RunTally dead;
  dead.planned = 100;
  for (int i = 0; i < 100; ++i) dead.record(RequestOutcome::error, std::nullopt);
  dead.wall_s = 0.000079;  // every connection refused at once
  const Summary summary = summarize(dead, {});
  CHECK(summary.throughput_rps == 0);
  const auto text = format_summary(summary, "dead target");
  CHECK(text.find("throughput   none: no request was answered") != std::string::npos);
  CHECK(text.find("req/s") == std::string::npos);
  CHECK(to_json(summary)["throughput_rps"] == 0.0);
}

TEST_CASE("without capacities, imbalance is the largest share over the mean share") {
  const Summary even = summarize(tally_of({{"a", 50}, {"b", 50}}), {});
  REQUIRE(even.imbalance);
  CHECK(*even.imbalance == doctest::Approx(1.0));
  CHECK_FALSE(even.weighted_by_capacity);

  const Summary skewed = summarize(tally_of({{"a", 60}, {"b", 30}, {"c", 10}}), {});
  CHECK(row(skewed, "a").share == doctest::Approx(0.6));
  CHECK(row(skewed, "a").fair_share == doctest::Approx(1.0 / 3));
  CHECK(*skewed.imbalance == doctest::Approx(1.8));  // 0.6 / (1/3)
}

TEST_CASE("with capacities, each share is compared with its capacity share") {
  const std::map<std::string, double> capacities{{"north", 150}, {"south", 100}, {"east", 50}};
  // Exactly proportional: 3:2:1.
  const Summary proportional = summarize(tally_of({{"north", 90}, {"south", 60}, {"east", 30}}), capacities);
  CHECK(proportional.weighted_by_capacity);
  REQUIRE(proportional.imbalance);
  CHECK(*proportional.imbalance == doctest::Approx(1.0));
  CHECK(row(proportional, "east").fair_share == doctest::Approx(50.0 / 300));
  CHECK(row(proportional, "north").capacity_kw == 150.0);

  // An equal split is unfair to the small substation: east gets 1/3 for 1/6 of the capacity.
  const Summary equal = summarize(tally_of({{"north", 60}, {"south", 60}, {"east", 60}}), capacities);
  CHECK(*equal.imbalance == doctest::Approx(2.0));
  CHECK(row(equal, "east").share_over_fair == doctest::Approx(2.0));

  // A listed substation that got nothing still appears, with a share of 0.
  const Summary idle = summarize(tally_of({{"north", 10}}), capacities);
  CHECK(idle.substations.size() == 3);
  CHECK(row(idle, "south").sessions == 0);
  CHECK(*idle.imbalance == doctest::Approx(2.0));  // north: all of it for half the capacity
}

TEST_CASE("a substation without a capacity falls back to an equal split and says so") {
  const Summary summary = summarize(tally_of({{"north", 10}, {"west", 10}}), {{"north", 100}});
  CHECK_FALSE(summary.weighted_by_capacity);
  CHECK(summary.missing_capacities == std::vector<std::string>{"west"});
  CHECK(*summary.imbalance == doctest::Approx(1.0));
  CHECK(format_summary(summary, "test").find("no --capacity for west") != std::string::npos);
}

TEST_CASE("exit code: timeouts and errors fail the run, no capacity does not") {
  RunTally tally = tally_of({{"a", 3}});
  tally.record(RequestOutcome::no_capacity, 1.0);
  CHECK(exit_code(summarize(tally, {})) == 0);
  RunTally timed_out = tally;
  timed_out.record(RequestOutcome::timeout, std::nullopt);
  CHECK(exit_code(summarize(timed_out, {})) == 1);
  RunTally failed = tally;
  failed.record(RequestOutcome::error, std::nullopt);
  CHECK(exit_code(summarize(failed, {})) == 1);
  RunTally interrupted = tally;
  interrupted.interrupted = true;
  CHECK(exit_code(summarize(interrupted, {})) == 1);
}

TEST_CASE("JSON summary shape") {
  RunTally tally = tally_of({{"north", 3}, {"south", 1}});
  tally.record(RequestOutcome::no_capacity, 2.0);
  tally.planned = 5;
  const auto json = to_json(summarize(tally, {{"north", 300}, {"south", 100}}));
  CHECK(json["planned"] == 5);
  CHECK(json["finished"] == 5);
  CHECK(json["outcomes"] == nlohmann::json{{"charging", 4}, {"no_capacity", 1}, {"timeout", 0}, {"error", 0}});
  CHECK(json["latency_ms"]["answered"] == 5);
  CHECK(json["latency_ms"]["max"] == 2.0);
  CHECK(json["latency_ms"].contains("p50"));
  CHECK(json["latency_ms"].contains("p90"));
  CHECK(json["latency_ms"].contains("p99"));
  CHECK(json["substations"]["north"]["sessions"] == 3);
  CHECK(json["substations"]["north"]["share"] == doctest::Approx(0.75));
  CHECK(json["substations"]["north"]["capacity_kw"] == 300.0);
  CHECK(json["substations"]["south"]["fair_share"] == doctest::Approx(0.25));
  CHECK(json["imbalance"].get<double>() == doctest::Approx(1.0));
  CHECK(json["weighted_by_capacity"] == true);
  CHECK(json["exit_code"] == 0);
  CHECK(json["interrupted"] == false);
  CHECK(json["wall_s"] == 1.0);
  CHECK(json["throughput_rps"] == doctest::Approx(5.0));

  RunTally empty;
  empty.planned = 1;
  empty.record(RequestOutcome::timeout, std::nullopt);
  const auto none = to_json(summarize(empty, {}));
  CHECK(none["latency_ms"].is_null());
  CHECK(none["imbalance"].is_null());
  CHECK(none["substations"].is_object());
  CHECK(none["exit_code"] == 1);
}

TEST_CASE("the printed summary names every outcome, the latency and each substation") {
  RunTally tally = tally_of({{"north", 2}});
  tally.record(RequestOutcome::timeout, std::nullopt);
  const std::string text = format_summary(summarize(tally, {{"north", 150}}), "3 vehicles to somewhere");
  for (const char* part : {"3 vehicles to somewhere", "charging 2", "no capacity 0", "timeout 1", "error 0",
                           "throughput", "p50", "p90", "p99", "max", "north", "imbalance    1.00"}) {
    CAPTURE(part);
    CHECK(text.find(part) != std::string::npos);
  }
}

TEST_CASE("several targets: each one's requests sent and answered, printed only when there are several") {
  RunTally tally = tally_of({{"north", 3}});
  tally.targets["tcp://a:5555"] = {.sent = 2, .answered = 2};
  tally.targets["tcp://b:5555"] = {.sent = 1, .answered = 1};
  tally.targets["tcp://c:5555"] = {};  // down all along: named with nothing, not left out
  const auto summary = summarize(tally, {});
  const auto json = to_json(summary);
  CHECK(json["targets"]["tcp://a:5555"] == nlohmann::json{{"sent", 2}, {"answered", 2}});
  CHECK(json["targets"]["tcp://c:5555"] == nlohmann::json{{"sent", 0}, {"answered", 0}});
  const auto text = format_summary(summary, "test");
  CHECK(text.find("tcp://b:5555") != std::string::npos);
  CHECK(text.find("sent   answered") != std::string::npos);

  RunTally one = tally_of({{"north", 1}});
  one.targets["tcp://a:5555"] = {.sent = 1, .answered = 1};
  CHECK(format_summary(summarize(one, {}), "test").find("tcp://a:5555") == std::string::npos);
  CHECK(to_json(summarize(one, {}))["targets"].size() == 1);
}
