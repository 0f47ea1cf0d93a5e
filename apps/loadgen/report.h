#pragma once
// The run report of a trace replay: one self-contained HTML page (inline CSS and SVG, no script,
// no URL of any kind), so it can be mailed, attached to CI or opened offline and look the same.
// It shows the summary table, allocated power against the limit per substation over trace time,
// the sessions charging and paused over time, the latency histogram and the spread of sessions and
// energy over the substations.
// Every chart is an <svg class="chart" data-chart="..."> and every series carries
// data-series="...", so tests can check what was drawn (see tests/unit/loadgen/report_test.cpp).
// Thread-safety: pure functions of their argument.

#include <cstddef>
#include <string>

#include "run_report.h"

namespace grid::loadgen {

// A page with hundreds of substation charts helps nobody: it shows the highest peaks and says so.
inline constexpr std::size_t report_max_substation_charts = 12;
// Likewise for the rows of the spread chart: those furthest from their fair share.
inline constexpr std::size_t report_max_spread_rows = 30;
// Points per line at most; longer lines keep each bucket's lowest and highest point.
inline constexpr std::size_t report_max_points_per_line = 400;

std::string render_report(const RunReport& report);

// Writes render_report(report) to `path`, replacing what was there; false when the file cannot be
// opened or fully written (the caller says so and exits non-zero; a partial file may remain).
bool write_report(const std::string& path, const RunReport& report);

}  // namespace grid::loadgen
