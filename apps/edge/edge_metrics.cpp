#include "edge_metrics.h"

#include "grid/proto/codec.h"

namespace grid::edge {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

EdgeMetrics::EdgeMetrics(prometheus::Registry& r)
    : requests_(BuildCounter()
                    .Name("edge_http_requests_total")
                    .Help("HTTP requests answered, by status code and handler")
                    .Register(r)),
      // 0.5 ms (a reply from a balancer on the same host) to 5 s (past any sane --timeout-ms).
      charge_duration_(BuildHistogram()
                           .Name("edge_request_duration_seconds")
                           .Help("Time from a POST /charge's arrival to its answer, whatever the status")
                           .Register(r)
                           .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                                            0.05, 0.1, 0.25, 0.5, 1, 2.5, 5})),
      in_flight_(BuildGauge()
                     .Name("edge_requests_in_flight")
                     .Help("POST /charge requests waiting for the balancer's answer")
                     .Register(r)
                     .Add({})),
      balancer_up_(BuildGauge()
                       .Name("edge_balancer_up")
                       .Help("1 while at least one balancer answered a ping recently, else 0")
                       .Register(r)
                       .Add({})),
      live_substations_(BuildGauge()
                            .Name("edge_balancer_live_substations")
                            .Help("Live substations, the most any answering balancer's last pong said")
                            .Register(r)
                            .Add({})),
      retries_(BuildCounter()
                   .Name("edge_balancer_retries_total")
                   .Help("Charge requests sent to the balancer a second time, with the same request id, after "
                         "half the timeout passed without an answer")
                   .Register(r)
                   .Add({})),
      rate_limited_(BuildCounter()
                        .Name("edge_rate_limited_total")
                        .Help("POST /charge requests answered 429 because their client address went past --rate-limit")
                        .Register(r)
                        .Add({})),
      balancers_configured_(BuildGauge()
                                .Name("edge_balancers_configured")
                                .Help("Balancers this edge is configured with (--balancer)")
                                .Register(r)
                                .Add({})),
      balancers_live_(BuildGauge()
                          .Name("edge_balancers_live")
                          .Help("Balancers that answered a ping recently")
                          .Register(r)
                          .Add({})),
      failovers_(BuildCounter()
                     .Name("edge_failovers_total")
                     .Help("Requests re-sent, with the same request id, to another balancer than the one they were "
                           "sent to or meant for: a failed send, no answer by half the timeout, or a balancer that "
                           "stopped answering pings")
                     .Register(r)
                     .Add({})),
      answering_family_(BuildGauge()
                            .Name("edge_balancer_answering")
                            .Help("1 while this balancer answered a ping recently, else 0")
                            .Register(r)),
      feeder_unanswered_family_(BuildCounter()
                                    .Name("edge_feeder_limit_unanswered_total")
                                    .Help("Feeder limits answered at their deadline without this balancer's ack")
                                    .Register(r)),
      dropped_(BuildCounter()
                   .Name("edge_messages_dropped_total")
                   .Help("Messages from the balancer dropped, by reason")
                   .Register(r),
               {}, "reason") {
  for (const auto error : proto::all_decode_errors) dropped_.get(proto::reason_label(error));
  for (const auto* reason : node_drop_reasons) dropped_.get(reason);
}

void EdgeMetrics::configure_balancers(const std::vector<std::string>& endpoints) {
  balancers_configured_.Set(static_cast<double>(endpoints.size()));
  answering_.clear();
  feeder_unanswered_.clear();
  for (const auto& endpoint : endpoints) {
    answering_.push_back(&answering_family_.Add({{"balancer", endpoint}}));
    feeder_unanswered_.push_back(&feeder_unanswered_family_.Add({{"balancer", endpoint}}));
  }
}

void EdgeMetrics::answered(std::string_view handler, int code) {
  prometheus::Counter* counter = nullptr;
  {
    std::lock_guard lock(mutex_);
    for (const auto& known : answered_) {
      if (known.code == code && known.handler == handler) {
        counter = known.counter;
        break;
      }
    }
    if (counter == nullptr) {
      counter = &requests_.Add({{"code", std::to_string(code)}, {"handler", std::string(handler)}});
      answered_.push_back({std::string(handler), code, counter});
    }
  }
  counter->Increment();
}

void EdgeMetrics::dropped(std::string_view reason) {
  std::lock_guard lock(mutex_);
  dropped_.get(reason).Increment();
}

}  // namespace grid::edge
