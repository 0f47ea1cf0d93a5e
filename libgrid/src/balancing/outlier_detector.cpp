#include "grid/balancing/outlier_detector.h"

#include <algorithm>

namespace grid::balancing {

std::optional<TimePoint> OutlierDetector::on_failure(const std::string& substation, TimePoint now,
                                                     std::size_t live_substations) {
  if (settings_.consecutive_failures <= 0) return std::nullopt;
  Record& record = records_[substation];
  if (record.until) return std::nullopt;  // already out (an answer that was in flight)
  if (++record.consecutive < settings_.consecutive_failures) return std::nullopt;
  const std::size_t allowed =
      std::max<std::size_t>(1, live_substations * static_cast<std::size_t>(settings_.max_ejected_percent) / 100);
  if (ejected_until_.size() >= allowed) return std::nullopt;  // keep the rest of the grid routable

  if (record.ejections > 0) {
    const auto healthy_periods = (now - record.back_since) / settings_.base;
    record.ejections = static_cast<int>(std::max<decltype(healthy_periods)>(0, record.ejections - healthy_periods));
  }
  ++record.ejections;
  const Duration length = std::min<Duration>(settings_.base * record.ejections, settings_.longest);
  record.until = now + length;
  record.consecutive = 0;
  ejected_until_.emplace(*record.until, substation);
  return record.until;
}

void OutlierDetector::on_success(const std::string& substation) {
  if (const auto found = records_.find(substation); found != records_.end()) found->second.consecutive = 0;
}

void OutlierDetector::forget(const std::string& substation) {
  const auto found = records_.find(substation);
  if (found == records_.end()) return;
  if (found->second.until) ejected_until_.erase({*found->second.until, substation});
  records_.erase(found);
}

std::vector<std::string> OutlierDetector::restore_due(TimePoint now) {
  std::vector<std::string> restored;
  while (!ejected_until_.empty() && ejected_until_.begin()->first <= now) {
    auto node = ejected_until_.extract(ejected_until_.begin());
    Record& record = records_[node.value().second];
    record.until.reset();
    record.back_since = now;
    restored.push_back(std::move(node.value().second));
  }
  return restored;
}

std::optional<TimePoint> OutlierDetector::next_restore() const {
  if (ejected_until_.empty()) return std::nullopt;
  return ejected_until_.begin()->first;
}

bool OutlierDetector::ejected(const std::string& substation) const {
  const auto found = records_.find(substation);
  return found != records_.end() && found->second.until.has_value();
}

}  // namespace grid::balancing
