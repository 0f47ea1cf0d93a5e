// Each node's GET /metrics as Prometheus sees it: real processes, scraped through our HTTP server,
// linted by promtool, with the series a dashboard needs from the first scrape.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cluster.h"
#include "grid/proto/codec.h"
#include "support/http_get.h"
#include "support/wait.h"

using namespace grid;
using namespace grid::test;

namespace {

std::string scrape(int port) {
  const auto reply = http_get(port, "/metrics");
  REQUIRE(reply);
  REQUIRE(reply->status == 200);
  CHECK(reply->headers.at("content-type") == "text/plain; version=0.0.4; charset=utf-8");
  return reply->body;
}

// Every reason docs/metrics.md lists for a node's dropped counter, at 0: the codec's reasons and
// the node's own.
void check_drop_reasons_at_zero(const std::string& text, const std::string& family, const std::string& fixed_labels,
                                const std::vector<std::string>& node_reasons) {
  std::vector<std::string> reasons = node_reasons;
  for (const auto error : proto::all_decode_errors) reasons.emplace_back(proto::reason_label(error));
  for (const auto& reason : reasons) {
    const auto series = family + "{" + "reason=\"" + reason + "\"" + fixed_labels + "}";
    CAPTURE(series);
    CHECK(sample(text, series) == 0.0);
  }
}

}  // namespace

TEST_CASE("a fresh grid: every node's scrape passes promtool and shows each drop reason at 0") {
  Cluster cluster;
  cluster.start_balancer();
  cluster.add_substation("north", 100);
  const int edge_port = cluster.start_edge();
  // The balancer's per-substation series appear with the first heartbeat: wait for it.
  const auto one_live = [&] { return sample(scrape(cluster.balancer_metrics_port()), "balancer_substations_live") == 1.0; };
  REQUIRE_MESSAGE(wait_until(one_live), cluster.logs());

  const auto balancer = scrape(cluster.balancer_metrics_port());
  const auto substation = scrape(cluster.substation("north").metrics_port);
  const auto edge = scrape(edge_port);
  for (const auto* text : {&balancer, &substation, &edge}) {
    INFO(*text);
    CHECK(promtool_check_metrics(*text) == "");
    CHECK(sample(*text, "process_open_fds") > 0.0);
    CHECK(sample(*text, "process_start_time_seconds") > 0.0);
  }

  check_drop_reasons_at_zero(balancer, "balancer_messages_dropped_total", "",
                             {"unexpected_command", "requester_gone", "table_full", "stale_seq", "invalid_value",
                              "late_acceptance", "unknown_job", "wrong_peer"});
  check_drop_reasons_at_zero(substation, "substation_messages_dropped_total", ",substation=\"north\"",
                             {"unexpected_command", "reply_would_block"});
  check_drop_reasons_at_zero(edge, "edge_messages_dropped_total", "",
                             {"unexpected_command", "unknown_ping", "unknown_request"});

  // The series of the balancer's table, and the histograms with the buckets we chose.
  CHECK(sample(balancer, "balancer_substation_live{substation=\"north\"}") == 1.0);
  CHECK(sample(balancer, "balancer_substation_capacity_kw{substation=\"north\"}") == 100.0);
  CHECK(sample(balancer, "balancer_decision_seconds_bucket{le=\"1e-07\"}") == 0.0);
  CHECK(sample(balancer, "balancer_decision_seconds_bucket{le=\"+Inf\"}") == 0.0);
  CHECK(sample(balancer, "balancer_request_duration_seconds_bucket{le=\"0.0001\"}") == 0.0);
  CHECK(sample(edge, "edge_request_duration_seconds_bucket{le=\"0.0005\"}") == 0.0);
  CHECK(sample(edge, "edge_request_duration_seconds_bucket{le=\"5\"}") == 0.0);
  CHECK(sample(substation, "substation_capacity_kw{substation=\"north\"}") == 100.0);
  CHECK(sample(substation, "substation_sessions_rejected_total{reason=\"capacity\",substation=\"north\"}") == 0.0);
}
