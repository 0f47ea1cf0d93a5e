#include "grid/proto/codec.h"

#include <algorithm>
#include <cmath>
#include <concepts>
#include <tuple>
#include <utility>

#include <msgpack.hpp>

#include "grid/proto/limits.h"

namespace grid::proto {
namespace {

// The fields of each message in wire order. One list serves encoding, decoding and the field
// count, so the three cannot drift apart.
template <class M, class T>
concept Is = std::same_as<std::remove_const_t<M>, T>;

template <Is<Heartbeat> M>
auto fields(M& m) {
  return std::tie(m.substation_id, m.boot, m.seq, m.capacity_kw, m.load_kw, m.active_sessions, m.limit_kw, m.min_kw,
                  m.demand_kw, m.energy_wanted_kwh, m.due_kw, m.paused_sessions, m.feeder_id, m.granted_kw,
                  m.grant_seq, m.in_fallback, m.grant_boot);
}
template <Is<ChargeRequest> M>
auto fields(M& m) {
  return std::tie(m.request_id, m.vehicle_id, m.power_kw, m.energy_kwh, m.min_power_kw, m.departs_in_s, m.priority);
}
template <Is<ChargeReply> M>
auto fields(M& m) {
  return std::tie(m.request_id, m.outcome, m.session_id, m.substation_id, m.power_kw, m.reason, m.min_power_kw,
                  m.departs_in_s);
}
template <Is<ChargeJob> M>
auto fields(M& m) {
  return std::tie(m.job_id, m.request_id, m.vehicle_id, m.power_kw, m.energy_kwh, m.min_power_kw, m.departs_in_s,
                  m.priority, m.placed_by);
}
template <Is<JobResult> M>
auto fields(M& m) {
  return std::tie(m.job_id, m.request_id, m.accepted, m.session_id, m.reason, m.load_kw, m.active_sessions,
                  m.after_seq, m.boot, m.power_kw, m.min_power_kw, m.repeated);
}
template <Is<Ping> M>
auto fields(M& m) { return std::tie(m.nonce); }
template <Is<Pong> M>
auto fields(M& m) { return std::tie(m.nonce, m.live_substations); }
template <Is<CancelSession> M>
auto fields(M& m) { return std::tie(m.request_id, m.session_id, m.placed_by); }
template <Is<SessionQuery> M>
auto fields(M& m) { return std::tie(m.request_id, m.session_id, m.stop); }
template <Is<SessionState> M>
auto fields(M& m) {
  return std::tie(m.request_id, m.found, m.session_id, m.status, m.power_kw, m.energy_kwh, m.delivered_kwh,
                  m.min_power_kw, m.max_power_kw, m.departs_in_s, m.completes_in_s, m.substation_id, m.reason);
}
template <Is<SetLimit> M>
auto fields(M& m) { return std::tie(m.request_id, m.substation_id, m.limit_kw, m.duration_s); }
template <Is<LimitAck> M>
auto fields(M& m) {
  return std::tie(m.request_id, m.substation_id, m.applied, m.limit_kw, m.capacity_kw, m.expires_in_s, m.reason);
}
template <Is<SubstationsQuery> M>
auto fields(M& m) { return std::tie(m.request_id); }
template <Is<SubstationInfo> M>
auto fields(M& m) {
  return std::tie(m.request_id, m.index, m.total, m.substation_id, m.live, m.ejected, m.capacity_kw, m.limit_kw,
                  m.allocated_kw, m.sessions, m.paused_sessions);
}
template <Is<FeederGrant> M>
auto fields(M& m) {
  return std::tie(m.substation_id, m.feeder_id, m.balancer_boot, m.seq, m.granted_kw, m.lease_s, m.fallback_kw);
}
template <Is<FeederLimit> M>
auto fields(M& m) { return std::tie(m.request_id, m.feeder_id, m.limit_kw, m.starts_in_s, m.duration_s); }
template <Is<FeederLimitAck> M>
auto fields(M& m) {
  return std::tie(m.request_id, m.feeder_id, m.applied, m.limit_kw, m.starts_in_s, m.expires_in_s, m.topology_kw,
                  m.reason);
}
template <Is<IndexQuery> M>
auto fields(M& m) { return std::tie(m.token, m.page); }
template <Is<AdmissionIndex> M>
auto fields(M& m) { return std::tie(m.token, m.page, m.pages, m.request_ids, m.session_ids); }
template <Is<Admitted> M>
auto fields(M& m) { return std::tie(m.substation_id, m.request_id, m.session_id, m.placed_by); }

// The fields every GRID1 peer sends: the messages as first defined. Fields appended since are
// optional (see decode_body). New messages require all of theirs.
template <class M>
inline constexpr std::size_t required_fields = std::tuple_size_v<decltype(fields(std::declval<M&>()))>;
template <>
inline constexpr std::size_t required_fields<Heartbeat> = 6;
template <>
inline constexpr std::size_t required_fields<ChargeRequest> = 4;
template <>
inline constexpr std::size_t required_fields<ChargeReply> = 6;
template <>
inline constexpr std::size_t required_fields<ChargeJob> = 5;
template <>
inline constexpr std::size_t required_fields<JobResult> = 9;
template <>
inline constexpr std::size_t required_fields<CancelSession> = 2;

// Packs straight into a std::string, so a caller's buffer (kept across messages) is reused.
struct StringBuffer {
  std::string& bytes;
  void write(const char* data, std::size_t size) { bytes.append(data, size); }
};
using Packer = msgpack::packer<StringBuffer>;

void write(Packer& p, const std::string& v) { p.pack_str(static_cast<std::uint32_t>(v.size())).pack_str_body(v.data(), static_cast<std::uint32_t>(v.size())); }
void write(Packer& p, std::uint64_t v) { p.pack_uint64(v); }
void write(Packer& p, std::uint32_t v) { p.pack_uint32(v); }
void write(Packer& p, double v) { p.pack_double(v); }
void write(Packer& p, bool v) { v ? p.pack_true() : p.pack_false(); }
void write(Packer& p, Outcome v) { p.pack_uint8(static_cast<std::uint8_t>(v)); }
void write(Packer& p, SessionStatus v) { p.pack_uint8(static_cast<std::uint8_t>(v)); }
void write(Packer& p, const std::vector<std::string>& v) {
  p.pack_array(static_cast<std::uint32_t>(v.size()));
  for (const auto& item : v) write(p, item);
}

bool read(const msgpack::object& o, std::string& v) {
  if (o.type != msgpack::type::STR) return false;
  v.assign(o.via.str.ptr, o.via.str.size);
  return true;
}
bool read(const msgpack::object& o, std::uint64_t& v) {
  if (o.type != msgpack::type::POSITIVE_INTEGER) return false;
  v = o.via.u64;
  return true;
}
bool read(const msgpack::object& o, std::uint32_t& v) {
  if (o.type != msgpack::type::POSITIVE_INTEGER || o.via.u64 > UINT32_MAX) return false;
  v = static_cast<std::uint32_t>(o.via.u64);
  return true;
}
bool read(const msgpack::object& o, double& v) {
  switch (o.type) {
    case msgpack::type::FLOAT32:
    case msgpack::type::FLOAT64: v = o.via.f64; return true;
    case msgpack::type::POSITIVE_INTEGER: v = static_cast<double>(o.via.u64); return true;
    case msgpack::type::NEGATIVE_INTEGER: v = static_cast<double>(o.via.i64); return true;
    default: return false;
  }
}
bool read(const msgpack::object& o, bool& v) {
  if (o.type != msgpack::type::BOOLEAN) return false;
  v = o.via.boolean;
  return true;
}
bool read(const msgpack::object& o, Outcome& v) {
  if (o.type != msgpack::type::POSITIVE_INTEGER || o.via.u64 > static_cast<std::uint64_t>(Outcome::conflict)) return false;
  v = static_cast<Outcome>(o.via.u64);
  return true;
}

bool read(const msgpack::object& o, SessionStatus& v) {
  if (o.type != msgpack::type::POSITIVE_INTEGER || o.via.u64 > static_cast<std::uint64_t>(SessionStatus::stopped)) {
    return false;
  }
  v = static_cast<SessionStatus>(o.via.u64);
  return true;
}

// A list of strings: the only nested array on the wire (the unpack limits bound its length).
bool read(const msgpack::object& o, std::vector<std::string>& v) {
  if (o.type != msgpack::type::ARRAY) return false;
  v.resize(o.via.array.size);
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!read(o.via.array.ptr[i], v[i])) return false;
  }
  return true;
}

