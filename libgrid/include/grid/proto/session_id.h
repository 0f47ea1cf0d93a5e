#pragma once
// Session ids name their substation: "<substation id>.<boot, 8 hex digits>-<counter>", e.g.
// "north.1f3a9c2e-17". So any balancer can send a query or a stop for a session to the substation
// that holds it without a table of sessions (which a restarted balancer would not have), and two
// boots of one substation never hand out the same id. The substation id may itself contain '.',
// so the split is at the last one. At most limits::max_session_id_bytes (96) bytes.
// Thread-safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>

namespace grid::proto {

std::string make_session_id(std::string_view substation_id, std::uint64_t boot, std::uint64_t counter);

// The substation a session id names; empty when the id is not of this form.
std::string_view substation_of(std::string_view session_id);

}  // namespace grid::proto
