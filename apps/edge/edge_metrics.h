#pragma once
// The edge's metrics, registered once at start. Names follow docs/http-api.md.
// Thread-safety: every member is safe from any thread (HTTP threads and the broker thread).

#include <cstdint>
#include <string>
#include <string_view>

#include "grid/metrics/registry.h"

namespace grid::edge {

class EdgeMetrics {
public:
  explicit EdgeMetrics(metrics::Registry& registry);

  // One HTTP answer. `handler` is one of a fixed few ("charge", "healthz", "metrics", "other"),
  // so the label stays bounded whatever paths clients invent.
  void answered(std::string_view handler, int code);
  // Time from a POST /charge's arrival at the handler to its answer.
  void charge_seconds(double seconds) { charge_duration_.observe(seconds); }
  void request_started() { in_flight_.inc(); }
  void request_finished() { in_flight_.dec(); }
  void balancer(bool up, std::uint32_t live_substations) {
    balancer_up_.set(up ? 1.0 : 0.0);
    live_substations_.set(up ? static_cast<double>(live_substations) : 0.0);
  }
  // A message from the balancer that was not used: a decode error's reason_label, a reply to a
  // request already answered ("unknown_request"), or a command an edge never expects.
  void dropped(std::string_view reason) { dropped_.add({{"reason", std::string(reason)}}).inc(); }
  void retried() { retries_.inc(); }

private:
  metrics::Family<metrics::Counter>& requests_;
  metrics::Histogram& charge_duration_;
  metrics::Gauge& in_flight_;
  metrics::Gauge& balancer_up_;
  metrics::Gauge& live_substations_;
  metrics::Family<metrics::Counter>& dropped_;
  metrics::Counter& retries_;
};

}  // namespace grid::edge