bool positive_at_most(double v, double high) { return std::isfinite(v) && v > 0 && v <= high; }
bool non_negative_at_most(double v, double high) { return std::isfinite(v) && v >= 0 && v <= high; }
bool short_text(const std::string& s, std::size_t limit) { return s.size() <= limit; }

bool optional_id(const std::string& id) { return id.empty() || valid_id(id); }
bool optional_session_id(const std::string& id) { return id.empty() || valid_session_id(id); }
bool kw(double v) { return non_negative_at_most(v, limits::max_capacity_kw); }
bool session_kw(double v) { return non_negative_at_most(v, limits::max_power_kw); }
bool seconds(double v) { return non_negative_at_most(v, limits::max_seconds); }

bool valid(const Heartbeat& m) {
  return valid_id(m.substation_id) && positive_at_most(m.capacity_kw, limits::max_capacity_kw) && kw(m.load_kw) &&
         m.active_sessions <= limits::max_active_sessions && kw(m.limit_kw) && kw(m.min_kw) &&
         non_negative_at_most(m.demand_kw, limits::max_demand_kw) &&
         non_negative_at_most(m.energy_wanted_kwh, limits::max_demand_kwh) &&
         non_negative_at_most(m.due_kw, limits::max_demand_kw) && m.paused_sessions <= m.active_sessions &&
         optional_id(m.feeder_id) && kw(m.granted_kw);
}
bool valid_charge(const std::string& vehicle_id, double power_kw, double energy_kwh, double min_power_kw,
                  double departs_in_s, std::uint32_t priority) {
  return valid_id(vehicle_id) && positive_at_most(power_kw, limits::max_power_kw) &&
         positive_at_most(energy_kwh, limits::max_energy_kwh) && non_negative_at_most(min_power_kw, power_kw) &&
         seconds(departs_in_s) && priority <= limits::max_priority;
}
bool valid(const ChargeRequest& m) {
  return valid_id(m.request_id) &&
         valid_charge(m.vehicle_id, m.power_kw, m.energy_kwh, m.min_power_kw, m.departs_in_s, m.priority);
}
bool valid(const ChargeReply& m) {
  if (!valid_id(m.request_id) || !short_text(m.reason, limits::max_reason_bytes)) return false;
  // Every field bounded even where unused: a NaN or a raw id must not pass as a valid message.
  if (!session_kw(m.power_kw) || !session_kw(m.min_power_kw) || !seconds(m.departs_in_s)) return false;
  if (m.outcome != Outcome::charging) return optional_session_id(m.session_id) && optional_id(m.substation_id);
  return valid_session_id(m.session_id) && valid_id(m.substation_id);  // power 0: admitted, paused
}
bool valid(const ChargeJob& m) {
  return valid_id(m.request_id) &&
         valid_charge(m.vehicle_id, m.power_kw, m.energy_kwh, m.min_power_kw, m.departs_in_s, m.priority);
}
bool valid(const JobResult& m) {
  return valid_id(m.request_id) && (m.accepted ? valid_session_id(m.session_id) : m.session_id.empty()) &&
         short_text(m.reason, limits::max_reason_bytes) && kw(m.load_kw) &&
         m.active_sessions <= limits::max_active_sessions && session_kw(m.power_kw) && session_kw(m.min_power_kw);
}
bool valid(const Ping&) { return true; }
bool valid(const Pong&) { return true; }
bool valid(const CancelSession& m) { return valid_id(m.request_id) && optional_session_id(m.session_id); }
bool valid(const SessionQuery& m) { return valid_id(m.request_id) && valid_session_id(m.session_id); }
bool valid(const SessionState& m) {
  if (!valid_id(m.request_id)) return false;
  if (!short_text(m.reason, limits::max_reason_bytes) || !optional_id(m.substation_id)) return false;
  // Every number bounded even when not found: a NaN must not pass as a valid message.
  const bool numbers = session_kw(m.power_kw) && non_negative_at_most(m.energy_kwh, limits::max_energy_kwh) &&
                       non_negative_at_most(m.delivered_kwh, limits::max_energy_kwh) && session_kw(m.min_power_kw) &&
                       session_kw(m.max_power_kw) && seconds(m.departs_in_s) && seconds(m.completes_in_s);
  if (!numbers) return false;
  return m.found ? valid_session_id(m.session_id) : optional_session_id(m.session_id);
}
bool valid(const SetLimit& m) {
  return valid_id(m.request_id) && valid_id(m.substation_id) && kw(m.limit_kw) && seconds(m.duration_s);
}
bool valid(const LimitAck& m) {
  return valid_id(m.request_id) && valid_id(m.substation_id) && kw(m.limit_kw) && kw(m.capacity_kw) &&
         seconds(m.expires_in_s) && short_text(m.reason, limits::max_reason_bytes);
}
bool valid(const SubstationsQuery& m) { return valid_id(m.request_id); }
bool valid(const SubstationInfo& m) {
  if (!valid_id(m.request_id) || m.index > m.total || m.total > limits::max_substations) return false;
  // Every number bounded even in the empty answer: a NaN must not pass as a valid message.
  if (!kw(m.capacity_kw) || !kw(m.limit_kw) || !kw(m.allocated_kw) || m.sessions > limits::max_active_sessions ||
      m.paused_sessions > m.sessions) {
    return false;
  }
  if (m.total == 0) return m.substation_id.empty();
  return m.index < m.total && valid_id(m.substation_id);
}
bool valid(const FeederGrant& m) {
  return valid_id(m.substation_id) && valid_id(m.feeder_id) && positive_at_most(m.granted_kw, limits::max_capacity_kw) &&
         positive_at_most(m.lease_s, limits::max_seconds) && kw(m.fallback_kw);
}
bool valid(const FeederLimit& m) {
  return valid_id(m.request_id) && valid_id(m.feeder_id) && kw(m.limit_kw) && seconds(m.starts_in_s) &&
         seconds(m.duration_s);
}
bool valid(const FeederLimitAck& m) {
  return valid_id(m.request_id) && valid_id(m.feeder_id) && kw(m.limit_kw) && seconds(m.starts_in_s) &&
         seconds(m.expires_in_s) && kw(m.topology_kw) && short_text(m.reason, limits::max_reason_bytes);
}

