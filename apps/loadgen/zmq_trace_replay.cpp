// The trace replay over ZeroMQ: one DEALER on the balancer's frontend, as the rush-hour driver
// has. Each session is a ChargeRequest at its arrival and a SessionQuery with stop at its
// departure; a SubstationsQuery every --sample-ms. Answers come in any order and are matched on
// request_id; a request unanswered within --timeout-ms is sent again with the same id (Lazy
// Pirate), so the balancer admits it at most once.
#include <atomic>
#include <map>
#include <unordered_map>

#include <spdlog/spdlog.h>

#include "balancer_ping.h"
#include "grid_snapshot.h"
#include "grid/proto/queries.h"
#include "grid/transport/poll_loop.h"
#include "grid/transport/sockets.h"
#include "grid/transport/wire.h"
#include "trace_replay.h"
#include "trace_schedule.h"

namespace grid::loadgen {
namespace {

using Clock = std::chrono::steady_clock;
using Fate = SessionFate::Admission;

// As the HTTP replay: a charge request is sent up to three times, an unplugging up to four.
// A "busy" balancer (warming up, shedding) is asked again after a pause, a bounded number of
// times, and the request counts as refused after that, as a 503 from the edge does.
constexpr int charge_attempts = 3;
constexpr int unplug_attempts = 4;
constexpr int busy_attempts = 20;
constexpr auto retry_pause = std::chrono::milliseconds(200);

double ms_between(TimePoint from, TimePoint to) { return std::chrono::duration<double, std::milli>(to - from).count(); }

class ZmqTraceReplay final : public TraceReplay {
public:
  ZmqTraceReplay(const LoadgenConfig& config, const Trace& trace)
      : config_(config),
        trace_(trace),
        socket_(transport::make_socket(context_, zmq::socket_type::dealer, {.immediate = true})),
        loop_(context_, steady_clock()),
        schedule_(trace, config.time_scale, config.sample_interval),
        token_(run_token()) {
    socket_.connect(config.target().text());
    tally_.planned = trace.sessions.size();
    for (const auto& session : trace.sessions) trace_tally_.sessions.push_back({.requested_kwh = session.energy_kwh});
    loop_.add(socket_, [this] { on_answers(); });
    loop_.set_timers([this](TimePoint now) { return on_timers(now); });
  }

  RunTally run() override {
    wait_for_balancer(socket_, config_.target().text(), config_.timeout, stopped_);
    start_ = last_finish_ = Clock::now();
    schedule_.start(start_);
    if (!stopped_) loop_.run();
    tally_.wall_s = std::chrono::duration<double>(last_finish_ - start_).count();
    tally_.interrupted = stopped_.load();
    return tally_;
  }

  void stop() override {
    stopped_ = true;
    loop_.stop();
  }

  const TraceTally& trace_tally() const override { return trace_tally_; }

private:
  // One request waiting for its answer, or for its next attempt.
  struct Asking {
    enum class Kind { charge, unplug } kind;
    std::size_t index;  // into the trace
    int attempts = 0;   // sends that got no answer, or failed
    int busy = 0;       // "busy" answers
    TimePoint sent_at{};
    TimePoint due{};    // its deadline, or when it is sent again (resend)
    bool resend = false;
  };

  bool finished() const { return !schedule_.arrivals_left() && !schedule_.departures_left() && asking_.empty(); }

  std::optional<TimePoint> on_timers(TimePoint now) {
    if (sampling_ && now >= sample_deadline_) sampling_ = false;  // that look got no full answer
    fire_alarms(now);
    while (const auto arrival = schedule_.next_arrival(now)) {
      trace_tally_.max_arrival_lag_ms = std::max(trace_tally_.max_arrival_lag_ms, arrival->lag_ms);
      ask(Asking::Kind::charge, arrival->index, now);
    }
    while (const auto index = schedule_.next_departure(now)) ask(Asking::Kind::unplug, *index, now);
    if (finished()) {
      // The grid after the last car left (once any look in flight is over); the run ends with it.
      if (!sampling_ && !last_sample_asked_) {
        sample(now);
        last_sample_asked_ = true;
      }
      if (!sampling_) {
        loop_.stop();
        return std::nullopt;
      }
      return sample_deadline_;
    }
    if (schedule_.sample_due(now) && !sampling_) sample(now);
    auto next = schedule_.next_wake();
    if (!alarms_.empty()) next = std::min(next, alarms_.begin()->first);
    if (sampling_) next = std::min(next, sample_deadline_);
    return next;
  }

  std::string request_id(const Asking& asking) const {
    return fmt::format("{}-{}{}", token_, asking.index, asking.kind == Asking::Kind::unplug ? "-stop" : "");
  }

