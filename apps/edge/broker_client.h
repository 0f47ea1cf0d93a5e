#pragma once
// The edge's one ZeroMQ thread: it owns a DEALER connected to the balancer frontend, turns
// submitted charge requests into ChargeRequest messages and asked queries (a session's state or
// stop, an operator limit on a substation or a feeder, the substation list) into theirs, matches every answer that comes back
// by request id (one bookkeeping for all: deadlines, one retry with the same id), answers requests
// past their deadline as timed out, and pings the balancer so /healthz can tell whether it answers.
// HTTP threads hand work over through submit(): a mutex-protected queue plus an eventfd that
// wakes the poll loop, so the socket never leaves its thread and no HTTP thread ever blocks.
// Thread-safety: submit(), ask(), stop(), healthy() and live_substations() from any thread; run()
// on the one broker thread. Answer callbacks run on the broker thread (or, for a submit() or ask()
// after the loop ended, on the caller's thread), exactly once per submit() or ask().

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <zmq.hpp>

#include "grid/transport/curve.h"

#include "charge_request.h"
#include "edge_metrics.h"
#include "grid/proto/messages.h"
#include "grid/transport/poll_loop.h"
#include "grid/util/clock.h"
#include "grid/util/logging.h"
#include "substation_list.h"

namespace grid::edge {

struct BrokerConfig {
  std::string balancer_endpoint = "tcp://127.0.0.1:5555";
  std::chrono::milliseconds timeout{2000};         // per request, from submit() to the answer
  // Unanswered after half the timeout, a request is sent once more with the same request id (a
  // balancer that restarted lost it; one that did not recognises the id and answers once).
  bool retry = true;
  std::chrono::milliseconds ping_interval{500};
  std::chrono::milliseconds health_window{1500};  // healthy while the last pong is this recent
  std::optional<std::uint64_t> id_prefix;          // request ids' prefix; random when empty
  std::optional<transport::CurveClient> curve;     // CurveZMQ keys; empty: unauthenticated
};

enum class BrokerFailure {
  timeout,        // no reply before the deadline
  unreachable,    // no balancer connected: the request could not even be sent
  shutting_down,  // the edge is stopping
};

// What a request ends with: the answer of its kind (a ChargeReply for submit(); a SessionState,
// LimitAck, FeederLimitAck or SubstationList for the query asked) or the failure.
using BrokerAnswer = std::variant<proto::ChargeReply, proto::SessionState, proto::LimitAck, proto::FeederLimitAck,
                                  SubstationList, BrokerFailure>;
using OnAnswer = std::function<void(BrokerAnswer)>;

// A question for the balancer other than a charge. Its request_id is the broker's to set.
using BrokerQuery = std::variant<proto::SessionQuery, proto::SetLimit, proto::FeederLimit, proto::SubstationsQuery>;


// The request's fingerprint, compared: the first field in which a request sent again under the
// same request id differs from the first one sent, or empty when it is the same request. The
// balancer compares the same fields (apps/balancer/dispatcher); a field added to ChargeRequest
// belongs in both.
std::string_view differing_field(const proto::ChargeRequest& first, const ChargeInput& again);

class BrokerClient {
public:
  // Creates the socket, connects it (the balancer may come later) and the wake-up eventfd.
  // Throws zmq::error_t for a bad endpoint, std::system_error when the eventfd cannot be made.
  BrokerClient(zmq::context_t& context, BrokerConfig config, EdgeMetrics& metrics, const Clock& clock = steady_clock());
  ~BrokerClient();
  BrokerClient(const BrokerClient&) = delete;
  BrokerClient& operator=(const BrokerClient&) = delete;

  // Queues one request; `on_answer` is called once with the balancer's reply or the failure.
  void submit(ChargeInput input, OnAnswer on_answer);
  // Queues one query, answered like submit(): with the answer of the query's kind or the failure.
  // It is sent under a fresh request id and, like a charge, once more under the same id when
  // unanswered after half the timeout (each is safe to repeat: a stop answers the same final state).
  void ask(BrokerQuery query, OnAnswer on_answer);

  // Runs the loop until stop(); then answers everything still waiting with shutting_down.
  void run();
  void stop() { loop_.stop(); }

  // True while a pong arrived within health_window.
  bool healthy() const;
  // As the last pong said.
  std::uint32_t live_substations() const { return live_substations_.load(); }

private:
  // What HTTP threads hand over: a charge or a query (no allocation beyond its own strings).
  using Work = std::variant<ChargeInput, proto::SessionQuery, proto::SetLimit, proto::FeederLimit, proto::SubstationsQuery>;
  // What went to the balancer, kept for the retry and to check an answer's kind.
  using Sent = std::variant<proto::ChargeRequest, proto::SessionQuery, proto::SetLimit, proto::FeederLimit,
                            proto::SubstationsQuery>;
  struct Submitted {
    Work work;
    OnAnswer on_answer;
    TimePoint deadline;
  };
  struct Pending {
    std::vector<OnAnswer> waiters;  // more than one when clients sent the same Idempotency-Key
    TimePoint deadline;
    Sent request;
    SubstationGathering gathered;  // empty (allocation-free) for everything but a SubstationsQuery
  };
  using PendingMap = std::unordered_map<std::string, Pending>;

  void enqueue(Work work, OnAnswer on_answer);
  void on_wakeup();
  void send(Submitted submitted, TimePoint now);
  void send_charge(ChargeInput input, OnAnswer on_answer, TimePoint deadline, TimePoint now);
  // Sends `request` (its id already `id`) and waits for its answer until `deadline`.
  void await(std::string id, Sent request, OnAnswer on_answer, TimePoint deadline, TimePoint now);
  void on_balancer();
  void on_message(proto::Message& message);
  // The request `request_id` awaiting an answer held in alternative `Kind` of Sent, or end().
  template <typename Kind>
  PendingMap::iterator awaiting(const std::string& request_id);
  void on_substation_info(proto::SubstationInfo info);
  void resolve(PendingMap::iterator found, const BrokerAnswer& answer);
  std::optional<TimePoint> on_timers(TimePoint now);
  void answer(OnAnswer& on_answer, BrokerAnswer answer);
  void answer_all(Pending& pending, const BrokerAnswer& answer);
  void drop(std::string_view reason);
  std::string next_request_id();

  BrokerConfig config_;
  EdgeMetrics& metrics_;
  const Clock& clock_;
  int wakeup_fd_ = -1;

  std::mutex mutex_;  // guards queue_ and closed_
  std::vector<Submitted> queue_;
  bool closed_ = false;

  // Broker thread only.
  zmq::socket_t dealer_;
  transport::PollLoop loop_;
  std::string id_prefix_;
  std::uint64_t id_counter_ = 0;
  PendingMap pending_;
  std::set<std::pair<TimePoint, std::string>> deadlines_;  // nearest first
  std::set<std::pair<TimePoint, std::string>> retries_;    // nearest first
  std::uint64_t ping_nonce_ = 0;
  TimePoint next_ping_{};
  LogRateLimit log_limit_;

  std::atomic<Duration::rep> last_pong_;  // time_since_epoch of the last pong
  std::atomic<std::uint32_t> live_substations_{0};
};

}  // namespace grid::edge
