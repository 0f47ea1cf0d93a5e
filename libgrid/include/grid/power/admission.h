#pragma once
// The one arithmetic of admission, shared by the substation (the authority) and the balancer (its
// forecast), so the two never disagree about whether a power fits.
//
// Power is counted in whole watts. Sums of whole watts are exact, so "fits" needs no tolerance and
// a load never drifts below zero or past a limit by a rounding error. Every kW value the grid
// carries on the wire is a whole number of watts divided by 1000 (the substation reports its load
// that way, the balancer rounds each request once on arrival), so converting back to watts is exact.
// Thread-safety: pure functions and constants.

#include <cstdint>
#include <string_view>

namespace grid::power {

using Watts = std::int64_t;

// The smallest power a session may ask for. No charger draws less; a request for a few
// microwatts would otherwise hold a session open for years.
inline constexpr double min_session_kw = 0.1;
// A session's minimum when its request names none: 6 A on one phase at 230 V, the least an EV
// charges at without being paused (IEC 61851). The substation's --min-power-kw defaults to it, and
// the balancer forecasts admission with it, capped at the request's power_kw.
inline constexpr double default_min_session_kw = 1.4;

// kW to the nearest whole watt. Defined for finite values whose magnitude is within the wire's
// limits (proto/limits.h); callers validate before converting.
Watts to_watts(double kw);
double to_kw(Watts watts);
// A kW value rounded to the nearest whole watt: what the grid actually allocates for it.
inline double whole_watts_kw(double kw) { return to_kw(to_watts(kw)); }

// Does `request` fit on top of `used` under `limit`? Exact: used + request <= limit.
constexpr bool fits(Watts used, Watts request, Watts limit) { return request <= limit - used; }
// The same for kW values, through whole watts.
inline bool fits_kw(double used_kw, double request_kw, double limit_kw) {
  return fits(to_watts(used_kw), to_watts(request_kw), to_watts(limit_kw));
}

// used / capacity. A substation without capacity is infinitely full when it carries anything and
// empty otherwise, so it sorts after every substation with room and never yields NaN.
double utilization(double used_kw, double capacity_kw);

// Why a substation refused a job: the same words on the wire (JobResult.reason), in the
// substation's refusal counter's `reason` label, and in the balancer's logs.
enum class Refusal : std::uint8_t {
  capacity,       // the power does not fit under the substation's limit
  below_minimum,  // the power is below min_session_kw
};
inline constexpr Refusal all_refusals[] = {Refusal::capacity, Refusal::below_minimum};
std::string_view to_string(Refusal refusal);

}  // namespace grid::power
