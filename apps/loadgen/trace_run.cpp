#include "trace_run.h"

#include <fmt/format.h>

#include "loadgen_run.h"
#include "report.h"

namespace grid::loadgen {

RunReport make_run_report(const LoadgenConfig& config, const Trace& trace, const TraceTally& tally,
                          const TraceSummary& summary, const RunTally& requests) {
  RunReport report;
  report.title = "Trace replay: " + trace.source;
  report.description = describe(config, &trace);
  report.snapshots = tally.snapshots;
  report.latencies_ms = requests.latencies_ms;
  report.spread = spread_of(summary);
  report.summary_rows = summary_rows(summary);
  const auto answered = requests.latencies_ms.size();
  report.summary_rows.emplace_back("Charge requests answered", fmt::format("{} in {:.1f} s", answered, requests.wall_s));
  return report;
}

bool write_trace_report(const LoadgenConfig& config, const Trace& trace, const TraceTally& tally,
                        const TraceSummary& summary, const RunTally& requests) {
  return write_report(config.report_path, make_run_report(config, trace, tally, summary, requests));
}

}  // namespace grid::loadgen
