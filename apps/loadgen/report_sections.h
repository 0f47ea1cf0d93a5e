#pragma once
// The sections of the run report, one function each, used by report.cpp to assemble the page.
// Each returns an HTML fragment: a chart (or small multiples of charts) with its heading and
// legend, or a "no data" note with the same data-chart attribute when there is nothing to draw.
// Thread-safety: pure functions.

#include <string>
#include <vector>

#include "run_report.h"

namespace grid::loadgen::report_sections {

// Trace time is drawn in hours for a long trace, minutes for a medium one, seconds for a short one.
struct TimeUnit {
  double seconds = 1;       // seconds per unit
  const char* name = "s";  // as the axis label writes it
};
TimeUnit time_unit_for(double span_s);

// Allocated kW against limit and capacity, one chart per substation (the highest peaks first).
std::string allocated_power(const std::vector<GridSnapshot>& snapshots);
// Sessions charging and paused over the whole grid.
std::string sessions(const std::vector<GridSnapshot>& snapshots);
// Answer latencies in log-spaced bins with p50 and p99 marked.
std::string latency_histogram(const std::vector<double>& latencies_ms);
// Session share and energy share per substation against its fair share.
std::string spread(const std::vector<SubstationSpread>& spread);

// "No data" in the place of a chart, findable by the same data-chart attribute.
std::string no_data(const char* chart, const char* why);

}  // namespace grid::loadgen::report_sections
