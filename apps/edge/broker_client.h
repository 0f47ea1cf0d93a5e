#pragma once
// The edge's one ZeroMQ thread: it owns a DEALER connected to the balancer frontend, turns
// submitted charge requests into ChargeRequest messages, matches the ChargeReply that comes
// back by request id, answers requests past their deadline as timed out, and pings the balancer
// so /healthz can tell whether it answers.
// HTTP threads hand work over through submit(): a mutex-protected queue plus an eventfd that
// wakes the poll loop, so the socket never leaves its thread and no HTTP thread ever blocks.
// Thread-safety: submit(), stop(), healthy() and live_substations() from any thread; run() on
// the one broker thread. Answer callbacks run on the broker thread (or, for a submit() after the
// loop ended, on the caller's thread), exactly once per submit().

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

#include "charge_request.h"
#include "edge_metrics.h"
#include "grid/proto/messages.h"
#include "grid/transport/poll_loop.h"
#include "grid/util/clock.h"
#include "grid/util/logging.h"

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
};

enum class BrokerFailure {
  timeout,        // no reply before the deadline
  unreachable,    // no balancer connected: the request could not even be sent
  shutting_down,  // the edge is stopping
};

using BrokerAnswer = std::variant<proto::ChargeReply, BrokerFailure>;
using OnAnswer = std::function<void(BrokerAnswer)>;

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

  // Runs the loop until stop(); then answers everything still waiting with shutting_down.
  void run();
  void stop() { loop_.stop(); }

  // True while a pong arrived within health_window.
  bool healthy() const;
  // As the last pong said.
  std::uint32_t live_substations() const { return live_substations_.load(); }

private:
  struct Submitted {
    ChargeInput input;
    OnAnswer on_answer;
    TimePoint deadline;
  };
  struct Pending {
    std::vector<OnAnswer> waiters;  // more than one when clients sent the same Idempotency-Key
    TimePoint deadline;
    proto::ChargeRequest request;   // kept for the retry
  };

  void on_wakeup();
  void send(Submitted submitted, TimePoint now);
  void on_balancer();
  void on_reply(proto::ChargeReply reply);
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
  std::unordered_map<std::string, Pending> pending_;
  std::set<std::pair<TimePoint, std::string>> deadlines_;  // nearest first
  std::set<std::pair<TimePoint, std::string>> retries_;    // nearest first
  std::uint64_t ping_nonce_ = 0;
  TimePoint next_ping_{};
  LogRateLimit log_limit_;

  std::atomic<Duration::rep> last_pong_;  // time_since_epoch of the last pong
  std::atomic<std::uint32_t> live_substations_{0};
};

}  // namespace grid::edge
