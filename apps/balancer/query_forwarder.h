#pragma once
// The balancer's part in the queries that are not charge requests (docs/protocol.md, "Queries
// through the balancer"):
// - a SessionQuery (a session's state, or stop it) goes to the substation its session id names,
//   a SetLimit to the substation it names, and the substation's SessionState or LimitAck comes
//   back to the asker;
// - a SubstationsQuery is answered from the load table, one SubstationInfo per known substation.
// Every query gets exactly one answer: a substation that is unknown, not live, unreachable or
// silent past the timeout is answered for, with found/applied = false and a reason (an empty reason
// for a session id that names no known substation: there is no such session). Queries waiting for
// a substation are bounded (max_pending; beyond it: answered busy at once) and time out.
// The asker's request id is swapped for one of the balancer's own on the way to the substation,
// so askers cannot collide and a substation cannot answer a query it was not asked.
// It keeps only the queries in flight: what it knows of substations it reads from the GridView.
// Time comes from the injected clock. Thread-safety: none; the balancer thread owns it.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "balancer_metrics.h"
#include "grid/proto/messages.h"
#include "grid/util/clock.h"
#include "grid/util/random.h"
#include "grid_view.h"

namespace grid::balancer {

// Where the forwarder's messages go; the node implements it with its sockets.
class QueryOutbox {
public:
  virtual ~QueryOutbox() = default;
  // False when the substation cannot be reached right now (not connected, queue full).
  virtual bool to_substation(const std::string& substation, const proto::Message& message) = 0;
  // False when the requester is gone.
  virtual bool to_requester(const std::string& client, const proto::Message& message) = 0;
};

struct ForwardSettings {
  Duration timeout = std::chrono::milliseconds(500);  // the balancer's --dispatch-timeout-ms
  std::size_t max_pending = 1'000;  // status and operator queries are rare: a flood is refused
};

class QueryForwarder {
public:
  QueryForwarder(const GridView& grid, QueryOutbox& outbox, BalancerMetrics& metrics, ForwardSettings settings,
                 const Clock& clock, Random& random);

  void on_session_query(const std::string& client, const proto::SessionQuery& query);
  void on_set_limit(const std::string& client, const proto::SetLimit& request);
  void on_substations_query(const std::string& client, const proto::SubstationsQuery& query);

  // A substation's answers, relayed to the asker. One for no query in flight (late, or never
  // asked) is counted as dropped (unknown_query); one from another substation than the one asked
  // as wrong_peer, and the query keeps waiting for its own.
  void on_session_state(const std::string& substation, proto::SessionState state);
  void on_limit_ack(const std::string& substation, proto::LimitAck ack);

  // Answers the queries whose substation did not answer in time.
  void on_timers();
  std::optional<TimePoint> next_deadline() const;
  std::size_t pending() const { return pending_.size(); }

private:
  enum class Kind { session, stop, set_limit };
  struct Pending {
    Kind kind;
    std::string client;
    std::string request_id;  // the asker's
    std::string substation;
    std::string session_id;  // for session queries
    TimePoint deadline;
  };

  // Sends `message` (its request id already the forward id) to `substation` and waits, or answers
  // at once when it cannot. `pending` carries who asked.
  void forward(Pending pending, proto::Message message);
  // Why `substation` cannot be asked right now (empty when it can), and the outcome label.
  std::optional<std::pair<std::string, std::string_view>> cannot_ask(const std::string& substation) const;
  void answer_unanswered(const Pending& pending, std::string reason, std::string_view outcome);
  std::optional<Pending> take(const std::string& forward_id, const std::string& substation, bool limit);
  void reply(const std::string& client, const proto::Message& message);
  static std::string_view label(Kind kind);

  const GridView& grid_;
  QueryOutbox& outbox_;
  BalancerMetrics& metrics_;
  ForwardSettings settings_;
  const Clock& clock_;
  std::string id_prefix_;  // random per balancer run: an answer meant for a previous run matches nothing
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::string, Pending> pending_;  // by forward id
  std::set<std::pair<TimePoint, std::string>> deadlines_;
};

}  // namespace grid::balancer
