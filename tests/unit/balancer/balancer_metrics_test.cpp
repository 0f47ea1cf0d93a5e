// Our use of prometheus-cpp in the balancer: the families, labels and buckets docs/metrics.md and
// the dashboards rely on, and the cached series counting into the right labels.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "balancer_metrics.h"
#include "grid/metrics/exposition.h"
#include "support/http_get.h"

using namespace grid;

namespace {

std::vector<double> bucket_bounds(const metrics::Exposition& exposition, const std::string& name) {
  for (const auto& family : exposition.collect()) {
    if (family.name != name) continue;
    REQUIRE(family.type == prometheus::MetricType::Histogram);
    std::vector<double> bounds;
    for (const auto& bucket : family.metric.at(0).histogram.bucket) bounds.push_back(bucket.upper_bound);
    return bounds;
  }
  FAIL("no histogram " << name);
  return {};
}

}  // namespace

TEST_CASE("balancer histograms have the buckets docs/metrics.md describes") {
  metrics::Exposition exposition;
  balancer::BalancerMetrics metrics(exposition.registry());
  const auto decision = bucket_bounds(exposition, "balancer_decision_seconds");
  REQUIRE(decision.size() == 11);  // 100 ns x 4^k, k = 0..9, then +Inf
  CHECK(decision.front() == doctest::Approx(1e-7));
  CHECK(decision[9] == doctest::Approx(1e-7 * 262144));  // about 26 ms
  const auto request = bucket_bounds(exposition, "balancer_request_duration_seconds");
  REQUIRE(request.size() == 13);  // 0.1 ms x 2.5^k, k = 0..11, then +Inf
  CHECK(request.front() == doctest::Approx(1e-4));
  CHECK(request[11] == doctest::Approx(1e-4 * 23841.85791015625));  // about 2.4 s
}

TEST_CASE("cached series count into their own labels, created on first use") {
  metrics::Exposition exposition;
  balancer::BalancerMetrics metrics(exposition.registry());
  metrics.request("charging");
  metrics.request("charging");
  metrics.request("busy");
  metrics.dispatch("north", "accepted");
  metrics.dispatch("south", "accepted");
  metrics.dispatch("north", "rejected");
  metrics.dropped("stale_seq");
  metrics.dropped("a_reason_nobody_listed");
  metrics.cancel("timeout");
  const auto text = exposition.text();
  INFO(text);
  using test::sample;
  CHECK(sample(text, "balancer_requests_total{outcome=\"charging\"}") == 2.0);
  CHECK(sample(text, "balancer_requests_total{outcome=\"busy\"}") == 1.0);
  CHECK(sample(text, "balancer_dispatch_total{outcome=\"accepted\",substation=\"north\"}") == 1.0);
  CHECK(sample(text, "balancer_dispatch_total{outcome=\"accepted\",substation=\"south\"}") == 1.0);
  CHECK(sample(text, "balancer_dispatch_total{outcome=\"rejected\",substation=\"north\"}") == 1.0);
  CHECK(sample(text, "balancer_messages_dropped_total{reason=\"stale_seq\"}") == 1.0);
  CHECK(sample(text, "balancer_messages_dropped_total{reason=\"wrong_peer\"}") == 0.0);
  CHECK(sample(text, "balancer_messages_dropped_total{reason=\"a_reason_nobody_listed\"}") == 1.0);
  CHECK(sample(text, "balancer_cancels_sent_total{reason=\"timeout\"}") == 1.0);
}

TEST_CASE("issue 12: per substation limit, demand and minimums, and forwarded queries by bounded labels") {
  metrics::Exposition exposition;
  balancer::BalancerMetrics metrics(exposition.registry());
  balancing::Substation row;
  row.id = "north";
  row.capacity_kw = 100;
  row.limit_kw = 60;
  row.demand_kw = 55;
  row.min_kw = 12;
  metrics.substation(row, 1);
  metrics.forwarded_query("stop", "timeout");
  const auto text = exposition.text();
  INFO(text);
  using test::sample;
  CHECK(sample(text, "balancer_substation_limit_kw{substation=\"north\"}") == 60.0);
  CHECK(sample(text, "balancer_substation_demand_kw{substation=\"north\"}") == 55.0);
  CHECK(sample(text, "balancer_substation_min_kw{substation=\"north\"}") == 12.0);
  CHECK(sample(text, "balancer_substation_utilization_ratio{substation=\"north\"}") == doctest::Approx(55.0 / 60));
  CHECK(sample(text, "balancer_forwarded_queries_total{kind=\"stop\",outcome=\"timeout\"}") == 1.0);
  // Every kind and outcome is there from the start.
  for (const auto* kind : balancer::BalancerMetrics::query_kinds) {
    for (const auto* outcome : balancer::BalancerMetrics::query_outcomes) {
      CAPTURE(kind);
      CAPTURE(outcome);
      CHECK(sample(text, std::string("balancer_forwarded_queries_total{kind=\"") + kind + "\",outcome=\"" + outcome +
                             "\"}")
                .has_value());
    }
  }
  CHECK(sample(text, "balancer_messages_dropped_total{reason=\"unknown_query\"}") == 0.0);
}
