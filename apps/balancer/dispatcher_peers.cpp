// The Dispatcher's part in a grid with several balancers: what it learns from the substations'
// announcements of admissions (Admitted) that other balancers placed.
//
// Each balancer decides alone, so the same request sent to two of them at once (two edges that
// disagree for a moment on which balancers answer, or a client that sends one Idempotency-Key to
// two edges) can be admitted twice. Every balancer hears every admission, and applies the same
// rule to the two sessions: the one with the smaller (substation, session id) pair stays and the
// other is cancelled by name. Both balancers come to the same verdict without talking to each
// other; a cancel sent twice is harmless. What is left is the window in which a balancer answered
// its requester before the other placement was announced (docs/protocol.md, "Several balancers").
#include <spdlog/spdlog.h>

#include "dispatcher.h"

namespace grid::balancer {
namespace {

// The rule every balancer applies alike: the order of (substation, session id).
template <class A, class B>
bool precedes(const A& a, const B& b) {
  return a.substation != b.substation ? a.substation < b.substation : a.session_id < b.session_id;
}

}  // namespace

void Dispatcher::on_announced(const std::string& substation, const proto::Admitted& admitted) {
  // Our own admissions are settled by their JobResult, or by the cancel sent at its timeout.
  if (admitted.placed_by == settings_.balancer_boot) return;
  metrics_.peer_admission();
  const std::string& request_id = admitted.request_id;
  Held theirs{substation, admitted.session_id};
  if (const Held* known = announced_.find(request_id)) {
    if (known->substation == theirs.substation && known->session_id == theirs.session_id) return;
    // Two other balancers placed it: the same rule, so we agree with both of them.
    if (precedes(*known, theirs)) {
      cancel_duplicate(theirs.substation, request_id, theirs.session_id);
      return;
    }
    cancel_duplicate(known->substation, request_id, known->session_id);
    announced_.forget(request_id);
  }
  announced_.remember(request_id, theirs);
  // A request we are placing right now is settled when our job's answer comes (yields_to_peer).
  settle_answered(request_id, theirs);
}

void Dispatcher::settle_answered(const std::string& request_id, const Held& theirs) {
  const Answered* known = answered_.find(request_id);
  if (known == nullptr) return;
  const proto::ChargeReply& ours = known->reply;
  if (ours.substation_id == theirs.substation && ours.session_id == theirs.session_id) return;
  const Held mine{ours.substation_id, ours.session_id};
  if (precedes(mine, theirs)) {
    cancel_duplicate(theirs.substation, request_id, theirs.session_id);
    return;
  }
  // Ours was told to its requester already: this is the window the rule cannot close. From now
  // on a retry of the request is answered with the session that stays.
  spdlog::warn("request {} was placed by another balancer too: its session {} on '{}' stays, ours is cancelled",
               request_id, theirs.session_id, theirs.substation);
  cancel_duplicate(mine.substation, request_id, mine.session_id);
  Answered updated = *known;
  updated.reply.substation_id = theirs.substation;
  updated.reply.session_id = theirs.session_id;
  answered_.forget(request_id);
  answered_.remember(request_id, std::move(updated));
}

bool Dispatcher::yields_to_peer(PendingRequest& pending, const std::string& substation, const std::string& session) {
  const std::string& request_id = pending.request.request_id;
  const Held* peer = announced_.find(request_id);
  if (peer == nullptr || (peer->substation == substation && peer->session_id == session)) return false;
  const Held mine{substation, session};
  if (precedes(mine, *peer)) {
    cancel_duplicate(peer->substation, request_id, peer->session_id);
    return false;
  }
  cancel_duplicate(substation, request_id, session);
  const Held winner = *peer;
  const balancing::Substation* row = grid_.table().find(winner.substation);
  if (row != nullptr && row->live && !pending.tried.contains(winner.substation)) {
    // Its holder answers with the session and its power now (holder() sends it there).
    dispatch(std::move(pending));
    return true;
  }
  // The holder cannot be asked now: the requester still learns which session is its own.
  answer(pending,
         {.outcome = proto::Outcome::charging, .session_id = winner.session_id, .substation_id = winner.substation,
          .power_kw = 0, .min_power_kw = pending.request.min_power_kw, .departs_in_s = pending.request.departs_in_s},
         "charging");
  return true;
}

}  // namespace grid::balancer
