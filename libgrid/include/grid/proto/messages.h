#pragma once
// Every message that crosses between nodes. These are plain values: the codec (codec.h) turns
// them into frames and back, and knows nothing of sockets; the sockets know nothing of msgpack.
// docs/protocol.md is the wire format's reference.

#include <cstdint>
#include <string>
#include <variant>

namespace grid::proto {

// The command frame: one byte naming the message type.
enum class Command : std::uint8_t {
  heartbeat = 1,       // substation -> balancer (PUB/SUB)
  charge_request = 2,  // edge or load generator -> balancer frontend
  charge_reply = 3,    // balancer frontend -> edge or load generator
  charge_job = 4,      // balancer backend -> substation
  job_result = 5,      // substation -> balancer backend
  ping = 6,            // anyone -> balancer frontend: are you there?
  pong = 7,            // balancer frontend -> the pinger
  cancel_session = 8,  // balancer -> substation: end a session whose acceptance came too late
};

// A substation's full state, published every heartbeat interval.
struct Heartbeat {
  std::string substation_id;
  std::uint64_t boot = 0;  // random per process start: a new value means the substation restarted
  std::uint64_t seq = 0;   // counts heartbeats within one boot
  double capacity_kw = 0;
  double load_kw = 0;
  std::uint32_t active_sessions = 0;
  bool operator==(const Heartbeat&) const = default;
};

// An EV asks to charge. request_id is made by the requester and reused on a retry, so that a
// repeated request is recognised instead of admitted twice.
struct ChargeRequest {
  std::string request_id;
  std::string vehicle_id;
  double power_kw = 0;
  double energy_kwh = 0;
  bool operator==(const ChargeRequest&) const = default;
};

enum class Outcome : std::uint8_t {
  charging = 0,     // a substation admitted the session
  no_capacity = 1,  // no live substation could take the request
  invalid = 2,      // the request itself was unacceptable (reason says why)
  busy = 3,         // the balancer is overloaded or warming up: retry later
  conflict = 4,     // the request id was already used for a different request (reason says so)
};

struct ChargeReply {
  std::string request_id;
  Outcome outcome = Outcome::no_capacity;
  std::string session_id;     // set when charging
  std::string substation_id;  // set when charging
  double power_kw = 0;
  std::string reason;  // human-readable, set when not charging
  bool operator==(const ChargeReply&) const = default;
};

// The balancer asks one substation to admit one session.
struct ChargeJob {
  std::uint64_t job_id = 0;  // the balancer's own id for this dispatch attempt
  std::string request_id;
  std::string vehicle_id;
  double power_kw = 0;
  double energy_kwh = 0;
  bool operator==(const ChargeJob&) const = default;
};

// The substation's answer. It carries the load right after the decision and the seq of the last
// heartbeat published before it, so the balancer can tell which of the two is newer.
struct JobResult {
  std::uint64_t job_id = 0;
  std::string request_id;
  bool accepted = false;
  std::string session_id;
  std::string reason;
  double load_kw = 0;
  std::uint32_t active_sessions = 0;
  std::uint64_t after_seq = 0;
  std::uint64_t boot = 0;  // the substation's boot, so an answer from a previous run is recognised
  bool operator==(const JobResult&) const = default;
};

struct Ping {
  std::uint64_t nonce = 0;
  bool operator==(const Ping&) const = default;
};

struct Pong {
  std::uint64_t nonce = 0;
  std::uint32_t live_substations = 0;
  bool operator==(const Pong&) const = default;
};

// Sent to a substation whose answer the balancer gave up waiting for (or that answered too late),
// after the request went elsewhere: if the substation did admit the job, the session ends, so a
// request never holds two sessions. Jobs and cancels travel the same ordered pipe, so a cancel
// never overtakes its job.
struct CancelSession {
  std::string request_id;
  std::string session_id;  // the session to end; empty: whichever this request holds
  bool operator==(const CancelSession&) const = default;
};

using Message = std::variant<Heartbeat, ChargeRequest, ChargeReply, ChargeJob, JobResult, Ping, Pong, CancelSession>;

Command command_of(const Message& message);

}  // namespace grid::proto
