#pragma once
// The HTML report of a trace replay: what the replay recorded, turned into the report's data.

#include "loadgen_config.h"
#include "run_report.h"
#include "summary.h"
#include "trace.h"
#include "trace_summary.h"

namespace grid::loadgen {

RunReport make_run_report(const LoadgenConfig& config, const Trace& trace, const TraceTally& tally,
                          const TraceSummary& summary, const RunTally& requests);

// Writes config.report_path; false when it cannot be written.
bool write_trace_report(const LoadgenConfig& config, const Trace& trace, const TraceTally& tally,
                        const TraceSummary& summary, const RunTally& requests);

}  // namespace grid::loadgen