bool valid(const IndexQuery&) { return true; }
bool valid(const AdmissionIndex& m) {
  if (m.request_ids.size() != m.session_ids.size() || m.request_ids.size() > AdmissionIndex::max_entries) return false;
  if (m.pages == 0 ? !m.request_ids.empty() : m.page >= m.pages) return false;
  return std::all_of(m.request_ids.begin(), m.request_ids.end(), [](const std::string& id) { return valid_id(id); }) &&
         std::all_of(m.session_ids.begin(), m.session_ids.end(),
                     [](const std::string& id) { return valid_session_id(id); });
}
bool valid(const Admitted& m) {
  return valid_id(m.substation_id) && valid_id(m.request_id) && valid_session_id(m.session_id);
}

// How bodies grow (docs/protocol.md, "Growing the protocol"): a field is only ever appended, and
// a receiver takes a body with at least the fields every GRID1 peer sends (the message's required
// count), reads the fields it knows, and skips what a newer peer appended after them. A field
// added later must be optional: missing, it keeps its default.
template <class M>
Decoded decode_body(const msgpack::object& root) {
  M message;
  auto tuple = fields(message);
  constexpr auto known = std::tuple_size_v<decltype(tuple)>;
  if (root.type != msgpack::type::ARRAY || root.via.array.size < required_fields<M>) return DecodeError::wrong_shape;
  const std::size_t present = std::min<std::size_t>(root.via.array.size, known);
  const msgpack::object* items = root.via.array.ptr;
  const bool all_read = std::apply(
      [&](auto&... field) {
        std::size_t i = 0;
        // A known field the sender did not send keeps its default.
        return ((i >= present || read(items[i], field) ? (++i, true) : false) && ...);
      },
      tuple);
  if (!all_read) return DecodeError::wrong_shape;
  if (!valid(message)) return DecodeError::invalid_value;
  return Message{std::move(message)};
}

