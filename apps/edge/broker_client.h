#pragma once
// The edge's one ZeroMQ thread: it owns a DEALER per configured balancer (balancer_set.h; all
// active, no single point of failure), turns submitted charge requests into ChargeRequest messages
// and asked queries (a session's state or stop, an operator limit on a substation or a feeder, the
// substation list) into theirs, matches every answer that comes back by request id from whichever
// balancer (one bookkeeping for all: deadlines, one retry with the same id), answers requests past
// their deadline as timed out, and pings every balancer so /healthz can tell whether one answers.
// Where a request goes: a charge to its balancer by rendezvous hashing of its request id
// (rendezvous.h: the same Idempotency-Key reaches the same balancer, which deduplicates it, even
// through two edges); a query to the answering balancers in turn; a feeder limit to every one
// (feeder_fanout.h). With the same request id it fails over to the next balancer when a send fails
// (at once), at the retry (half the timeout), and when its balancer stops answering pings.
// HTTP threads hand work over through submit(): a mutex-protected queue plus an eventfd that
// wakes the poll loop, so the sockets never leave their thread and no HTTP thread ever blocks.
// Thread-safety: submit(), ask(), stop(), healthy(), answering_balancers() and live_substations()
// from any thread; run() on the one broker thread. Answer callbacks run on the broker thread (or,
// for a submit() or ask() after the loop ended, on the caller's thread), exactly once per submit()
// or ask().

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

#include "balancer_set.h"
#include "charge_request.h"
#include "edge_metrics.h"
#include "feeder_fanout.h"
#include "grid/proto/messages.h"
#include "grid/transport/poll_loop.h"
#include "grid/util/clock.h"
#include "grid/util/logging.h"
#include "substation_list.h"

namespace grid::edge {

struct BrokerConfig {
  // Every balancer of the grid (their frontends), at least one, none twice; all used at once.
  std::vector<std::string> balancer_endpoints{"tcp://127.0.0.1:5555"};
  std::chrono::milliseconds timeout{2000};         // per request, from submit() to the answer
  // Unanswered after half the timeout, a request is sent once more with the same request id (a
  // balancer that restarted lost it; one that did not recognises the id and answers once).
  bool retry = true;
  std::chrono::milliseconds ping_interval{500};
  std::chrono::milliseconds health_window{1500};  // a balancer answers while its last pong is this recent
  std::optional<std::uint64_t> id_prefix;          // request ids' prefix; random when empty
  std::optional<transport::CurveClient> curve;     // CurveZMQ keys; empty: unauthenticated
};

enum class BrokerFailure {
  timeout,        // no reply before the deadline
  unreachable,    // no balancer connected: the request could not even be sent to any
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
  // Creates the sockets, connects them (the balancers may come later) and the wake-up eventfd.
  // Throws std::invalid_argument for an empty or duplicated balancer list, zmq::error_t for a bad
  // endpoint, std::system_error when the eventfd cannot be made.
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

  // True while at least one balancer's pong arrived within health_window.
  bool healthy() const { return balancers_.healthy(); }
  std::size_t answering_balancers() const { return balancers_.answering_count(); }
  std::size_t configured_balancers() const { return balancers_.size(); }
  // The most live substations any answering balancer's last pong said.
  std::uint32_t live_substations() const { return balancers_.live_substations(); }

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
    std::vector<std::size_t> order;  // the balancers in this request's preference, each once
    std::size_t balancer = 0;        // the one it was last sent to (not for a FeederLimit)
    SubstationGathering gathered;    // empty (allocation-free) for everything but a SubstationsQuery
    FeederFanOut fanout;             // empty (allocation-free) for everything but a FeederLimit
  };
  using PendingMap = std::unordered_map<std::string, Pending>;

  void enqueue(Work work, OnAnswer on_answer);
  void on_wakeup();
  void send(Submitted submitted, TimePoint now);
  void send_charge(ChargeInput input, OnAnswer on_answer, TimePoint deadline, TimePoint now);
  // Sends `request` (its id already `id`) and waits for its answer until `deadline`.
  void await(std::string id, Sent request, OnAnswer on_answer, TimePoint deadline, TimePoint now);
  // The balancers' preference for a new request: rendezvous order for a charge, the next in turn
  // for a query.
  std::vector<std::size_t> preference(const std::string& id, const Sent& request);
  // Sends to the first of `candidates` that takes it (a send fails at once when that balancer is
  // not connected); the one that took it, or empty when none did.
  std::optional<std::size_t> send_first(const std::string& id, const Sent& request,
                                        const std::vector<std::size_t>& candidates);
  bool send_to(std::size_t balancer, const Sent& request);
  // Sends the request once more (same id) to the best balancer other than its last unless none
  // other takes it; `reason` is for the log. Counts a failover when it went elsewhere.
  void resend(PendingMap::iterator found, TimePoint now, std::string_view reason, bool allow_same);
  // Balancer `index` stopped answering pings: its pending requests go to the next balancer.
  void fail_over_from(std::size_t index, TimePoint now);
  void ping_balancers(TimePoint now);
  void publish_health(TimePoint now);
  // The FeederLimit fan-out (broker_feeder_limit.cpp).
  void fan_out(std::string id, proto::FeederLimit request, OnAnswer on_answer, TimePoint deadline, TimePoint now);
  void on_feeder_ack(std::size_t from, proto::FeederLimitAck ack);
  void resend_feeder_limit(Pending& pending);
  void feeder_limit_deadline(const std::string& id, Pending& pending);
  void on_balancer(std::size_t index);
  void on_message(std::size_t from, proto::Message& message);
  // The request `request_id` awaiting an answer held in alternative `Kind` of Sent, or end().
  template <typename Kind>
  PendingMap::iterator awaiting(const std::string& request_id);
  void on_substation_info(std::size_t from, proto::SubstationInfo info);
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

  // Broker thread only (but for BalancerSet's atomics).
  BalancerSet balancers_;
  transport::PollLoop loop_;
  std::string id_prefix_;
  std::uint64_t id_counter_ = 0;
  PendingMap pending_;
  std::set<std::pair<TimePoint, std::string>> deadlines_;  // nearest first
  std::set<std::pair<TimePoint, std::string>> retries_;    // nearest first
  std::uint64_t ping_nonce_ = 0;
  TimePoint next_ping_{};
  std::size_t next_query_balancer_ = 0;  // round robin of queries
  LogRateLimit log_limit_;
  LogRateLimit failover_log_limit_;
};

}  // namespace grid::edge
