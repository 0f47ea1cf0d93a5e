#pragma once
// The balancer's feeder metrics: each feeder's effective limit and what its substations draw, each
// substation's grant, and counters of grants sent and feeder conflicts seen.
// Thread-safety: the balancer thread updates; scrapes read prometheus-cpp's atomics.

#include <string>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace grid::balancer {

class FeederMetrics {
public:
  explicit FeederMetrics(prometheus::Registry& registry);

  void limit(const std::string& feeder, double kw) { limit_.Add({{"feeder", feeder}}).Set(kw); }
  void allocated(const std::string& feeder, double kw) { allocated_.Add({{"feeder", feeder}}).Set(kw); }
  void granted(const std::string& feeder, const std::string& substation, double kw) {
    granted_.Add({{"feeder", feeder}, {"substation", substation}}).Set(kw);
  }
  // 1 while this balancer grants the feeder, 0 while it stands down for a lower balancer boot.
  void leading(const std::string& feeder, bool leads) { leading_.Add({{"feeder", feeder}}).Set(leads ? 1 : 0); }
  void grant_sent() { grants_.Increment(); }
  void conflict() { conflicts_.Increment(); }

private:
  prometheus::Family<prometheus::Gauge>& limit_;
  prometheus::Family<prometheus::Gauge>& allocated_;
  prometheus::Family<prometheus::Gauge>& granted_;
  prometheus::Family<prometheus::Gauge>& leading_;
  prometheus::Counter& grants_;
  prometheus::Counter& conflicts_;
};

}  // namespace grid::balancer
