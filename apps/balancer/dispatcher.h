#pragma once
// The balancer's request logic, without sockets: for each charge request it picks a substation
// with the policy, reserves the power, sends a job, and waits for the answer or the dispatch
// timeout; on a refusal or a timeout it tries the next candidate; when nobody can take the request
// it answers "no capacity". Every request gets exactly one answer, and holds at most one session:
// - a substation that answered too late, or not at all, is told to cancel what it may have admitted;
// - a request id seen again while in flight waits for the first answer; one already admitted is
//   answered with the same session (the requester retried after losing our reply);
// - a request id seen again with different fields (vehicle, power, energy, minimum, departure,
//   priority) is a conflict, never an answer meant for another request.
// A job carries the request's minimum, departure and priority; the job holds the session's
// minimum and maximum at its substation until answered (balancing::Reservation), and the answer
// gives the requester the power allocated now and the minimum the substation set.
// After a start it holds requests for a warm-up, so it never places them on the stale picture of
// a grid it has not heard from yet, nor before it has read which requests the substations already
// hold (AdmissionSync). What it learns so goes back to the substation holding it: a request
// admitted before a balancer restart and retried after it gets the same session. A request found
// held twice (a substation that was unreachable while its request was placed elsewhere) keeps the
// session the balancer answered, or is about to answer, and the other is cancelled.
// With several balancers (docs/protocol.md, "Several balancers"), every substation announces each
// admission to every balancer (Admitted). A request another balancer placed goes back to its
// holder here too, and a request placed by two balancers at once keeps one session by a rule every
// balancer applies alike: the smaller (substation, session) pair stays, the other is cancelled.
// It keeps request bookkeeping only: what it learns about substations goes to the GridView.
// Time comes from the injected clock, so tests step it. Thread-safety: none; the balancer thread owns it.

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "admission_sync.h"
#include "balancer_metrics.h"
#include "grid/balancing/policy.h"
#include "grid/proto/messages.h"
#include "grid/util/bounded_memo.h"
#include "grid_view.h"
#include "jobs_in_flight.h"

namespace grid::balancer {

// Where the dispatcher's messages go; the node implements it with its sockets.
class Outbox {
public:
  virtual ~Outbox() = default;
  // False when the substation cannot be reached right now (not connected, queue full).
  virtual bool send_job(const std::string& substation, const proto::ChargeJob& job) = 0;
  virtual void send_cancel(const std::string& substation, const proto::CancelSession& cancel) = 0;
  // False when the requester is gone (it cannot be answered).
  virtual bool send_reply(const std::string& client, const proto::ChargeReply& reply) = 0;
};

struct DispatchSettings {
  Duration dispatch_timeout = std::chrono::milliseconds(500);
  std::size_t max_in_flight = 10'000;  // requests waiting for a substation; beyond it: busy
  Duration warmup = std::chrono::milliseconds(500);  // requests arriving sooner after start wait until then
  std::size_t remembered_answers = 20'000;  // retries come within seconds: over 30 s at 600 req/s
  // After the warm-up, held requests wait at most this much longer for admission readings under way.
  Duration max_read_wait = std::chrono::seconds(1);
  // Requests learned from substations' admission memories (each remembers 20,000).
  std::size_t remembered_learned = 200'000;
  // This boot's first job id. The node starts it at the wall clock in microseconds, so a job id
  // below it was sent by an earlier boot: an answer to it is news of a session, not a late one.
  std::uint64_t first_job_id = 1;
  // This balancer's boot id, random per start: every job carries it (placed_by), and a
  // substation's announcement of an admission names it, so our own are told from our peers'.
  std::uint64_t balancer_boot = 0;
};

class Dispatcher {
public:
  Dispatcher(GridView& grid, balancing::Policy& policy, Random& random, Outbox& outbox, BalancerMetrics& metrics,
             DispatchSettings settings, const Clock& clock);

  void on_request(const std::string& client, proto::ChargeRequest request);
  void on_result(const std::string& substation, const proto::JobResult& result);
  // `substation` holds a session for this request (from its admission memory, AdmissionSync).
  void learn(const std::string& substation, const std::string& request_id, const std::string& session_id);
  // A substation announced an admission (every balancer hears every one).
  void on_announced(const std::string& substation, const proto::Admitted& admitted);
  // The reading of admissions the warm-up waits for (none: it waits for nothing but time).
  void attach_admission_sync(const AdmissionSync& sync) { sync_ = &sync; }
  // Handles dispatch timeouts due now, and the end of the warm-up.
  void on_timers();
  std::optional<TimePoint> next_deadline() const;
  // Requests not answered yet (waiting for a substation, or for the warm-up to end).
  std::size_t in_flight() const { return jobs_.size() + held_for_warmup_.size(); }

private:
  struct Held {
    std::string substation;
    std::string session_id;
  };
  struct Answered {
    proto::ChargeReply reply;
    proto::ChargeRequest request;  // what was asked, to tell a retry from a reused id
  };

  // The request's id is already known (answered, in flight or held): answers or joins it.
  bool known_request(const std::string& client, const proto::ChargeRequest& request);
  bool warming(TimePoint now) const;
  // The substation that holds this request already, if it is live and not tried yet for it.
  const balancing::Substation* holder(const PendingRequest& pending) const;
  // This substation holds this session for the request as far as we know (answered or learned).
  bool known_session(const std::string& substation, const std::string& request_id,
                     const std::string& session_id) const;
  void cancel_duplicate(const std::string& substation, const std::string& request_id, const std::string& session_id);
  // Our job for `pending` was accepted as `session` on `substation`, but another balancer placed
  // the request too. True when ours yields (cancelled; the request re-sent to the peer's holder,
  // or answered with its session); false when ours stays (the peer's is cancelled).
  bool yields_to_peer(PendingRequest& pending, const std::string& substation, const std::string& session);
  // Another balancer's placement of an answered request: the same rule, after the fact.
  void settle_answered(const std::string& request_id, const Held& theirs);
  // Sends the request to the next candidate, or answers it when there is none.
  void dispatch(PendingRequest pending);
  void answer(const PendingRequest& pending, proto::ChargeReply reply, std::string_view outcome);
  void reply_to(const std::string& client, const proto::ChargeReply& reply, std::string_view outcome);
  void count_in_flight() { metrics_.in_flight(in_flight()); }

  GridView& grid_;
  balancing::Policy& policy_;
  Random& random_;
  Outbox& outbox_;
  BalancerMetrics& metrics_;
  DispatchSettings settings_;
  const Clock& clock_;
  TimePoint warm_until_;
  std::uint64_t next_job_id_;
  JobsInFlight jobs_;
  std::deque<PendingRequest> held_for_warmup_;
  BoundedMemo<std::string, Answered> answered_;  // request id -> its charging answer
  BoundedMemo<std::string, Held> learned_;       // request id -> where it is held (admission readings)
  BoundedMemo<std::string, Held> announced_;     // request id -> where another balancer placed it
  const AdmissionSync* sync_ = nullptr;
};

}  // namespace grid::balancer
