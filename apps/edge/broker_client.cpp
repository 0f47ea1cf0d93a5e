#include "broker_client.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <limits>
#include <random>
#include <system_error>
#include <type_traits>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "grid/transport/sockets.h"
#include "grid/transport/wire.h"

namespace grid::edge {
namespace {

// Messages handled per wake-up, so a flood of replies cannot starve the timers.
constexpr int batch = 256;

std::uint64_t random_prefix() {
  std::random_device device;
  return (static_cast<std::uint64_t>(device()) << 32) ^ device();
}

}  // namespace

std::string_view differing_field(const proto::ChargeRequest& first, const ChargeInput& again) {
  if (first.vehicle_id != again.vehicle_id) return "vehicle_id";
  if (first.power_kw != again.power_kw) return "power_kw";
  if (first.energy_kwh != again.energy_kwh) return "energy_kwh";
  if (first.min_power_kw != again.min_power_kw) return "min_power_kw";
  if (first.departs_in_s != again.departs_in_s) return "departs_in_s";
  if (first.priority != again.priority) return "priority";
  return {};
}

BrokerClient::BrokerClient(zmq::context_t& context, BrokerConfig config, EdgeMetrics& metrics, const Clock& clock)
    : config_(std::move(config)),
      metrics_(metrics),
      clock_(clock),
      balancers_(context, config_.balancer_endpoints, config_.curve, clock, config_.health_window),
      loop_(context, clock),
      id_prefix_(fmt::format("{:016x}", config_.id_prefix.value_or(random_prefix()))) {
  wakeup_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wakeup_fd_ < 0) throw std::system_error(errno, std::generic_category(), "edge: cannot create an eventfd");
  metrics_.configure_balancers(balancers_.endpoints());
  for (std::size_t index = 0; index < balancers_.size(); ++index) {
    loop_.add(balancers_.socket(index), [this, index] { on_balancer(index); });
  }
  loop_.add_fd(wakeup_fd_, [this] { on_wakeup(); });
  loop_.set_timers([this](TimePoint now) { return on_timers(now); });
}

BrokerClient::~BrokerClient() {
  // Normally run() has answered everything; this covers a client that never ran.
  std::vector<Submitted> queued;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    queued.swap(queue_);
  }
  for (auto& submitted : queued) answer(submitted.on_answer, BrokerFailure::shutting_down);
  for (auto& [id, pending] : pending_) answer_all(pending, BrokerFailure::shutting_down);
  ::close(wakeup_fd_);
}

void BrokerClient::submit(ChargeInput input, OnAnswer on_answer) { enqueue(std::move(input), std::move(on_answer)); }

void BrokerClient::ask(BrokerQuery query, OnAnswer on_answer) {
  std::visit([&](auto& asked) { enqueue(std::move(asked), std::move(on_answer)); }, query);
}

void BrokerClient::enqueue(Work work, OnAnswer on_answer) {
  const TimePoint deadline = clock_.now() + config_.timeout;
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (!closed_) {
      // One wake-up per batch: the broker drains the whole queue when it wakes.
      wake = queue_.empty();
      queue_.push_back({std::move(work), std::move(on_answer), deadline});
      on_answer = nullptr;
    }
  }
  if (on_answer) {
    answer(on_answer, BrokerFailure::shutting_down);
    return;
  }
  if (wake) {
    const std::uint64_t one = 1;
    // Cannot fail short of a counter overflow, which would only mean a wake-up is already due.
    [[maybe_unused]] const auto written = ::write(wakeup_fd_, &one, sizeof one);
  }
}

void BrokerClient::run() {
  spdlog::info("edge: {} balancer(s) at {}, timeout {} ms", balancers_.size(), fmt::join(balancers_.endpoints(), ", "),
               config_.timeout.count());
  loop_.run();
  std::vector<Submitted> queued;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    queued.swap(queue_);
  }
  spdlog::info("edge: stopping, answering {} waiting requests", queued.size() + pending_.size());
  for (auto& submitted : queued) answer(submitted.on_answer, BrokerFailure::shutting_down);
  for (auto& [id, pending] : pending_) answer_all(pending, BrokerFailure::shutting_down);
  pending_.clear();
  deadlines_.clear();
  retries_.clear();
}

void BrokerClient::on_wakeup() {
  std::uint64_t count = 0;
  [[maybe_unused]] const auto read = ::read(wakeup_fd_, &count, sizeof count);
  std::vector<Submitted> queued;
  {
    std::lock_guard lock(mutex_);
    queued.swap(queue_);
  }
  const TimePoint now = clock_.now();
  for (auto& submitted : queued) send(std::move(submitted), now);
}

void BrokerClient::send(Submitted submitted, TimePoint now) {
  if (submitted.deadline <= now) {
    answer(submitted.on_answer, BrokerFailure::timeout);
    return;
  }
  if (auto* input = std::get_if<ChargeInput>(&submitted.work)) {
    return send_charge(std::move(*input), std::move(submitted.on_answer), submitted.deadline, now);
  }
  std::visit(
      [&](auto& query) {
        if constexpr (!std::is_same_v<std::decay_t<decltype(query)>, ChargeInput>) {
          query.request_id = next_request_id();
          std::string id = query.request_id;
          await(std::move(id), std::move(query), std::move(submitted.on_answer), submitted.deadline, now);
        }
      },
      submitted.work);
}