  void ask(Asking::Kind kind, std::size_t index, TimePoint now) {
    Asking asking{.kind = kind, .index = index};
    auto id = request_id(asking);
    send(asking_.emplace(std::move(id), asking).first, now);
  }

  // The same message on every attempt: a retried ChargeRequest must equal the first, or the
  // balancer answers conflict instead of recognising it.
  proto::Message message_of(const std::string& id, const Asking& asking) const {
    if (asking.kind == Asking::Kind::unplug) {
      const auto& session_id = trace_tally_.sessions[asking.index].session_id;
      return proto::SessionQuery{.request_id = id, .session_id = session_id, .stop = true};
    }
    const auto& session = trace_.sessions[asking.index];
    return proto::ChargeRequest{.request_id = id,
                                .vehicle_id = session.vehicle_id,
                                .power_kw = session.max_power_kw,
                                .energy_kwh = session.energy_kwh,
                                .min_power_kw = session.min_power_kw.value_or(0),
                                .departs_in_s = session.stay_s(),
                                .priority = session.priority.value_or(0)};
  }

  using AskingAt = std::unordered_map<std::string, Asking>::iterator;

  void send(AskingAt found, TimePoint now) {
    auto& asking = found->second;
    asking.sent_at = now;
    asking.resend = false;
    if (transport::send_message(socket_, message_of(found->first, asking)) != transport::SendResult::sent) {
      problems_.warn("cannot send to {} (no connection to the balancer)", config_.target().text());
      return unanswered(found, now, Miss::not_sent);
    }
    asking.due = now + config_.timeout;
    alarms_.emplace(asking.due, found->first);
  }

  void fire_alarms(TimePoint now) {
    while (!alarms_.empty() && alarms_.begin()->first <= now) {
      const auto [due, id] = *alarms_.begin();
      alarms_.erase(alarms_.begin());
      const auto found = asking_.find(id);
      if (found == asking_.end() || found->second.due != due) continue;  // answered, or re-armed since
      if (found->second.resend) {
        send(found, now);
      } else {
        unanswered(found, now, Miss::no_answer);
      }
    }
  }

  void again_at(AskingAt found, TimePoint when) {
    found->second.resend = true;
    found->second.due = when;
    alarms_.emplace(when, found->first);
  }

  // No answer (or no send): asked again while attempts are left (a charge only while the car is
  // still there): at once after a timeout, after a pause when there was no connection to send on.
  enum class Miss { not_sent, no_answer };
  void unanswered(AskingAt found, TimePoint now, Miss miss) {
    const std::string why = miss == Miss::not_sent ? std::string("no connection")
                                                    : fmt::format("unanswered after {} ms", config_.timeout.count());
    auto& asking = found->second;
    const auto& session = trace_.sessions[asking.index];
    const bool charge = asking.kind == Asking::Kind::charge;
    ++asking.attempts;
    const bool may_retry = charge ? asking.attempts < charge_attempts && now < schedule_.at(session.departure_s)
                                  : asking.attempts < unplug_attempts;
    if (may_retry) {
      problems_.warn("{} (line {}): {}, asking again", session.vehicle_id, session.line, why);
      return again_at(found, miss == Miss::not_sent ? now + retry_pause : now);
    }
    last_finish_ = now;
    if (charge) {
      problems_.warn("{} (line {}): {}, giving up", session.vehicle_id, session.line, why);
      trace_tally_.sessions[asking.index].admission = Fate::failed;
      tally_.record(miss == Miss::not_sent ? RequestOutcome::error : RequestOutcome::timeout, std::nullopt);
    } else {
      problems_.warn("{}: unplugging {}, its energy stays unknown", trace_tally_.sessions[asking.index].session_id,
                     why);
    }
    asking_.erase(found);
  }

  void on_answers() {
    while (auto inbound = transport::receive_message(socket_, false)) {
      const auto* message = std::get_if<proto::Message>(&inbound->message);
      if (!message) continue;  // undecodable: not an answer of ours
      const auto now = Clock::now();
      if (const auto* reply = std::get_if<proto::ChargeReply>(message)) {
        charged(*reply, now);
      } else if (const auto* state = std::get_if<proto::SessionState>(message)) {
        unplugged(*state, now);
      } else if (const auto* info = std::get_if<proto::SubstationInfo>(message)) {
        gathered(*info, now);
      }
    }
  }

  AskingAt answered(const std::string& id, Asking::Kind kind) {
    const auto found = asking_.find(id);
    if (found == asking_.end() || found->second.kind != kind || found->second.resend) {
      spdlog::debug("answer for {} arrived after its timeout", id);
      return asking_.end();
    }
    return found;
  }

