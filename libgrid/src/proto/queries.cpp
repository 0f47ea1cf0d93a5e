#include "grid/proto/queries.h"

namespace grid::proto {

std::string_view status_name(SessionStatus status) {
  switch (status) {
    case SessionStatus::charging: return "charging";
    case SessionStatus::paused: return "paused";
    case SessionStatus::completed: return "completed";
    case SessionStatus::departed: return "departed";
    case SessionStatus::stopped: return "stopped";
  }
  return "unknown";
}

SubstationGathering::Step SubstationGathering::add(SubstationInfo info) {
  // total 0: the balancer knows none, and says so with one message.
  if (info.total == 0) {
    if (received_ > 0) return Step::inconsistent;
    complete_ = true;
    return Step::complete;
  }
  if (complete_) return Step::duplicate;
  if (info.total > max_listed_substations || info.index >= info.total ||
      (!infos_.empty() && infos_.size() != info.total)) {
    return Step::inconsistent;
  }
  if (infos_.empty()) {
    infos_.resize(info.total);
    seen_.resize(info.total);
  }
  if (seen_[info.index]) return Step::duplicate;
  seen_[info.index] = true;
  const auto index = info.index;
  infos_[index] = std::move(info);
  if (++received_ < infos_.size()) return Step::waiting;
  complete_ = true;
  return Step::complete;
}

}  // namespace grid::proto
