#pragma once
// The balancer's request logic, without sockets: for each charge request it picks a substation
// with the policy, reserves the power, sends a job, and waits for the answer or the dispatch
// timeout; on a refusal or a timeout it tries the next candidate; when nobody can take the request
// it answers "no capacity". Every request gets exactly one answer.
// Time comes in as a parameter, so tests step it. Thread-safety: none; the balancer thread owns it.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "balancer_metrics.h"
#include "grid/balancing/load_table.h"
#include "grid/balancing/policy.h"
#include "grid/proto/messages.h"

namespace grid::balancer {

// Where the dispatcher's messages go; the node implements it with its sockets.
class Outbox {
public:
  virtual ~Outbox() = default;
  // False when the substation cannot be reached right now (not connected, queue full).
  virtual bool send_job(const std::string& substation, const proto::ChargeJob& job) = 0;
  virtual void send_reply(const std::string& client, const proto::ChargeReply& reply) = 0;
};

struct DispatchSettings {
  Duration dispatch_timeout = std::chrono::milliseconds(500);
  std::size_t max_in_flight = 10'000;  // requests waiting for a substation; beyond it: busy
};

class Dispatcher {
public:
  Dispatcher(balancing::LoadTable& table, balancing::Policy& policy, Random& random, Outbox& outbox,
             BalancerMetrics& metrics, DispatchSettings settings);

  void on_request(const std::string& client, proto::ChargeRequest request, TimePoint now);
  void on_result(const std::string& substation, const proto::JobResult& result, TimePoint now);
  // Handles dispatch timeouts due at `now`.
  void on_timers(TimePoint now);
  std::optional<TimePoint> next_deadline() const;
  std::size_t in_flight() const { return jobs_.size(); }

private:
  struct Pending {
    std::string client;
    proto::ChargeRequest request;
    std::vector<std::string> tried;
    std::string substation;  // where the current job went
    TimePoint deadline;
    TimePoint received;
  };

  // Sends the request to the next candidate, or answers it when there is none.
  void dispatch(Pending pending, TimePoint now);
  void answer(const Pending& pending, proto::ChargeReply reply, std::string_view outcome, TimePoint now);
  void publish(const std::string& substation);

  balancing::LoadTable& table_;
  balancing::Policy& policy_;
  Random& random_;
  Outbox& outbox_;
  BalancerMetrics& metrics_;
  DispatchSettings settings_;
  std::uint64_t next_job_id_ = 1;
  std::unordered_map<std::uint64_t, Pending> jobs_;  // by job id
  std::set<std::pair<TimePoint, std::uint64_t>> deadlines_;
};

}  // namespace grid::balancer