  void charged(const proto::ChargeReply& reply, TimePoint now) {
    const auto found = answered(reply.request_id, Asking::Kind::charge);
    if (found == asking_.end()) return;
    const std::size_t index = found->second.index;
    const auto& session = trace_.sessions[index];
    auto& fate = trace_tally_.sessions[index];
    const double latency = ms_between(found->second.sent_at, now);
    if (reply.outcome == proto::Outcome::busy && ++found->second.busy < busy_attempts &&
        now < schedule_.at(session.departure_s)) {
      return again_at(found, now + retry_pause);
    }
    asking_.erase(found);
    last_finish_ = now;
    switch (reply.outcome) {
      case proto::Outcome::charging:
        fate.admission = Fate::admitted;
        fate.session_id = reply.session_id;
        fate.substation = reply.substation_id;
        tally_.record(RequestOutcome::charging, latency, fate.substation);
        schedule_.depart_at(std::max(schedule_.at(session.departure_s), now), index);
        break;
      case proto::Outcome::no_capacity:
      case proto::Outcome::busy:
        fate.admission = Fate::refused;
        tally_.record(RequestOutcome::no_capacity, latency);
        break;
      default:
        problems_.warn("{} (line {}): refused: {}", session.vehicle_id, session.line, reply.reason);
        fate.admission = Fate::failed;
        tally_.record(RequestOutcome::error, latency);
    }
  }

  // The car left: the session's state after the stop says how much energy it got. Not found
  // with a reason: the balancer could not ask its substation (not live, busy), so ask again.
  void unplugged(const proto::SessionState& state, TimePoint now) {
    const auto found = answered(state.request_id, Asking::Kind::unplug);
    if (found == asking_.end()) return;
    auto& fate = trace_tally_.sessions[found->second.index];
    if (!state.found && !state.reason.empty() && ++found->second.attempts < unplug_attempts) {
      return again_at(found, now + retry_pause);
    }
    asking_.erase(found);
    last_finish_ = now;
    if (state.found) {
      fate.delivered_kwh = state.delivered_kwh;
      fate.final_status = std::string(proto::status_name(state.status));
    } else {
      problems_.warn("{}: unplugging failed ({}), its energy stays unknown", fate.session_id,
                     state.reason.empty() ? "no such session" : state.reason);
    }
  }

  void sample(TimePoint now) {
    sampling_ = true;
    sample_asked_at_ = now;
    sample_deadline_ = now + config_.timeout;
    schedule_.sampled(now);
    sample_id_ = fmt::format("{}-grid-{}", token_, ++samples_asked_);
    gathering_ = {};
    if (transport::send_message(socket_, proto::SubstationsQuery{sample_id_}) != transport::SendResult::sent) {
      sampling_ = false;  // no connection: this look is skipped, the next is due one interval on
    }
  }

  void gathered(const proto::SubstationInfo& info, TimePoint now) {
    if (!sampling_ || info.request_id != sample_id_) return;  // a look given up on
    switch (gathering_.add(info)) {
      case proto::SubstationGathering::Step::waiting:
      case proto::SubstationGathering::Step::duplicate: return;
      case proto::SubstationGathering::Step::inconsistent:
        problems_.warn("inconsistent substation list from the balancer: this look is dropped");
        sampling_ = false;
        return;
      case proto::SubstationGathering::Step::complete: break;
    }
    sampling_ = false;
    if (now > sample_deadline_) return;
    trace_tally_.snapshots.push_back(snapshot_of(schedule_.trace_now(sample_asked_at_), gathering_.take()));
  }

  LoadgenConfig config_;
  const Trace& trace_;
  zmq::context_t context_;  // before the socket, which it must outlive
  zmq::socket_t socket_;
  transport::PollLoop loop_;
  TraceSchedule schedule_;
  std::string token_;
  std::unordered_map<std::string, Asking> asking_;  // request id -> a charge or unplugging unsettled
  std::multimap<TimePoint, std::string> alarms_;    // deadlines and resends; stale ones are skipped
  bool sampling_ = false;
  bool last_sample_asked_ = false;
  std::size_t samples_asked_ = 0;
  std::string sample_id_;
  TimePoint sample_asked_at_{};
  TimePoint sample_deadline_{};
  proto::SubstationGathering gathering_;
  TimePoint start_{};
  TimePoint last_finish_{};
  RunTally tally_;
  TraceTally trace_tally_;
  std::atomic<bool> stopped_{false};
  ProblemLog problems_;
};

}  // namespace

std::unique_ptr<TraceReplay> make_zmq_trace_replay(const LoadgenConfig& config, const Trace& trace) {
  return std::make_unique<ZmqTraceReplay>(config, trace);
}

}  // namespace grid::loadgen
