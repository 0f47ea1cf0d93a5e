#include "trace_replay.h"

#include <atomic>
#include <map>

#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "http_pool.h"
#include "trace_schedule.h"

namespace grid::loadgen {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using Fate = SessionFate::Admission;

// A charge request that got no answer is asked again with the same Idempotency-Key, so the grid
// admits it at most once; an unplugging that got none is asked again after a short pause.
constexpr int charge_attempts = 3;
constexpr int unplug_attempts = 4;
constexpr auto unplug_retry_pause = std::chrono::milliseconds(200);

class HttpTraceReplay final : public TraceReplay {
public:
  HttpTraceReplay(const LoadgenConfig& config, const Trace& trace)
      : config_(config),
        trace_(trace),
        io_(1),
        timer_(io_),
        pool_(io_, config.target().host, config.target().port, config.concurrency, config.timeout,
              config.target().tls ? make_client_tls_context(config.ca_file, config.insecure) : nullptr),
        schedule_(trace, config.time_scale, config.sample_interval),
        key_prefix_(run_token()),
        attempts_(trace.sessions.size(), 0) {
    tally_.planned = trace.sessions.size();
    for (const auto& session : trace.sessions) trace_tally_.sessions.push_back({.requested_kwh = session.energy_kwh});
  }

  RunTally run() override {
    start_ = last_finish_ = Clock::now();
    schedule_.start(start_);
    wake();
    if (!stopped_) io_.run();
    tally_.wall_s = std::chrono::duration<double>(last_finish_ - start_).count();
    tally_.interrupted = stopped_.load();
    return tally_;
  }

  void stop() override {
    stopped_ = true;
    io_.stop();
  }

  const TraceTally& trace_tally() const override { return trace_tally_; }

private:
  bool finished() const { return !schedule_.arrivals_left() && !schedule_.departures_left() && outstanding_ == 0; }

