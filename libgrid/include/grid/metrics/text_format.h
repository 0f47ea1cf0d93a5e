#pragma once
// Prometheus text exposition format 0.0.4, from collected snapshots. Output does not depend on the
// global C or C++ locale. Thread-safety: free functions without shared state.

#include <string>
#include <string_view>
#include <vector>

#include "grid/metrics/snapshot.h"

namespace grid::metrics {

// The Content-Type of a /metrics answer in this format.
inline constexpr std::string_view text_content_type = "text/plain; version=0.0.4; charset=utf-8";

// Every family with at least one series: # HELP, # TYPE, then its samples; histograms as
// cumulative _bucket{le="..."} lines ending at le="+Inf", then _sum and _count.
std::string serialize_text(const std::vector<FamilySnapshot>& families);

// A sample value as the format wants it: "3" rather than "3.000000", "0.25", "1e+300", "NaN",
// "+Inf", "-Inf".
std::string format_value(double v);

}  // namespace grid::metrics
