#pragma once
// Every message that crosses between nodes. These are plain values: the codec (codec.h) turns
// them into frames and back, and knows nothing of sockets; the sockets know nothing of msgpack.
// docs/protocol.md is the wire format's reference.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

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
  session_query = 9,   // requester -> balancer -> substation: a session's state, or stop it
  session_state = 10,  // substation -> balancer -> requester: the answer
  set_limit = 11,      // requester -> balancer -> substation: an operator limit, or clear it
  limit_ack = 12,      // substation -> balancer -> requester: the limit in force
  substations_query = 13,  // requester -> balancer: every substation it knows
  substation_info = 14,    // balancer -> requester: one per substation (or one empty when none)
  feeder_grant = 15,       // balancer -> substation: its share of its feeder's limit, as a lease
  feeder_limit = 16,       // requester -> balancer: a feeder's demand-response limit, or clear it
  feeder_limit_ack = 17,   // balancer -> requester: the feeder limit scheduled
  index_query = 18,        // balancer -> substation: which requests do you hold? (one page)
  admission_index = 19,    // substation -> balancer: one page of the answer
  admitted = 20,           // substation -> every balancer (PUB/SUB): a session was just admitted
};

// A substation's full state, published every heartbeat interval.
struct Heartbeat {
  std::string substation_id;
  std::uint64_t boot = 0;  // random per process start: a new value means the substation restarted
  std::uint64_t seq = 0;   // counts heartbeats within one boot
  double capacity_kw = 0;
  double load_kw = 0;  // allocated to the sessions right now
  std::uint32_t active_sessions = 0;
  // Appended in smart charging (optional: an older substation leaves them 0).
  double limit_kw = 0;            // the effective limit: min(capacity, operator limit); 0: capacity
  double min_kw = 0;              // the sum of the active sessions' minimums
  double demand_kw = 0;           // what the active sessions could take: the sum of their maximums
  double energy_wanted_kwh = 0;   // energy the active sessions still want
  double due_kw = 0;              // power needed to finish every session with a departure by then
  std::uint32_t paused_sessions = 0;
  // Appended for feeders (optional: an older substation sends none).
  std::string feeder_id;          // the feeder it says it hangs on (--feeder); empty: none said
  double granted_kw = 0;          // the feeder grant in force; 0: none (no feeder, or never granted)
  std::uint64_t grant_seq = 0;    // the seq of that grant, so the balancer knows it was applied
  bool in_fallback = false;       // the lease ran out: drawing at most its fallback limit
  // Appended for several balancers (optional): the balancer boot whose grant it holds (in force,
  // or fallen back from when in_fallback); 0: none. A balancer with a higher boot stands down.
  std::uint64_t grant_boot = 0;
  bool operator==(const Heartbeat&) const = default;
};

// An EV asks to charge. request_id is made by the requester and reused on a retry, so that a
// repeated request is recognised instead of admitted twice.
struct ChargeRequest {
  std::string request_id;
  std::string vehicle_id;
  double power_kw = 0;
  double energy_kwh = 0;
  // Appended in smart charging (optional).
  double min_power_kw = 0;  // 0: the substation's default minimum
  double departs_in_s = 0;  // grid seconds until the car leaves; 0: it stays until full
  std::uint32_t priority = 0;  // 0-9, higher first
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
  // Appended in smart charging (optional): the session's minimum as the substation set it, and
  // its departure as asked. power_kw is the power allocated right now (0: paused).
  double min_power_kw = 0;
  double departs_in_s = 0;
  bool operator==(const ChargeReply&) const = default;
};

// The balancer asks one substation to admit one session.
struct ChargeJob {
  std::uint64_t job_id = 0;  // the balancer's own id for this dispatch attempt
  std::string request_id;
  std::string vehicle_id;
  double power_kw = 0;
  double energy_kwh = 0;
  // Appended in smart charging (optional), as in ChargeRequest.
  double min_power_kw = 0;
  double departs_in_s = 0;
  std::uint32_t priority = 0;
  // Appended for several balancers (optional): the boot id of the balancer that sent the job,
  // echoed in the substation's Admitted announcement so each balancer knows which admissions are
  // its own.
  std::uint64_t placed_by = 0;
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
  // Appended in smart charging (optional): the new session's power right now and its minimum.
  double power_kw = 0;
  double min_power_kw = 0;
  // Appended for several balancers (optional): the request was admitted before this job, as
  // session_id (perhaps by another balancer). A late answer of this kind names a session this job
  // did not open, so the balancer must not cancel it as a late acceptance.
  bool repeated = false;
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
  // Appended for several balancers (optional): the boot id of the balancer that cancels. A cancel
  // without a session id ends only a session that balancer's own job opened (0: any).
  std::uint64_t placed_by = 0;
  bool operator==(const CancelSession&) const = default;
};

enum class SessionStatus : std::uint8_t { charging = 0, paused = 1, completed = 2, departed = 3, stopped = 4 };

// Asks for one session's state; with `stop`, the car unplugged: the session ends first. The
// balancer forwards it to the substation named in the session id (session ids start with their
// substation's id, see session_id.h).
struct SessionQuery {
  std::string request_id;  // the asker's, to match the answer
  std::string session_id;
  bool stop = false;
  bool operator==(const SessionQuery&) const = default;
};

