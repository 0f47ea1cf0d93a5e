#pragma once
// What the codec accepts from the wire. Anything outside these bounds is dropped and counted:
// a peer must not be able to make a node allocate without bound, or steer a balancing decision
// with an absurd value.

#include <cstddef>
#include <cstdint>

namespace grid::proto::limits {

inline constexpr std::size_t max_body_bytes = 4096;  // every valid body is far smaller
inline constexpr std::size_t max_id_bytes = 64;      // substation, vehicle, request, session ids
inline constexpr std::size_t max_reason_bytes = 256;
inline constexpr double max_capacity_kw = 1e6;       // a 1 GW substation is already absurd
inline constexpr double max_power_kw = 10'000;       // per charging session
inline constexpr double max_energy_kwh = 100'000;    // per charging session
inline constexpr double max_active_sessions = 10'000'000;
inline constexpr std::size_t max_session_id_bytes = 96;  // a substation id, '.', the boot and a counter
inline constexpr double max_seconds = 1e9;               // durations and departures: about 30 years
inline constexpr std::uint32_t max_priority = 9;
inline constexpr double max_demand_kw = 1e9;              // sums over a substation's sessions
inline constexpr double max_demand_kwh = 1e12;
inline constexpr std::uint32_t max_substations = 10'000'000;

}  // namespace grid::proto::limits