// Sizes a hostile header may claim are cut off here, before anything is allocated for them.
const msgpack::unpack_limit wire_limit(/*array=*/24, /*map=*/0, /*str=*/limits::max_reason_bytes, /*bin=*/0,
                                       /*ext=*/0, /*depth=*/2);

bool reference_strings(msgpack::type::object_type type, std::size_t, void*) { return type == msgpack::type::STR; }

struct ZoneCleaner {
  msgpack::zone& zone;
  ~ZoneCleaner() { zone.clear(); }
};

}  // namespace

Command command_of(const Message& message) {
  return static_cast<Command>(message.index() + 1);
}

std::string_view reason_label(DecodeError error) {
  switch (error) {
    case DecodeError::wrong_frame_count: return "frame_count";
    case DecodeError::bad_protocol: return "bad_protocol";
    case DecodeError::unknown_command: return "unknown_command";
    case DecodeError::oversized: return "oversized";
    case DecodeError::malformed: return "malformed";
    case DecodeError::wrong_shape: return "wrong_shape";
    case DecodeError::trailing_bytes: return "trailing_bytes";
    case DecodeError::invalid_value: return "invalid_value";
  }
  return "unknown";
}

namespace {
bool printable(std::string_view id, std::size_t longest) {
  if (id.empty() || id.size() > longest) return false;
  for (const char c : id) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}
}  // namespace

