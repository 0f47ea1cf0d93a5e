#include "dispatcher.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "grid/power/admission.h"

namespace grid::balancer {
namespace {

double seconds_between(TimePoint from, TimePoint to) { return std::chrono::duration<double>(to - from).count(); }

// The fields that make a request what it is: the same id with other fields is another request.
bool same_request(const proto::ChargeRequest& a, const proto::ChargeRequest& b) {
  return a.vehicle_id == b.vehicle_id && a.power_kw == b.power_kw && a.energy_kwh == b.energy_kwh &&
         a.min_power_kw == b.min_power_kw && a.departs_in_s == b.departs_in_s && a.priority == b.priority;
}

balancing::PickRequest pick_of(const PendingRequest& pending) {
  return {pending.request.power_kw, &pending.tried, pending.request.min_power_kw};
}

proto::ChargeJob job_of(std::uint64_t job_id, const proto::ChargeRequest& request, std::uint64_t placed_by) {
  // The minimum goes as asked (0: the substation applies its own default).
  return {.job_id = job_id,
          .request_id = request.request_id,
          .vehicle_id = request.vehicle_id,
          .power_kw = request.power_kw,
          .energy_kwh = request.energy_kwh,
          .min_power_kw = request.min_power_kw,
          .departs_in_s = request.departs_in_s,
          .priority = request.priority,
          .placed_by = placed_by};
}

// The answer to an admitted request. power_kw is the allocation right now (0: admitted, paused); an
// older substation says nothing of power (0) nor minimum (0), and admits at the power asked.
proto::ChargeReply charging_reply(const std::string& substation, const proto::JobResult& result,
                                  const proto::ChargeRequest& request) {
  const bool older = result.power_kw == 0 && result.min_power_kw == 0;
  return {.outcome = proto::Outcome::charging,
          .session_id = result.session_id,
          .substation_id = substation,
          .power_kw = older ? request.power_kw : result.power_kw,
          .min_power_kw = result.min_power_kw,
          .departs_in_s = request.departs_in_s};
}

proto::ChargeReply conflict_reply(const std::string& request_id) {
  return {.request_id = request_id,
          .outcome = proto::Outcome::conflict,
          .reason = "request id (Idempotency-Key) already used for a different request"};
}

}  // namespace

Dispatcher::Dispatcher(GridView& grid, balancing::Policy& policy, Random& random, Outbox& outbox,
                       BalancerMetrics& metrics, DispatchSettings settings, const Clock& clock)
    : grid_(grid),
      policy_(policy),
      random_(random),
      outbox_(outbox),
      metrics_(metrics),
      settings_(settings),
      clock_(clock),
      warm_until_(clock.now() + settings.warmup),
      next_job_id_(settings.first_job_id),
      answered_(settings.remembered_answers),
      learned_(settings.remembered_learned),
      announced_(settings.remembered_learned) {}

void Dispatcher::on_request(const std::string& client, proto::ChargeRequest request) {
  const TimePoint now = clock_.now();
  // What the grid will actually allocate: whole watts, the same on every side (grid/power).
  request.power_kw = power::whole_watts_kw(request.power_kw);
  request.min_power_kw = power::whole_watts_kw(request.min_power_kw);
  if (known_request(client, request)) return;
  PendingRequest pending{{client}, std::move(request), {}, {}, {}, now};
  if (pending.request.power_kw < power::min_session_kw) {
    const auto reason = fmt::format("power_kw must be at least {} kW", power::min_session_kw);
    answer(pending, {.outcome = proto::Outcome::invalid, .reason = reason}, "invalid");
    return;
  }
  if (in_flight() >= settings_.max_in_flight) {
    // Shed load at the door: a fast "busy" beats a queue that only grows.
    answer(pending, {.outcome = proto::Outcome::busy, .reason = "balancer busy, retry later"}, "busy");
    return;
  }
  if (warming(now)) {
    held_for_warmup_.push_back(std::move(pending));
    count_in_flight();
    return;
  }
  dispatch(std::move(pending));
}

bool Dispatcher::known_request(const std::string& client, const proto::ChargeRequest& request) {
  if (const auto* known = answered_.find(request.request_id)) {
    if (!same_request(known->request, request)) {
      reply_to(client, conflict_reply(request.request_id), "conflict");
      return true;
    }
    // The requester lost our answer and asked again: same session, nothing new admitted.
    reply_to(client, known->reply, "repeated");
    return true;
  }
  PendingRequest* pending = jobs_.find_request(request.request_id);
  for (auto it = held_for_warmup_.begin(); pending == nullptr && it != held_for_warmup_.end(); ++it) {
    if (it->request.request_id == request.request_id) pending = &*it;  // only during the warm-up, and short
  }
  if (pending == nullptr) return false;
  if (!same_request(pending->request, request)) {
    reply_to(client, conflict_reply(request.request_id), "conflict");
    return true;
  }
  // The same requester asking again (its own retry) is answered once, not once per ask.
  auto& clients = pending->clients;
  if (std::find(clients.begin(), clients.end(), client) == clients.end()) clients.push_back(client);
  return true;
}

bool Dispatcher::warming(TimePoint now) const {
  if (now < warm_until_) return true;
  return sync_ != nullptr && sync_->reading() > 0 && now < warm_until_ + settings_.max_read_wait;
}

const balancing::Substation* Dispatcher::holder(const PendingRequest& pending) const {
  // The usual case with one balancer: no hashing on the hot path.
  if (learned_.size() == 0 && announced_.size() == 0) return nullptr;
  const Held* held = learned_.find(pending.request.request_id);
  if (held == nullptr) held = announced_.find(pending.request.request_id);
  if (held == nullptr || pending.tried.contains(held->substation)) return nullptr;
  const balancing::Substation* row = grid_.table().find(held->substation);
  // A dead holder cannot answer: the request is placed afresh, and if the holder comes back its
  // session is the duplicate (learn() cancels it then).
  return row != nullptr && row->live ? row : nullptr;
}

void Dispatcher::learn(const std::string& substation, const std::string& request_id, const std::string& session_id) {
  if (const auto* known = answered_.find(request_id)) {
    // What we answered stands; any other session of the request is the extra one.
    if (known->reply.substation_id != substation || known->reply.session_id != session_id) {
      cancel_duplicate(substation, request_id, session_id);
    }
    return;
  }
  if (const PendingRequest* pending = jobs_.find_request(request_id)) {
    // A job for it is on its way to a substation, whose answer will be the one given.
    if (pending->substation != substation) cancel_duplicate(substation, request_id, session_id);
    return;
  }
  if (const Held* held = learned_.find(request_id)) {
    if (held->substation != substation || held->session_id != session_id) {
      cancel_duplicate(substation, request_id, session_id);  // the first holder learned keeps it
    }
    return;
  }
  learned_.remember(request_id, {substation, session_id});
  metrics_.learned(1);
}

bool Dispatcher::known_session(const std::string& substation, const std::string& request_id,
                               const std::string& session_id) const {
  for (const Held* held : {learned_.find(request_id), announced_.find(request_id)}) {
    if (held != nullptr && held->substation == substation && held->session_id == session_id) return true;
  }
  const Answered* known = answered_.find(request_id);
  return known != nullptr && known->reply.substation_id == substation && known->reply.session_id == session_id;
}

void Dispatcher::cancel_duplicate(const std::string& substation, const std::string& request_id,
                                  const std::string& session_id) {
  spdlog::warn("request {} is held twice: cancelling its session {} on '{}'", request_id, session_id, substation);
  outbox_.send_cancel(substation, {request_id, session_id});
  metrics_.cancel("duplicate");
}

void Dispatcher::dispatch(PendingRequest pending) {
  while (true) {
    const auto started = std::chrono::steady_clock::now();
    // A request some substation already holds goes back there: it answers with the same session.
    const balancing::Substation* chosen = holder(pending);
    pending.to_holder = chosen != nullptr;
    if (chosen == nullptr) chosen = policy_.pick(grid_.table(), pick_of(pending), random_);
    metrics_.decision_seconds(seconds_between(started, std::chrono::steady_clock::now()));
    if (chosen == nullptr) {
      const std::string reason =
          grid_.table().live_count() == 0
              ? "no live substation"
              : fmt::format("no live substation can take a session of at least {} kW", pick_of(pending).session_min_kw());
      answer(pending, {.outcome = proto::Outcome::no_capacity, .reason = reason}, "no_capacity");
      return;
    }
    const std::string substation = chosen->id;  // `chosen` is invalidated by table changes
    pending.tried.insert(substation);
    const std::uint64_t job_id = next_job_id_++;
    if (!outbox_.send_job(substation, job_of(job_id, pending.request, settings_.balancer_boot))) {
      grid_.on_dispatch(substation, DispatchOutcome::unroutable, clock_.now());
      continue;  // try the next candidate
    }
    grid_.reserve(substation, pick_of(pending).reservation());
    pending.substation = substation;
    // From the time the job left, not the time the request came: picking may have taken a while.
    pending.deadline = clock_.now() + settings_.dispatch_timeout;
    jobs_.add(job_id, std::move(pending));
    count_in_flight();
    return;
  }
}

void Dispatcher::on_result(const std::string& substation, const proto::JobResult& result) {
  const TimePoint now = clock_.now();
  const PendingRequest* waiting = jobs_.find(result.job_id);
  const bool ours = waiting != nullptr && waiting->substation == substation &&
                    waiting->request.request_id == result.request_id;
  // Any answer proves life; only the acceptance of a job we wait for adds a session to the table.
  grid_.on_job_result(substation, result, ours ? waiting->request.power_kw : 0.0, now);
  if (waiting == nullptr && result.accepted && result.job_id < settings_.first_job_id) {
    // A job of an earlier boot, answered after it died (a reconnecting substation flushes what it
    // had queued). Its session may be the one that boot told the requester, or one that boot
    // cancelled right behind it: neither cancelled nor learned here. The reading of this
    // substation's admissions, asked after everything the earlier boot sent, tells which.
    metrics_.dropped("previous_boot");
    return;
  }
  if (waiting == nullptr && result.accepted &&
      (result.repeated || known_session(substation, result.request_id, result.session_id))) {
    // A holder answering late with the session we know of, or with one admitted before this job
    // (by another balancer, perhaps): it stays.
    return;
  }
  if (waiting == nullptr) {
    // The job timed out and the request went elsewhere (or was never ours). A session admitted
    // this late must not stay: the request has, or will get, its answer from another substation.
    if (result.accepted) {
      metrics_.dropped("late_acceptance");
      outbox_.send_cancel(substation, {result.request_id, result.session_id});
      metrics_.cancel("late_acceptance");
    } else {
      metrics_.dropped("unknown_job");
    }
    return;
  }
  if (!ours) {
    metrics_.dropped("wrong_peer");  // an answer for someone else's job: never let it route a request
    return;
  }
  PendingRequest pending = std::move(*jobs_.take(result.job_id));
  count_in_flight();
  grid_.release(substation, pick_of(pending).reservation());
  if (result.accepted) {
    grid_.on_dispatch(substation, DispatchOutcome::accepted, now);
    if (announced_.size() != 0 && yields_to_peer(pending, substation, result.session_id)) return;
    answer(pending, charging_reply(substation, result, pending.request), "charging");
    return;
  }
  grid_.on_dispatch(substation, DispatchOutcome::rejected, now);
  dispatch(std::move(pending));
}

void Dispatcher::on_timers() {
  const TimePoint now = clock_.now();
  if (!warming(now) && !held_for_warmup_.empty()) {
    spdlog::info("warm-up over with {} live substations; placing {} held requests", grid_.table().live_count(),
                 held_for_warmup_.size());
    auto held = std::move(held_for_warmup_);
    held_for_warmup_.clear();
    for (auto& pending : held) dispatch(std::move(pending));
  }
  while (const auto job_id = jobs_.next_due(now)) {
    PendingRequest pending = std::move(*jobs_.take(*job_id));
    grid_.on_dispatch(pending.substation, DispatchOutcome::timeout, now);
    grid_.release(pending.substation, pick_of(pending).reservation());
    if (pending.to_holder) {
      // Its session predates the job: it must neither be cancelled nor doubled elsewhere. The
      // requester asks again later and the request goes back to its holder.
      spdlog::warn("substation '{}' holding request {} did not answer within {} ms; answered busy", pending.substation,
                   pending.request.request_id,
                   std::chrono::duration_cast<std::chrono::milliseconds>(settings_.dispatch_timeout).count());
      answer(pending, {.outcome = proto::Outcome::busy, .reason = "the substation holding this request did not answer, retry later"},
             "busy");
      continue;
    }
    spdlog::warn("substation '{}' did not answer job {} within {} ms; trying another", pending.substation, *job_id,
                 std::chrono::duration_cast<std::chrono::milliseconds>(settings_.dispatch_timeout).count());
    // If it admitted the job and only the answer is slow or lost, the session must go.
    outbox_.send_cancel(pending.substation, {pending.request.request_id, "", settings_.balancer_boot});
    metrics_.cancel("timeout");
    dispatch(std::move(pending));
  }
  count_in_flight();
}

std::optional<TimePoint> Dispatcher::next_deadline() const {
  std::optional<TimePoint> next = jobs_.next_deadline();
  if (!held_for_warmup_.empty()) {
    // Past the warm-up, a reading's end wakes the loop by itself; the read wait is the backstop.
    const TimePoint until = clock_.now() < warm_until_ ? warm_until_ : warm_until_ + settings_.max_read_wait;
    next = next ? std::min(*next, until) : until;
  }
  return next;
}

void Dispatcher::answer(const PendingRequest& pending, proto::ChargeReply reply, std::string_view outcome) {
  reply.request_id = pending.request.request_id;
  if (reply.outcome == proto::Outcome::charging) answered_.remember(reply.request_id, {reply, pending.request});
  for (const auto& client : pending.clients) reply_to(client, reply, outcome);
  metrics_.request_seconds(seconds_between(pending.received, clock_.now()));
}

void Dispatcher::reply_to(const std::string& client, const proto::ChargeReply& reply, std::string_view outcome) {
  // An answer that cannot be delivered is not an answer: count it apart.
  metrics_.request(outbox_.send_reply(client, reply) ? outcome : std::string_view("requester_gone"));
}

}  // namespace grid::balancer