struct SessionState {
  std::string request_id;
  bool found = false;  // false: no such session (or long forgotten); the rest is empty
  std::string session_id;
  SessionStatus status = SessionStatus::charging;
  double power_kw = 0;              // allocated now
  double energy_kwh = 0;            // asked for
  double delivered_kwh = 0;
  double min_power_kw = 0;
  double max_power_kw = 0;
  double departs_in_s = 0;          // 0: no departure given, or no longer running
  double completes_in_s = 0;        // at the current power; 0 when paused or ended
  std::string substation_id;
  // With found = false: empty when there is no such session; else why it could not be asked
  // (its substation is not live, or did not answer in time).
  std::string reason;
  bool operator==(const SessionState&) const = default;
};

// An operator limit for one substation. limit_kw 0 clears it (back to capacity); duration_s 0:
// until changed.
struct SetLimit {
  std::string request_id;
  std::string substation_id;
  double limit_kw = 0;
  double duration_s = 0;
  bool operator==(const SetLimit&) const = default;
};

struct LimitAck {
  std::string request_id;
  std::string substation_id;
  bool applied = false;    // false: no such live substation (reason says why)
  double limit_kw = 0;     // the effective limit now
  double capacity_kw = 0;
  double expires_in_s = 0; // 0: no expiry
  std::string reason;
  bool operator==(const LimitAck&) const = default;
};

struct SubstationsQuery {
  std::string request_id;
  bool operator==(const SubstationsQuery&) const = default;
};

// One substation as the balancer knows it; `total` of them answer one query, numbered by `index`
// (none known: one message with total 0 and an empty substation_id).
struct SubstationInfo {
  std::string request_id;
  std::uint32_t index = 0;
  std::uint32_t total = 0;
  std::string substation_id;
  bool live = false;
  bool ejected = false;
  double capacity_kw = 0;
  double limit_kw = 0;
  double allocated_kw = 0;
  std::uint32_t sessions = 0;
  std::uint32_t paused_sessions = 0;
  bool operator==(const SubstationInfo&) const = default;
};

// The balancer's grant to one substation: the most it may draw for its feeder's sake. A lease: a
// substation that hears no fresh grant for lease_s falls back to min(fallback_kw, granted_kw)
// and never raises power on stale data. Grants from one balancer boot are numbered by seq; a
// substation ignores a grant older than the one it holds from the same boot.
struct FeederGrant {
  std::string substation_id;
  std::string feeder_id;
  std::uint64_t balancer_boot = 0;
  std::uint64_t seq = 0;
  double granted_kw = 0;   // > 0
  double lease_s = 0;      // real seconds, > 0
  double fallback_kw = 0;  // its capacity share of the feeder's tightest limit
  bool operator==(const FeederGrant&) const = default;
};

// A demand-response limit for one feeder: from starts_in_s (grid seconds from now; 0: at once)
// for duration_s (0: until cleared). limit_kw 0 clears the feeder's scheduled limit.
struct FeederLimit {
  std::string request_id;
  std::string feeder_id;
  double limit_kw = 0;
  double starts_in_s = 0;
  double duration_s = 0;
  bool operator==(const FeederLimit&) const = default;
};

struct FeederLimitAck {
  std::string request_id;
  std::string feeder_id;
  bool applied = false;     // false: no such feeder (reason says why)
  double limit_kw = 0;      // the limit scheduled (0: cleared, back to the topology's limit)
  double starts_in_s = 0;
  double expires_in_s = 0;  // 0: no expiry
  double topology_kw = 0;   // the feeder's own limit from the topology
  std::string reason;
  bool operator==(const FeederLimitAck&) const = default;
};

// The balancer asks a substation that (re)connected which request ids it holds sessions for, page
// by page: page 0 makes the substation take a snapshot of its admission memory under `token`,
// later pages read that snapshot, so the pages add up to one consistent list.
struct IndexQuery {
  std::uint64_t token = 0;
  std::uint32_t page = 0;
  bool operator==(const IndexQuery&) const = default;
};

// One page of a substation's admission memory, oldest first: request_ids[i] was admitted as
// session_ids[i] (running or ended). `pages` is the snapshot's page count (0: no snapshot under
// that token any more; the balancer asks again from page 0).
struct AdmissionIndex {
  static constexpr std::size_t max_entries = 20;  // keeps a page of the longest ids under the body limit
  std::uint64_t token = 0;
  std::uint32_t page = 0;
  std::uint32_t pages = 0;
  std::vector<std::string> request_ids;
  std::vector<std::string> session_ids;
  bool operator==(const AdmissionIndex&) const = default;
};

// A substation announces every new admission to every balancer, on the heartbeat PUB, right
// after committing it and before answering the job: with several balancers, the others learn
// within a network trip which substation holds the request, so a retry sent to another balancer
// goes to the same session (docs/protocol.md, "Several balancers").
struct Admitted {
  std::string substation_id;
  std::string request_id;
  std::string session_id;
  std::uint64_t placed_by = 0;  // the job's placed_by: the balancer boot that sent it (0: unknown)
  bool operator==(const Admitted&) const = default;
};

using Message = std::variant<Heartbeat, ChargeRequest, ChargeReply, ChargeJob, JobResult, Ping, Pong, CancelSession,
                             SessionQuery, SessionState, SetLimit, LimitAck, SubstationsQuery, SubstationInfo,
                             FeederGrant, FeederLimit, FeederLimitAck, IndexQuery, AdmissionIndex, Admitted>;

Command command_of(const Message& message);

}  // namespace grid::proto