bool valid_id(std::string_view id) { return printable(id, limits::max_id_bytes); }
bool valid_session_id(std::string_view id) { return printable(id, limits::max_session_id_bytes); }

Command encode_into(const Message& message, std::string& body) {
  body.clear();
  StringBuffer buffer{body};
  Packer packer(buffer);
  std::visit(
      [&](const auto& m) {
        const auto tuple = fields(m);
        packer.pack_array(static_cast<std::uint32_t>(std::tuple_size_v<decltype(tuple)>));
        std::apply([&](const auto&... field) { (write(packer, field), ...); }, tuple);
      },
      message);
  return command_of(message);
}

Encoded encode(const Message& message) {
  Encoded encoded;
  encoded.body.reserve(128);  // every message but a long reason fits: one allocation
  encoded.command = encode_into(message, encoded.body);
  return encoded;
}

Decoded decode(std::string_view protocol, std::string_view command, std::string_view body) {
  if (protocol != protocol_id) return DecodeError::bad_protocol;
  if (command.size() != 1) return DecodeError::unknown_command;
  if (body.size() > limits::max_body_bytes) return DecodeError::oversized;
  // One zone per thread, emptied after every decode: unpacking allocates nothing once warm (a zone
  // of its own per call cost an 8 KiB malloc and free per message, the hot path's largest).
  thread_local msgpack::zone zone;
  const ZoneCleaner cleaner{zone};
  msgpack::object root;
  std::size_t offset = 0;
  try {
    // Strings are referenced in `body`, not copied into the zone: fields copy them out below.
    root = msgpack::unpack(zone, body.data(), body.size(), offset, reference_strings, nullptr, wire_limit);
  } catch (const msgpack::unpack_error&) {
    return DecodeError::malformed;
  } catch (const std::bad_alloc&) {
    return DecodeError::malformed;
  }
  if (offset != body.size()) return DecodeError::trailing_bytes;
  switch (static_cast<Command>(static_cast<unsigned char>(command[0]))) {
    case Command::heartbeat: return decode_body<Heartbeat>(root);
    case Command::charge_request: return decode_body<ChargeRequest>(root);
    case Command::charge_reply: return decode_body<ChargeReply>(root);
    case Command::charge_job: return decode_body<ChargeJob>(root);
    case Command::job_result: return decode_body<JobResult>(root);
    case Command::ping: return decode_body<Ping>(root);
    case Command::pong: return decode_body<Pong>(root);
    case Command::cancel_session: return decode_body<CancelSession>(root);
    case Command::session_query: return decode_body<SessionQuery>(root);
    case Command::session_state: return decode_body<SessionState>(root);
    case Command::set_limit: return decode_body<SetLimit>(root);
    case Command::limit_ack: return decode_body<LimitAck>(root);
    case Command::substations_query: return decode_body<SubstationsQuery>(root);
    case Command::substation_info: return decode_body<SubstationInfo>(root);
    case Command::feeder_grant: return decode_body<FeederGrant>(root);
    case Command::feeder_limit: return decode_body<FeederLimit>(root);
    case Command::feeder_limit_ack: return decode_body<FeederLimitAck>(root);
    case Command::index_query: return decode_body<IndexQuery>(root);
    case Command::admission_index: return decode_body<AdmissionIndex>(root);
    case Command::admitted: return decode_body<Admitted>(root);
  }
  return DecodeError::unknown_command;
}

Decoded decode(std::span<const std::string_view> frames) {
  if (frames.size() != frames_per_message) return DecodeError::wrong_frame_count;
  return decode(frames[0], frames[1], frames[2]);
}

}  // namespace grid::proto
