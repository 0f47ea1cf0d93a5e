#include "grid/power/admission.h"

#include <cmath>
#include <limits>

namespace grid::power {

Watts to_watts(double kw) { return static_cast<Watts>(std::llround(kw * 1000.0)); }

double to_kw(Watts watts) { return static_cast<double>(watts) / 1000.0; }

double utilization(double used_kw, double capacity_kw) {
  if (capacity_kw > 0) return used_kw / capacity_kw;
  return used_kw > 0 ? std::numeric_limits<double>::infinity() : 0.0;
}

std::string_view to_string(Refusal refusal) {
  switch (refusal) {
    case Refusal::capacity: return "capacity";
    case Refusal::below_minimum: return "below_minimum";
  }
  return "unknown";
}

}  // namespace grid::power
