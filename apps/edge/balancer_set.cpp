#include "balancer_set.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include "balancer_list.h"
#include "grid/transport/sockets.h"

namespace grid::edge {
namespace {

constexpr Duration::rep never = std::numeric_limits<Duration::rep>::min();

}  // namespace

BalancerSet::BalancerSet(zmq::context_t& context, const std::vector<std::string>& endpoints,
                         const std::optional<transport::CurveClient>& curve, const Clock& clock, Duration health_window)
    : endpoints_(endpoints), clock_(clock), health_window_(health_window) {
  if (auto error = balancer_list_error(endpoints_); !error.empty()) throw std::invalid_argument("edge: " + error);
  for (const auto& endpoint : endpoints_) {
    std::unique_ptr<Balancer> balancer(new Balancer{
        transport::make_socket(context, zmq::socket_type::dealer, {.immediate = true, .curve_client = curve}), never});
    balancer->dealer.connect(endpoint);
    balancers_.push_back(std::move(balancer));
  }
}

void BalancerSet::pong(std::size_t index, std::uint32_t live, TimePoint now) {
  balancers_[index]->live = live;
  balancers_[index]->last_pong = now.time_since_epoch().count();
}

bool BalancerSet::answering_at(const Balancer& balancer, TimePoint now) const {
  const auto last = balancer.last_pong.load();
  return last != never && now - TimePoint{Duration{last}} < health_window_;
}

bool BalancerSet::answering(std::size_t index, TimePoint now) const { return answering_at(*balancers_[index], now); }

std::size_t BalancerSet::answering_count() const {
  const TimePoint now = clock_.now();
  return static_cast<std::size_t>(
      std::count_if(balancers_.begin(), balancers_.end(), [&](const auto& balancer) { return answering_at(*balancer, now); }));
}

std::uint32_t BalancerSet::live_substations() const {
  const TimePoint now = clock_.now();
  std::uint32_t most = 0;
  for (const auto& balancer : balancers_) {
    if (answering_at(*balancer, now)) most = std::max(most, balancer->live.load());
  }
  return most;
}

std::optional<TimePoint> BalancerSet::next_expiry() const {
  const TimePoint now = clock_.now();
  std::optional<TimePoint> next;
  for (const auto& balancer : balancers_) {
    if (!answering_at(*balancer, now)) continue;
    const TimePoint expiry = TimePoint{Duration{balancer->last_pong.load()}} + health_window_;
    if (!next || expiry < *next) next = expiry;
  }
  return next;
}

std::vector<BalancerSet::Change> BalancerSet::changes(TimePoint now) {
  std::vector<Change> changed;
  for (std::size_t index = 0; index < balancers_.size(); ++index) {
    auto& balancer = *balancers_[index];
    const bool answering_now = answering_at(balancer, now);
    if (answering_now == balancer.reported) continue;
    balancer.reported = answering_now;
    changed.push_back({index, answering_now});
  }
  return changed;
}

std::vector<std::size_t> BalancerSet::candidates(const std::vector<std::size_t>& order,
                                                 std::optional<std::size_t> avoid, TimePoint now) const {
  std::vector<std::size_t> chosen;
  chosen.reserve(order.size());
  for (const bool wanted : {true, false}) {
    for (const auto index : order) {
      if (index != avoid && answering(index, now) == wanted) chosen.push_back(index);
    }
    if (avoid && *avoid < balancers_.size() && answering(*avoid, now) == wanted) chosen.push_back(*avoid);
  }
  return chosen;
}

}  // namespace grid::edge
