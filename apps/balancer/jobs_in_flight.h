#pragma once
// The requests the balancer has sent to a substation and is waiting on: by job id, by deadline,
// and by request id (so a repeated request joins the one in flight). One home for the three
// indexes, so they cannot fall out of step.
// Thread-safety: none; the balancer thread owns it.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "grid/balancing/policy.h"
#include "grid/proto/messages.h"
#include "grid/util/clock.h"

namespace grid::balancer {

// One request on its way to an answer.
struct PendingRequest {
  std::vector<std::string> clients;  // more than one when a request id came again meanwhile
  proto::ChargeRequest request;
  balancing::TriedSet tried;
  std::string substation;  // where the current job went
  bool to_holder = false;  // that substation already holds a session for the request (learned)
  TimePoint deadline;
  TimePoint received;
};

class JobsInFlight {
public:
  void add(std::uint64_t job_id, PendingRequest pending) {
    deadlines_.emplace(pending.deadline, job_id);
    by_request_[pending.request.request_id] = job_id;
    jobs_.emplace(job_id, std::move(pending));
  }
  // Removes and returns the job, if it is still waiting.
  std::optional<PendingRequest> take(std::uint64_t job_id) {
    const auto found = jobs_.find(job_id);
    if (found == jobs_.end()) return std::nullopt;
    PendingRequest pending = std::move(found->second);
    jobs_.erase(found);
    deadlines_.erase({pending.deadline, job_id});
    by_request_.erase(pending.request.request_id);
    return pending;
  }
  const PendingRequest* find(std::uint64_t job_id) const {
    const auto found = jobs_.find(job_id);
    return found == jobs_.end() ? nullptr : &found->second;
  }
  PendingRequest* find_request(const std::string& request_id) {
    const auto found = by_request_.find(request_id);
    return found == by_request_.end() ? nullptr : &jobs_.at(found->second);
  }
  // The job whose deadline is earliest, if it is due at `now`.
  std::optional<std::uint64_t> next_due(TimePoint now) const {
    if (deadlines_.empty() || deadlines_.begin()->first > now) return std::nullopt;
    return deadlines_.begin()->second;
  }
  std::optional<TimePoint> next_deadline() const {
    if (deadlines_.empty()) return std::nullopt;
    return deadlines_.begin()->first;
  }
  std::size_t size() const { return jobs_.size(); }

private:
  std::unordered_map<std::uint64_t, PendingRequest> jobs_;
  std::set<std::pair<TimePoint, std::uint64_t>> deadlines_;
  std::unordered_map<std::string, std::uint64_t> by_request_;
};

}  // namespace grid::balancer
