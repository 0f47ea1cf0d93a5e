#include "edge_metrics.h"

#include <string>

#include "grid/metrics/histogram.h"

namespace grid::edge {

EdgeMetrics::EdgeMetrics(metrics::Registry& r)
    : requests_(r.counter("edge_http_requests_total", "HTTP requests answered, by status code and handler",
                          {"code", "handler"})),
      // 0.5 ms (a reply from a balancer on the same host) to 5 s (past any sane --timeout-ms).
      charge_duration_(r.histogram("edge_request_duration_seconds",
                                   "Time from a POST /charge's arrival to its answer, whatever the status",
                                   {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5})
                           .add({})),
      in_flight_(r.gauge("edge_requests_in_flight", "POST /charge requests waiting for the balancer's answer").add({})),
      balancer_up_(r.gauge("edge_balancer_up", "1 while the balancer answered a ping recently, else 0").add({})),
      live_substations_(
          r.gauge("edge_balancer_live_substations", "Live substations, as the balancer's last pong said").add({})),
      dropped_(r.counter("edge_messages_dropped_total", "Messages from the balancer dropped, by reason", {"reason"})),
      retries_(r.counter("edge_balancer_retries_total",
                         "Charge requests sent to the balancer a second time, with the same request id, after "
                         "half the timeout passed without an answer")
                   .add({})) {
  // Present from the first scrape, so rate() and alerts see a zero before the first event.
  dropped_.add({{"reason", "unknown_request"}});
}

void EdgeMetrics::answered(std::string_view handler, int code) {
  requests_.add({{"code", std::to_string(code)}, {"handler", std::string(handler)}}).inc();
}

}  // namespace grid::edge