void BrokerClient::send_charge(ChargeInput input, OnAnswer on_answer, TimePoint deadline, TimePoint now) {
  std::string id = input.request_id.empty() ? next_request_id() : std::move(input.request_id);
  if (const auto known = pending_.find(id); known != pending_.end()) {
    // The same Idempotency-Key while the first is in flight: one request, one answer for both,
    // unless it names a different request, which no answer to the first could be right for.
    const auto* first = std::get_if<proto::ChargeRequest>(&known->second.request);
    const auto differs = first ? differing_field(*first, input) : std::string_view("kind");
    if (!differs.empty()) {
      answer(on_answer,
             proto::ChargeReply{id, proto::Outcome::conflict, "", "", 0,
                                fmt::format("Idempotency-Key already used for a different request ({} differs)", differs)});
      return;
    }
    known->second.waiters.push_back(std::move(on_answer));
    return;
  }
  proto::ChargeRequest request{id,           std::move(input.vehicle_id), input.power_kw,  input.energy_kwh,
                               input.min_power_kw, input.departs_in_s,   input.priority};
  await(std::move(id), std::move(request), std::move(on_answer), deadline, now);
}

void BrokerClient::await(std::string id, Sent request, OnAnswer on_answer, TimePoint deadline, TimePoint now) {
  if (auto* feeder_limit = std::get_if<proto::FeederLimit>(&request)) {
    return fan_out(std::move(id), std::move(*feeder_limit), std::move(on_answer), deadline, now);
  }
  auto order = preference(id, request);
  const auto candidates = balancers_.candidates(order, std::nullopt, now);
  const auto sent_to = send_first(id, request, candidates);
  if (!sent_to) {
    answer(on_answer, BrokerFailure::unreachable);
    return;
  }
  if (*sent_to != candidates.front()) metrics_.failover();  // its balancer's pipe is gone
  deadlines_.emplace(deadline, id);
  if (config_.retry) retries_.emplace(now + (deadline - now) / 2, id);
  std::vector<OnAnswer> waiters;
  waiters.push_back(std::move(on_answer));
  pending_.emplace(std::move(id), Pending{std::move(waiters), deadline, std::move(request), std::move(order), *sent_to,
                                          {}, {}});
}

void BrokerClient::on_balancer(std::size_t index) {
  for (int i = 0; i < batch; ++i) {
    auto inbound = transport::receive_message(balancers_.socket(index), false);
    if (!inbound) return;
    if (const auto* error = std::get_if<proto::DecodeError>(&inbound->message)) {
      drop(proto::reason_label(*error));
      continue;
    }
    on_message(index, std::get<proto::Message>(inbound->message));
  }
}

std::optional<TimePoint> BrokerClient::on_timers(TimePoint now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const auto found = pending_.find(deadlines_.begin()->second);
    deadlines_.erase(deadlines_.begin());
    if (found == pending_.end()) continue;
    std::string id = found->first;
    Pending pending = std::move(found->second);
    pending_.erase(found);
    if (std::holds_alternative<proto::FeederLimit>(pending.request)) {
      feeder_limit_deadline(id, pending);
    } else {
      answer_all(pending, BrokerFailure::timeout);
    }
  }
  while (!retries_.empty() && retries_.begin()->first <= now) {
    const auto found = pending_.find(retries_.begin()->second);
    retries_.erase(retries_.begin());
    if (found == pending_.end()) continue;  // answered meanwhile
    if (std::holds_alternative<proto::FeederLimit>(found->second.request)) {
      resend_feeder_limit(found->second);
    } else {
      resend(found, now, "no answer after half the timeout", true);
    }
  }
  if (now >= next_ping_) ping_balancers(now);
  // Before publishing: a balancer that fell silent hands its requests on at once.
  for (const auto& change : balancers_.changes(now)) {
    if (change.answering) {
      spdlog::info("edge: balancer at {} answers", balancers_.endpoint(change.index));
    } else {
      fail_over_from(change.index, now);
    }
  }
  publish_health(now);
  std::optional<TimePoint> next = next_ping_;
  // Wake when a health window runs out, so edge_balancer_up turns 0 when /healthz turns 503 and
  // a silent balancer's requests go elsewhere at once.
  if (const auto expiry = balancers_.next_expiry()) next = std::min(*next, *expiry);
  if (!deadlines_.empty()) next = std::min(*next, deadlines_.begin()->first);
  if (!retries_.empty()) next = std::min(*next, retries_.begin()->first);
  return next;
}

void BrokerClient::answer(OnAnswer& on_answer, BrokerAnswer result) {
  try {
    on_answer(std::move(result));
  } catch (const std::exception& error) {
    // An answer that cannot be delivered loses one HTTP reply, not the edge.
    spdlog::error("edge: answering a request failed: {}", error.what());
  }
}

void BrokerClient::answer_all(Pending& pending, const BrokerAnswer& result) {
  for (auto& on_answer : pending.waiters) answer(on_answer, result);
}

void BrokerClient::drop(std::string_view reason) {
  metrics_.dropped(reason);
  std::size_t suppressed = 0;
  if (log_limit_.allow(suppressed)) {
    spdlog::warn("edge: dropped a message from the balancer: {} ({} similar suppressed)", reason, suppressed);
  }
}

std::string BrokerClient::next_request_id() { return id_prefix_ + "-" + std::to_string(++id_counter_); }

}  // namespace grid::edge
