#include "query_forwarder.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

#include "grid/proto/session_id.h"

namespace grid::balancer {

QueryForwarder::QueryForwarder(const GridView& grid, QueryOutbox& outbox, BalancerMetrics& metrics,
                               ForwardSettings settings, const Clock& clock, Random& random)
    : grid_(grid),
      outbox_(outbox),
      metrics_(metrics),
      settings_(settings),
      clock_(clock),
      id_prefix_(fmt::format("fwd-{:08x}-", random.below(std::uint64_t{1} << 32))) {}

std::string_view QueryForwarder::label(Kind kind) {
  switch (kind) {
    case Kind::session: return "session";
    case Kind::stop: return "stop";
    case Kind::set_limit: return "set_limit";
  }
  return "session";
}

void QueryForwarder::on_session_query(const std::string& client, const proto::SessionQuery& query) {
  Pending pending{query.stop ? Kind::stop : Kind::session, client, query.request_id,
                  std::string(proto::substation_of(query.session_id)), query.session_id, {}};
  proto::SessionQuery forwarded = query;
  forward(std::move(pending), std::move(forwarded));
}

void QueryForwarder::on_set_limit(const std::string& client, const proto::SetLimit& request) {
  Pending pending{Kind::set_limit, client, request.request_id, request.substation_id, "", {}};
  forward(std::move(pending), request);
}

void QueryForwarder::forward(Pending pending, proto::Message message) {
  if (auto refusal = cannot_ask(pending.substation)) {
    answer_unanswered(pending, std::move(refusal->first), refusal->second);
    return;
  }
  if (pending_.size() >= settings_.max_pending) {
    answer_unanswered(pending, "balancer busy, retry later", "busy");
    return;
  }
  const std::string forward_id = id_prefix_ + std::to_string(next_id_++);
  std::visit(
      [&](auto& m) {
        if constexpr (requires { m.request_id; }) m.request_id = forward_id;
      },
      message);
  if (!outbox_.to_substation(pending.substation, message)) {
    answer_unanswered(pending, fmt::format("substation {} is not reachable", pending.substation), "unreachable");
    return;
  }
  // From the time the query left, like a job's deadline.
  pending.deadline = clock_.now() + settings_.timeout;
  deadlines_.emplace(pending.deadline, forward_id);
  pending_.emplace(forward_id, std::move(pending));
}

std::optional<std::pair<std::string, std::string_view>> QueryForwarder::cannot_ask(
    const std::string& substation) const {
  // A session id that names no substation we know names no session: empty reason, "not found".
  // An ejected substation is still asked: ejection keeps new sessions away, not questions.
  const balancing::Substation* row = substation.empty() ? nullptr : grid_.table().find(substation);
  if (row == nullptr) return std::pair<std::string, std::string_view>{"", "unknown"};
  if (!row->live) return std::pair<std::string, std::string_view>{fmt::format("substation {} is not live", substation), "not_live"};
  return std::nullopt;
}

void QueryForwarder::answer_unanswered(const Pending& pending, std::string reason, std::string_view outcome) {
  metrics_.forwarded_query(label(pending.kind), outcome);
  if (pending.kind == Kind::set_limit) {
    proto::LimitAck ack{.request_id = pending.request_id, .substation_id = pending.substation, .applied = false};
    if (const auto* row = grid_.table().find(pending.substation)) {
      ack.limit_kw = row->limit_kw;  // what we last heard is in force
      ack.capacity_kw = row->capacity_kw;
    }
    // An unknown substation is an error for an operator too, but says so (unlike a session). The
    // edge answers 404 to a reason starting "no substation" (docs/protocol.md).
    ack.reason = reason.empty() ? fmt::format("no substation {} is known", pending.substation) : std::move(reason);
    reply(pending.client, ack);
    return;
  }
  const bool known = grid_.table().find(pending.substation) != nullptr;
  reply(pending.client, proto::SessionState{.request_id = pending.request_id,
                                            .found = false,
                                            .session_id = pending.session_id,
                                            .substation_id = known ? pending.substation : "",
                                            .reason = std::move(reason)});
}

std::optional<QueryForwarder::Pending> QueryForwarder::take(const std::string& forward_id,
                                                            const std::string& substation, bool limit) {
  const auto found = pending_.find(forward_id);
  if (found == pending_.end()) {
    metrics_.dropped("unknown_query");  // timed out and answered already, or never asked
    return std::nullopt;
  }
  if (found->second.substation != substation || (found->second.kind == Kind::set_limit) != limit) {
    metrics_.dropped("wrong_peer");  // never let one substation answer for another
    return std::nullopt;
  }
  Pending pending = std::move(found->second);
  pending_.erase(found);
  deadlines_.erase({pending.deadline, forward_id});
  return pending;
}

void QueryForwarder::on_session_state(const std::string& substation, proto::SessionState state) {
  auto pending = take(state.request_id, substation, false);
  if (!pending) return;
  metrics_.forwarded_query(label(pending->kind), "answered");
  state.request_id = pending->request_id;
  if (state.substation_id.empty()) state.substation_id = substation;
  reply(pending->client, state);
}

void QueryForwarder::on_limit_ack(const std::string& substation, proto::LimitAck ack) {
  auto pending = take(ack.request_id, substation, true);
  if (!pending) return;
  metrics_.forwarded_query(label(pending->kind), "answered");
  ack.request_id = pending->request_id;
  reply(pending->client, ack);
}

void QueryForwarder::on_substations_query(const std::string& client, const proto::SubstationsQuery& query) {
  metrics_.forwarded_query("substations", "answered");
  const auto& table = grid_.table();
  const auto total = static_cast<std::uint32_t>(std::min<std::size_t>(table.size(), std::numeric_limits<std::uint32_t>::max()));
  if (total == 0) {
    reply(client, proto::SubstationInfo{.request_id = query.request_id});
    return;
  }
  std::uint32_t index = 0;
  bool gone = false;
  table.for_each([&](const balancing::Substation& row) {
    if (gone) return;  // the requester left: the rest would be dropped one by one
    proto::SubstationInfo info{.request_id = query.request_id,
                               .index = index++,
                               .total = total,
                               .substation_id = row.id,
                               .live = row.live,
                               .ejected = row.ejected,
                               .capacity_kw = row.capacity_kw,
                               // The limit in force. While a feeder grant changes, the balancer's
                               // cap moves first and the substation follows when the grant
                               // arrives: until it confirms, the higher of the two may hold there.
                               .limit_kw = std::max(row.limit_kw, row.reported_limit_kw),
                               .allocated_kw = row.load_kw,
                               .sessions = row.active_sessions,
                               // A job answer updates the sessions, not the paused ones: never more
                               // paused than there are.
                               .paused_sessions = std::min(row.paused_sessions, row.active_sessions)};
    gone = !outbox_.to_requester(client, info);
  });
}

void QueryForwarder::on_timers() {
  const TimePoint now = clock_.now();
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const std::string forward_id = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    const auto found = pending_.find(forward_id);
    Pending pending = std::move(found->second);
    pending_.erase(found);
    answer_unanswered(pending, fmt::format("substation {} did not answer", pending.substation), "timeout");
  }
}

std::optional<TimePoint> QueryForwarder::next_deadline() const {
  if (deadlines_.empty()) return std::nullopt;
  return deadlines_.begin()->first;
}

void QueryForwarder::reply(const std::string& client, const proto::Message& message) {
  outbox_.to_requester(client, message);  // a requester that left is counted by the outbox
}

}  // namespace grid::balancer