  // Does everything due by now, then sleeps until the next thing is due.
  void wake() {
    const auto now = Clock::now();
    while (const auto arrival = schedule_.next_arrival(now)) {
      trace_tally_.max_arrival_lag_ms = std::max(trace_tally_.max_arrival_lag_ms, arrival->lag_ms);
      charge(arrival->index);
    }
    while (const auto index = schedule_.next_departure(now)) unplug(*index);
    if (finished()) {
      if (!sampling_) sample(true);  // the grid after the last car left; the run ends with it
      timer_.cancel();
      return;
    }
    if (schedule_.sample_due(now) && !sampling_) sample(false);
    timer_.expires_at(schedule_.next_wake());
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) wake();
    });
  }

  void charge(std::size_t index) {
    const auto& session = trace_.sessions[index];
    nlohmann::json body{{"vehicle_id", session.vehicle_id},
                        {"power_kw", session.max_power_kw},
                        {"energy_kwh", session.energy_kwh},
                        {"departs_in_s", session.stay_s()}};
    if (session.min_power_kw) body["min_power_kw"] = *session.min_power_kw;
    if (session.priority) body["priority"] = *session.priority;
    ++outstanding_;
    ++attempts_[index];
    pool_.submit({"POST", "/charge", body.dump(), {{"Idempotency-Key", fmt::format("{}-{}", key_prefix_, index)}},
                  [this, index](const HttpAnswer& answer) { charged(index, answer); }});
  }

  void charged(std::size_t index, const HttpAnswer& answer) {
    --outstanding_;
    last_finish_ = Clock::now();
    auto& fate = trace_tally_.sessions[index];
    const auto& session = trace_.sessions[index];
    if (answer.status == 200) {
      const auto body = nlohmann::json::parse(answer.body, nullptr, false);
      if (body.is_object() && body.value("session_id", "") != "" && body.value("substation", "") != "") {
        fate.admission = Fate::admitted;
        fate.session_id = body["session_id"].get<std::string>();
        fate.substation = body["substation"].get<std::string>();
        tally_.record(RequestOutcome::charging, answer.latency_ms, fate.substation);
        schedule_.depart_at(std::max(schedule_.at(session.departure_s), last_finish_), index);
      } else {
        problems_.warn("{} (line {}): 200 without a session: {:.200}", session.vehicle_id, session.line, answer.body);
        fate.admission = Fate::failed;
        tally_.record(RequestOutcome::error, answer.latency_ms);
      }
    } else if (answer.status == 503) {
      fate.admission = Fate::refused;
      tally_.record(RequestOutcome::no_capacity, answer.latency_ms);
    } else if ((answer.status == 0 || answer.status == 504) && attempts_[index] < charge_attempts &&
               last_finish_ < schedule_.at(session.departure_s)) {
      problems_.warn("{} (line {}): {}, asking again", session.vehicle_id, session.line,
                     answer.status ? "HTTP 504" : answer.error);
      charge(index);
    } else {
      const bool timeout = answer.timed_out || answer.status == 504;
      problems_.warn("{} (line {}): {}: {:.200}", session.vehicle_id, session.line,
                     answer.status ? fmt::format("HTTP {}", answer.status) : answer.error, answer.body);
      fate.admission = Fate::failed;
      tally_.record(timeout ? RequestOutcome::timeout : RequestOutcome::error,
                    answer.status ? std::optional(answer.latency_ms) : std::nullopt);
    }
    wake();
  }

  // The car leaves: its session is stopped (if the grid has not ended it already) and the answer
  // says how much energy it got.
  void unplug(std::size_t index) {
    ++outstanding_;
    ++unplugs_[index];
    const auto& fate = trace_tally_.sessions[index];
    pool_.submit({"DELETE", "/sessions/" + fate.session_id, "", {},
                  [this, index](const HttpAnswer& answer) { unplugged(index, answer); }});
  }

  void unplugged(std::size_t index, const HttpAnswer& answer) {
    --outstanding_;
    last_finish_ = Clock::now();
    auto& fate = trace_tally_.sessions[index];
    if (answer.status == 200) {
      const auto body = nlohmann::json::parse(answer.body, nullptr, false);
      const auto delivered = body.is_object() ? body.find("energy_delivered_kwh") : body.end();
      if (body.is_object() && delivered != body.end() && delivered->is_number()) {
        fate.delivered_kwh = delivered->get<double>();
        fate.final_status = body.value("status", "");
      } else {
        problems_.warn("{}: unplugging answered without the energy: {:.200}", fate.session_id, answer.body);
      }
    } else if (answer.status != 404 && unplugs_[index] < unplug_attempts) {
      schedule_.depart_at(last_finish_ + unplug_retry_pause, index);
    } else {
      problems_.warn("{}: unplugging failed ({}), its energy stays unknown", fate.session_id,
                     answer.status ? fmt::format("HTTP {}", answer.status) : answer.error);
    }
    wake();
  }

  void sample(bool last) {
    sampling_ = true;
    const auto asked_at = Clock::now();
    schedule_.sampled(asked_at);
    pool_.submit({"GET", "/substations", "", {}, [this, asked_at, last](const HttpAnswer& answer) {
                    sampling_ = false;
                    if (answer.status == 200) record_snapshot(schedule_.trace_now(asked_at), answer.body);
                    if (!last) wake();
                  }});
  }

  void record_snapshot(double trace_s, const std::string& text) {
    const auto body = nlohmann::json::parse(text, nullptr, false);
    if (!body.is_array()) return;
    GridSnapshot snapshot{.trace_s = trace_s, .substations = {}};
    for (const auto& item : body) {
      if (!item.is_object()) continue;
      const auto sessions = item.value("sessions", std::size_t{0});
      const auto paused = std::min(sessions, item.value("paused_sessions", std::size_t{0}));
      snapshot.substations.push_back({.id = item.value("id", ""),
                                      .live = item.value("live", false),
                                      .allocated_kw = item.value("allocated_kw", 0.0),
                                      .limit_kw = item.value("limit_kw", 0.0),
                                      .capacity_kw = item.value("capacity_kw", 0.0),
                                      .charging = sessions - paused,
                                      .paused = paused});
    }
    trace_tally_.snapshots.push_back(std::move(snapshot));
  }

  LoadgenConfig config_;
  const Trace& trace_;
  asio::io_context io_;
  asio::steady_timer timer_;
  HttpPool pool_;
  TraceSchedule schedule_;
  std::string key_prefix_;
  std::vector<int> attempts_;
  std::map<std::size_t, int> unplugs_;
  Clock::time_point start_;
  Clock::time_point last_finish_;
  std::size_t outstanding_ = 0;  // charge and unplug requests unanswered
  bool sampling_ = false;
  RunTally tally_;
  TraceTally trace_tally_;
  std::atomic<bool> stopped_{false};
  ProblemLog problems_;
};

}  // namespace

std::unique_ptr<TraceReplay> make_http_trace_replay(const LoadgenConfig& config, const Trace& trace) {
  return std::make_unique<HttpTraceReplay>(config, trace);
}

std::unique_ptr<TraceReplay> make_trace_replay(const LoadgenConfig& config, const Trace& trace) {
  return config.target().mode == Target::Mode::http ? make_http_trace_replay(config, trace)
                                                  : make_zmq_trace_replay(config, trace);
}

}  // namespace grid::loadgen
