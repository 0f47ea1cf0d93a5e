#include "report.h"

#include <fstream>

#include <spdlog/fmt/fmt.h>

#include "report_sections.h"
#include "svg_chart.h"

namespace grid::loadgen {
namespace {

// All styling inline: no stylesheet, font or image is fetched, so the page looks the same offline.
constexpr const char* page_style = R"(
body { font-family: "DejaVu Sans", "Helvetica", sans-serif; margin: 24px auto; max-width: 1160px; color: #222; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 28px 0 6px; border-bottom: 1px solid #ddd; padding-bottom: 3px; }
p.description { color: #555; margin: 0 0 12px; }
table.summary { border-collapse: collapse; font-size: 13px; }
table.summary th { text-align: left; font-weight: normal; color: #555; padding: 2px 18px 2px 0; }
table.summary td { font-variant-numeric: tabular-nums; padding: 2px 0; }
.legend, .note, .no-data, figcaption { font-size: 12px; color: #444; margin: 4px 0; }
.note { color: #8a5a00; }
.no-data { font-style: italic; color: #777; }
.multiples { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 8px 20px; }
figure { margin: 6px 0; }
svg.chart { display: block; max-width: 100%; height: auto; font-size: 11px; }
svg.chart text { fill: #444; }
.axis line { stroke: #888; }
.grid-line { stroke: #eee !important; }
.swatch { display: inline-block; width: 12px; height: 10px; margin: 0 4px 0 10px; vertical-align: middle; }
path, line.rule, .marker line { fill: none; }
.area { stroke: none; }
.area.allocated { fill: rgba(43, 123, 185, 0.22); }  .line.allocated { stroke: #2b7bb9; stroke-width: 1.5; }
.step.limit { stroke: #d62728; stroke-width: 1.5; }  .step.capacity { stroke: #999; stroke-dasharray: 4 3; }
.band.dead { fill: rgba(120, 120, 120, 0.22); }
.area.charging { fill: rgba(44, 160, 44, 0.18); }  .line.charging { stroke: #2ca02c; stroke-width: 1.5; }
.line.paused { stroke: #ff7f0e; stroke-width: 1.5; }
.dot.allocated { fill: #2b7bb9; }  .dot.charging { fill: #2ca02c; }  .dot.paused { fill: #ff7f0e; }
.bar.latency { fill: #6a51a3; }
.marker line { stroke-width: 1.5; stroke-dasharray: 3 2; }  .marker.p50 line { stroke: #222; }  .marker.p99 line { stroke: #d62728; }
.bar.sessions { fill: #2b7bb9; }  .bar.energy { fill: #ff7f0e; }  .rule.fair { stroke: #222; stroke-width: 2; }
.swatch.allocated, .swatch.sessions { background: #2b7bb9; }  .swatch.limit { background: #d62728; }
.swatch.capacity { background: #bbb; }  .swatch.dead { background: rgba(120, 120, 120, 0.35); }
.swatch.charging { background: #2ca02c; }  .swatch.paused, .swatch.energy { background: #ff7f0e; }  .swatch.fair { background: #222; width: 3px; }
footer { margin-top: 28px; font-size: 11px; color: #999; }
)";

std::string summary_table(const RunReport& report) {
  std::string html = "<section><h2>Summary</h2>";
  if (report.summary_rows.empty()) return html + report_sections::no_data("summary", "the run left no summary.") + "</section>";
  html += R"(<table class="summary" data-chart="summary"><tbody>)";
  for (const auto& [label, value] : report.summary_rows) {
    html += fmt::format("<tr><th>{}</th><td>{}</td></tr>", svg::escape(label), svg::escape(value));
  }
  return html + "</tbody></table></section>";
}

}  // namespace

std::string render_report(const RunReport& report) {
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  html += fmt::format("<title>{}</title><style>{}</style></head><body>", svg::escape(report.title), page_style);
  html += fmt::format(R"(<header><h1>{}</h1><p class="description">{}</p></header>)", svg::escape(report.title),
                      svg::escape(report.description));
  html += summary_table(report);
  html += report_sections::allocated_power(report.snapshots);
  html += report_sections::sessions(report.snapshots);
  html += report_sections::latency_histogram(report.latencies_ms);
  html += report_sections::spread(report.spread);
  // The last element: a render check that finds it knows the whole page was parsed.
  html += R"(<footer data-report-end="">Written by grid-loadgen --report.</footer></body></html>)";
  return html + "\n";
}

bool write_report(const std::string& path, const RunReport& report) {
  const std::string html = render_report(report);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(html.data(), static_cast<std::streamsize>(html.size()));
  out.close();
  return static_cast<bool>(out);
}

}  // namespace grid::loadgen
