// The ZeroMQ driver: a DEALER on a balancer's frontend, as an edge has, so the grid is measured
// without the HTTP layer. Replies come in any order and are matched on request_id.
//
// Several balancers (--target repeated): one DEALER per balancer rather than one DEALER connected
// to all. A single DEALER would spread the requests just as well (it round-robins over its
// connected peers, and `immediate` skips a dead one), but it cannot say which balancer answered;
// one socket per balancer can, so the summary shows how the work was shared, and a balancer that
// is down is skipped the same way (its send fails at once and the next balancer is tried).
#include <atomic>
#include <deque>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "balancer_ping.h"
#include "driver.h"
#include "grid/transport/poll_loop.h"
#include "grid/transport/sockets.h"
#include "grid/transport/wire.h"
#include "grid/util/logging.h"
#include "pacer.h"
#include "trace_schedule.h"  // run_token

namespace grid::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_between(TimePoint from, TimePoint to) { return std::chrono::duration<double>(to - from).count(); }
double ms_between(TimePoint from, TimePoint to) { return std::chrono::duration<double, std::milli>(to - from).count(); }

class ZmqDriver final : public Driver {
public:
  explicit ZmqDriver(const LoadgenConfig& config)
      : config_(config),
        loop_(context_, steady_clock()),
        pacer_({config.vehicles, config.concurrency, config.rate, config.ramp_s}, config.seed),
        token_(run_token()) {
    for (const auto& target : config.targets) {
      // With immediate, a send fails at once while no connection is up, so a target that is
      // down shows up as errors (or, with several, as the next target's work) instead of
      // requests queued for a peer that never comes.
      sockets_.push_back(transport::make_socket(context_, zmq::socket_type::dealer,
                                                {.immediate = true, .curve_client = config.curve}));
      sockets_.back().connect(target.text());
      tally_.targets[target.text()];  // every target in the summary, even one that got nothing
    }
    tally_.planned = config.vehicles;
    for (std::size_t i = 0; i < sockets_.size(); ++i) loop_.add(sockets_[i], [this, i] { on_replies(i); });
    loop_.set_timers([this](TimePoint now) { return on_timers(now); });
  }

  RunTally run() override {
    for (std::size_t i = 0; i < sockets_.size() && !stopped_; ++i) {
      wait_for_balancer(sockets_[i], config_.targets[i].text(), config_.timeout, stopped_);
    }
    start_ = last_finish_ = Clock::now();
    if (!stopped_) loop_.run();
    tally_.wall_s = seconds_between(start_, last_finish_);
    tally_.interrupted = stopped_.load() && tally_.finished() < tally_.planned;
    return tally_;
  }

  void stop() override {
    stopped_ = true;
    loop_.stop();
  }

private:
  std::optional<TimePoint> on_timers(TimePoint now) {
    expire(now);
    const double elapsed = seconds_between(start_, now);
    while (pacer_.may_start(elapsed, pending_.size())) {
      pacer_.started();
      send_request(pacer_.started_count(), now);
    }
    if (pacer_.all_started() && pending_.empty()) {
      loop_.stop();
      return std::nullopt;
    }
    std::optional<TimePoint> wake;
    if (const auto at = pacer_.next_wake_s(elapsed, pending_.size())) {
      wake = start_ + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(*at));
    }
    if (!deadlines_.empty() && (!wake || deadlines_.front().first < *wake)) wake = deadlines_.front().first;
    return wake;
  }

  // Round robin over the targets, starting after the last one used; a target whose send fails
  // (no connection, or its queue full) is passed over for the next. Only when none takes the
  // request is it an error.
  void send_request(std::size_t n, TimePoint now) {
    proto::ChargeRequest request{token_ + "-" + std::to_string(n), vehicle_id(n), config_.power_kw, config_.energy_kwh};
    const proto::Encoded encoded = proto::encode(request);
    for (std::size_t tried = 0; tried < sockets_.size(); ++tried) {
      const std::size_t i = next_target_++ % sockets_.size();
      if (transport::send_encoded(sockets_[i], encoded) != transport::SendResult::sent) continue;
      ++tally_.targets[config_.targets[i].text()].sent;
      deadlines_.emplace_back(now + config_.timeout, request.request_id);
      pending_.emplace(std::move(request.request_id), now);
      return;
    }
    finish(RequestOutcome::error, std::nullopt, now);
    problems_.warn("cannot send to {} (no connection to {})", targets_text(config_),
                   sockets_.size() > 1 ? "any balancer" : "the balancer");
  }

  // Deadlines are all one timeout after their send, so the queue is in deadline order; entries
  // already answered are skipped when they come up.
  void expire(TimePoint now) {
    while (!deadlines_.empty() && deadlines_.front().first <= now) {
      if (pending_.erase(deadlines_.front().second) > 0) {
        finish(RequestOutcome::timeout, std::nullopt, now);
        problems_.warn("request {} unanswered after {} ms", deadlines_.front().second, config_.timeout.count());
      }
      deadlines_.pop_front();
    }
  }

  void on_replies(std::size_t target) {
    while (auto inbound = transport::receive_message(sockets_[target], false)) {
      const auto* message = std::get_if<proto::Message>(&inbound->message);
      const auto* reply = message ? std::get_if<proto::ChargeReply>(message) : nullptr;
      if (!reply) continue;  // a late pong, or something undecodable: not a request's answer
      const auto found = pending_.find(reply->request_id);
      if (found == pending_.end()) {
        spdlog::debug("reply for {} arrived after its timeout", reply->request_id);
        continue;
      }
      const auto now = Clock::now();
      const double latency = ms_between(found->second, now);
      pending_.erase(found);
      ++tally_.targets[config_.targets[target].text()].answered;
      switch (reply->outcome) {
        case proto::Outcome::charging: finish(RequestOutcome::charging, latency, now, reply->substation_id); break;
        case proto::Outcome::no_capacity:
        case proto::Outcome::busy: finish(RequestOutcome::no_capacity, latency, now); break;
        default:
          finish(RequestOutcome::error, latency, now);
          problems_.warn("request {} refused: {}", reply->request_id, reply->reason);
      }
    }
  }

  void finish(RequestOutcome outcome, std::optional<double> latency_ms, TimePoint now, const std::string& substation = {}) {
    tally_.record(outcome, latency_ms, substation);
    last_finish_ = now;
  }

  LoadgenConfig config_;
  zmq::context_t context_;  // before the sockets, which it must outlive
  std::vector<zmq::socket_t> sockets_;  // one per target, in --target order
  std::size_t next_target_ = 0;
  transport::PollLoop loop_;
  Pacer pacer_;
  std::string token_;
  RunTally tally_;
  std::unordered_map<std::string, TimePoint> pending_;  // request id -> sent at
  std::deque<std::pair<TimePoint, std::string>> deadlines_;
  TimePoint start_;
  TimePoint last_finish_;
  std::atomic<bool> stopped_{false};
  ProblemLog problems_;
};

}  // namespace

std::unique_ptr<Driver> make_zmq_driver(const LoadgenConfig& config) { return std::make_unique<ZmqDriver>(config); }

}  // namespace grid::loadgen
