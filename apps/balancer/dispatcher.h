#pragma once
// The balancer's request logic, without sockets: for each charge request it picks a substation
// with the policy, reserves the power, sends a job, and waits for the answer or the dispatch
// timeout; on a refusal or a timeout it tries the next candidate; when nobody can take the request
// it answers "no capacity". Every request gets exactly one answer, and holds at most one session:
// - a substation that answered too late, or not at all, is told to cancel what it may have admitted;
// - a request id seen again while in flight waits for the first answer; one already admitted is
//   answered with the same session (the requester retried after losing our reply).
// After a start it holds requests for a warm-up, so it never places them on the stale picture of
// a grid it has not heard from yet.
// Time comes in as a parameter, so tests step it. Thread-safety: none; the balancer thread owns it.

#include <cstdint>
#include <deque>
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
  virtual void send_cancel(const std::string& substation, const proto::CancelSession& cancel) = 0;
  virtual void send_reply(const std::string& client, const proto::ChargeReply& reply) = 0;
};

struct DispatchSettings {
  Duration dispatch_timeout = std::chrono::milliseconds(500);
  std::size_t max_in_flight = 10'000;  // requests waiting for a substation; beyond it: busy
  Duration warmup{0};                  // requests arriving sooner after start wait until then
  std::size_t remembered_answers = 20'000;  // retries come within seconds: over 30 s at 600 req/s
};

class Dispatcher {
public:
  Dispatcher(balancing::LoadTable& table, balancing::Policy& policy, Random& random, Outbox& outbox,
             BalancerMetrics& metrics, DispatchSettings settings, TimePoint start);

  void on_request(const std::string& client, proto::ChargeRequest request, TimePoint now);
  void on_result(const std::string& substation, const proto::JobResult& result, TimePoint now);
  // Handles dispatch timeouts due at `now`, and the end of the warm-up.
  void on_timers(TimePoint now);
  std::optional<TimePoint> next_deadline() const;
  // Requests not answered yet (waiting for a substation, or for the warm-up to end).
  std::size_t in_flight() const { return jobs_.size() + held_.size(); }

private:
  struct Pending {
    std::vector<std::string> clients;  // more than one when a request id came again meanwhile
    proto::ChargeRequest request;
    std::vector<std::string> tried;
    std::string substation;  // where the current job went
    TimePoint deadline;
    TimePoint received;
  };

  bool join_existing(const std::string& client, const std::string& request_id);
  // Sends the request to the next candidate, or answers it when there is none.
  void dispatch(Pending pending, TimePoint now);
  void answer(const Pending& pending, proto::ChargeReply reply, std::string_view outcome, TimePoint now);
  void remember(const proto::ChargeReply& reply);
  void publish(const std::string& substation);
  void count_in_flight() { metrics_.in_flight(in_flight()); }

  balancing::LoadTable& table_;
  balancing::Policy& policy_;
  Random& random_;
  Outbox& outbox_;
  BalancerMetrics& metrics_;
  DispatchSettings settings_;
  TimePoint warm_until_;
  std::uint64_t next_job_id_ = 1;
  std::unordered_map<std::uint64_t, Pending> jobs_;  // by job id
  std::set<std::pair<TimePoint, std::uint64_t>> deadlines_;
  std::unordered_map<std::string, std::uint64_t> job_of_request_;  // request id -> job id, in flight
  std::deque<Pending> held_;                                       // during the warm-up
  std::unordered_map<std::string, proto::ChargeReply> admitted_;   // request id -> its answer
  std::deque<std::string> admitted_order_;
};

}  // namespace grid::balancer
