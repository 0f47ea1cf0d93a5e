#pragma once
// The edge's metrics, registered once at start in a prometheus-cpp Registry. Names follow
// docs/http-api.md. The series a request counts are looked up once and cached.
// Thread-safety: every member is safe from any thread (HTTP threads and the broker thread), but
// configure_balancers(), which is called once, before any per-balancer member.

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "grid/metrics/series_cache.h"

namespace grid::edge {

class EdgeMetrics {
public:
  // The reasons of edge_messages_dropped_total beyond the codec's, each shown at 0 from the start
  // so dashboards and rate() see a zero rather than no data on a healthy grid.
  static constexpr std::array node_drop_reasons{"unexpected_command", "unknown_ping", "unknown_request",
                                                 "inconsistent_substation_info"};

  explicit EdgeMetrics(prometheus::Registry& registry);

  // One HTTP answer. `handler` is one of the router's fixed labels ("charge", "console",
  // "healthz", "metrics", "other", ...), so the label stays bounded whatever paths clients invent.
  void answered(std::string_view handler, int code);
  // Time from a POST /charge's arrival at the handler to its answer.
  void charge_seconds(double seconds) { charge_duration_.Observe(seconds); }
  void request_started() { in_flight_.Increment(); }
  void request_finished() { in_flight_.Decrement(); }
  // Registers the per-balancer series (edge_balancer_answering and
  // edge_feeder_limit_unanswered_total, by endpoint: a bounded label, the endpoints come from
  // flags) and edge_balancers_configured. Index i below is endpoints[i].
  void configure_balancers(const std::vector<std::string>& endpoints);
  void balancer_answering(std::size_t index, bool answering) { answering_[index]->Set(answering ? 1.0 : 0.0); }
  void balancers_live(std::size_t answering) { balancers_live_.Set(static_cast<double>(answering)); }
  // A request re-sent to another balancer than the one it was sent to (or meant for).
  void failover() { failovers_.Increment(); }
  // A FeederLimit answered at its deadline without balancer `index`'s ack.
  void feeder_limit_unanswered(std::size_t index) { feeder_unanswered_[index]->Increment(); }
  // `up`: at least one balancer answers; `live_substations`: the most any answering one reported.
  void balancer(bool up, std::uint32_t live_substations) {
    balancer_up_.Set(up ? 1.0 : 0.0);
    live_substations_.Set(up ? static_cast<double>(live_substations) : 0.0);
  }
  // A message from the balancer that was not used: a decode error's reason_label, a reply to a
  // request already answered ("unknown_request"), or a command an edge never expects.
  void dropped(std::string_view reason);
  void retried() { retries_.Increment(); }
  // A POST /charge answered 429 because its client went past --rate-limit.
  void rate_limited() { rate_limited_.Increment(); }

private:
  struct Answered {
    std::string handler;
    int code;
    prometheus::Counter* counter;
  };

  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Histogram& charge_duration_;
  prometheus::Gauge& in_flight_;
  prometheus::Gauge& balancer_up_;
  prometheus::Gauge& live_substations_;
  prometheus::Counter& retries_;
  prometheus::Counter& rate_limited_;
  prometheus::Gauge& balancers_configured_;
  prometheus::Gauge& balancers_live_;
  prometheus::Counter& failovers_;
  prometheus::Family<prometheus::Gauge>& answering_family_;
  prometheus::Family<prometheus::Counter>& feeder_unanswered_family_;
  std::vector<prometheus::Gauge*> answering_;            // by balancer index
  std::vector<prometheus::Counter*> feeder_unanswered_;  // by balancer index
  std::mutex mutex_;  // guards the two caches below; held for a short search, never for I/O
  std::vector<Answered> answered_;
  metrics::SeriesCache<prometheus::Counter> dropped_;  // by reason
};

}  // namespace grid::edge
