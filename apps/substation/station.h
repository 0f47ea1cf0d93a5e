#pragma once
// A substation's own books: its capacity, its charging sessions and the admission rule. It is the
// authority on admission: a job is accepted only if it fits, whatever the balancer believed.
// No sockets and no clock of its own: the node passes the time in, so tests step it.
// Thread-safety: none; the substation node's thread owns it.

#include <cstdint>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

#include "grid/power/admission.h"
#include "grid/proto/messages.h"
#include "grid/util/bounded_memo.h"
#include "grid/util/clock.h"

namespace grid::substation {

struct Session {
  std::string session_id;
  std::string request_id;
  power::Watts power_w = 0;
  double energy_kwh = 0;
  TimePoint ends_at;
};

struct Admission {
  bool accepted = false;
  std::string session_id;
  power::Refusal refusal = power::Refusal::capacity;  // why not, when not accepted
  bool repeated = false;  // the same request id was admitted before: same session, nothing new
};

class Station {
public:
  // time_scale: simulated seconds per real second (sessions last energy/power hours, simulated).
  // remembered_requests: how many admitted request ids are kept to answer retries with the same
  // session (oldest forgotten first).
  Station(std::string id, double capacity_kw, double time_scale, std::uint64_t boot,
          std::size_t remembered_requests = default_remembered_requests);

  Admission admit(const proto::ChargeJob& job, TimePoint now);
  // Ends the session admitted for this request, if it is still running (the balancer gave up on
  // our answer and placed the request elsewhere). Returns the session ended.
  // With a session id, only that session is ended (a newer admission of the same request stays).
  std::optional<Session> cancel(const std::string& request_id, const std::string& session_id = "");
  // Ends the sessions whose time has come and returns them.
  std::vector<Session> complete_due(TimePoint now);
  std::optional<TimePoint> next_completion() const;

  const std::string& id() const { return id_; }
  double capacity_kw() const { return power::to_kw(capacity_w_); }
  // The exact sum of the active sessions' powers: never negative, never above the capacity.
  double load_kw() const { return power::to_kw(load_w_); }
  std::uint32_t active_sessions() const { return static_cast<std::uint32_t>(sessions_.size()); }

  // Retries come within seconds: 20,000 covers over 30 s at 600 requests per second.
  static constexpr std::size_t default_remembered_requests = 20'000;

private:
  Duration session_length(const proto::ChargeJob& job) const;

  std::string id_;
  power::Watts capacity_w_;
  double time_scale_;
  std::string session_prefix_;
  std::uint64_t next_session_ = 1;
  power::Watts load_w_ = 0;
  std::unordered_map<std::string, Session> sessions_;  // by session id
  using Ending = std::pair<TimePoint, std::string>;
  std::priority_queue<Ending, std::vector<Ending>, std::greater<>> endings_;
  BoundedMemo<std::string, std::string> admitted_;  // request id -> session id
};

}  // namespace grid::substation
