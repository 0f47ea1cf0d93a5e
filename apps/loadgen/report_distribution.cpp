// The report's distributions: answer latencies and the spread over substations.
#include <algorithm>
#include <cmath>

#include <spdlog/fmt/fmt.h>

#include "report.h"
#include "report_sections.h"
#include "summary.h"
#include "svg_chart.h"

namespace grid::loadgen::report_sections {
namespace {

// Five bins per decade: fine enough to see a second mode (retries, timeouts), coarse enough that
// a few hundred answers still fill them.
constexpr double bins_per_decade = 5;
// A latency of 0 ms cannot sit on a log axis; it is drawn in the first bin, at a microsecond.
constexpr double smallest_ms = 1e-3;

std::string ms(double value) { return fmt::format("{:.3g} ms", value); }

struct Histogram {
  double lo_edge = 1;  // ms, log-spaced edges from here
  std::vector<std::size_t> counts;
  double edge(std::size_t i) const { return lo_edge * std::pow(10.0, static_cast<double>(i) / bins_per_decade); }
};

Histogram histogram_of(const std::vector<double>& latencies_ms) {
  const auto [low, high] = std::minmax_element(latencies_ms.begin(), latencies_ms.end());
  const double lo_log = std::floor(std::log10(std::max(*low, smallest_ms)) * bins_per_decade);
  const double hi_log = std::ceil(std::log10(std::max(*high, smallest_ms)) * bins_per_decade);
  Histogram histogram;
  histogram.lo_edge = std::pow(10.0, lo_log / bins_per_decade);
  histogram.counts.assign(std::max<std::size_t>(static_cast<std::size_t>(hi_log - lo_log), 1), 0);
  for (const double value : latencies_ms) {
    const double position = std::log10(std::max(value, smallest_ms)) * bins_per_decade - lo_log;
    const auto bin = static_cast<std::size_t>(std::clamp(std::floor(position), 0.0, static_cast<double>(histogram.counts.size() - 1)));
    ++histogram.counts[bin];
  }
  return histogram;
}

std::string display_id(const std::string& id) {
  // Long ids would run into the bars; the full id is in each bar's tooltip. The cut never splits a
  // UTF-8 character (continuation bytes are 10xxxxxx).
  if (id.size() <= 14) return id;
  std::size_t cut = 13;
  while (cut > 0 && (static_cast<unsigned char>(id[cut]) & 0xC0) == 0x80) --cut;
  return id.substr(0, cut) + "~";
}

// The rows to draw: all of them, or those furthest from their fair share, kept in id order.
std::vector<SubstationSpread> spread_rows(const std::vector<SubstationSpread>& all) {
  if (all.size() <= report_max_spread_rows) return all;
  std::vector<std::size_t> order(all.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  const auto distance = [&](std::size_t i) { return std::abs(all[i].session_share - all[i].fair_share); };
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return distance(a) > distance(b); });
  order.resize(report_max_spread_rows);
  std::sort(order.begin(), order.end());
  std::vector<SubstationSpread> rows;
  for (const std::size_t i : order) rows.push_back(all[i]);
  return rows;
}

}  // namespace

std::string latency_histogram(const std::vector<double>& latencies_ms) {
  std::string html = "<section><h2>Answer latency</h2>";
  std::vector<double> values;
  for (const double value : latencies_ms) {
    if (std::isfinite(value)) values.push_back(value);
  }
  if (values.empty()) return html + no_data("latency", "no charge request was answered.") + "</section>";

  const Histogram histogram = histogram_of(values);
  const std::size_t bins = histogram.counts.size();
  const double most = static_cast<double>(*std::max_element(histogram.counts.begin(), histogram.counts.end()));
  const svg::Frame frame{.width = 1140, .height = 240};
  const double y_end = svg::axis_end(std::max(most * 1.05, 4.0), 4);
  svg::Chart chart(frame, svg::Scale::log10(histogram.edge(0), histogram.edge(bins), frame.plot_left(), frame.plot_right()),
                   svg::Scale::linear(0, y_end, frame.plot_bottom(), frame.plot_top()));
  chart.y_axis(svg::round_ticks(0, y_end, 4), "answers");
  chart.x_axis(svg::decade_ticks(histogram.edge(0), histogram.edge(bins)), "latency (ms, log scale)");
  for (std::size_t i = 0; i < bins; ++i) {
    if (histogram.counts[i] == 0) continue;
    chart.bar("latency", histogram.edge(i), histogram.edge(i + 1), 0, static_cast<double>(histogram.counts[i]),
              fmt::format("{} to {}: {} answers", ms(histogram.edge(i)), ms(histogram.edge(i + 1)), histogram.counts[i]));
  }
  const double p50 = percentile(values, 50);
  const double p99 = percentile(values, 99);
  chart.marker("p50", std::max(p50, smallest_ms), "p50 " + ms(p50), 0);
  chart.marker("p99", std::max(p99, smallest_ms), "p99 " + ms(p99), 1);
  html += fmt::format(R"(<p class="legend">{} answers; p50 {}, p99 {}, max {}.</p>)", values.size(), ms(p50), ms(p99),
                      ms(*std::max_element(values.begin(), values.end())));
  return html + chart.svg(R"(data-chart="latency")", "histogram of answer latencies") + "</section>";
}

std::string spread(const std::vector<SubstationSpread>& all) {
  std::string html = "<section><h2>Spread over substations</h2>";
  if (all.empty()) return html + no_data("spread", "no substation took a session.") + "</section>";

  const auto rows = spread_rows(all);
  double top = 0;
  for (const auto& row : rows) top = std::max({top, row.session_share, row.energy_share, row.fair_share});
  constexpr double row_px = 26;
  const svg::Frame frame{.width = 1140, .height = 14 + 40 + row_px * static_cast<double>(rows.size()), .left = 120};
  const double x_end = svg::axis_end(top * 100 * 1.02, 5);
  svg::Chart chart(frame, svg::Scale::linear(0, x_end, frame.plot_left(), frame.plot_right()),
                   svg::Scale::linear(0, static_cast<double>(rows.size()), frame.plot_top(), frame.plot_bottom()));
  chart.x_axis(svg::round_ticks(0, x_end, 10), "share (%)");
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    const double at = static_cast<double>(i);
    chart.label(8, chart.y()(at + 0.5) + 4, display_id(row.id), "row-label");
    chart.bar("sessions", 0, row.session_share * 100, at + 0.12, at + 0.47,
              fmt::format("{}: {:.1f}% of the sessions", row.id, row.session_share * 100));
    chart.bar("energy", 0, row.energy_share * 100, at + 0.53, at + 0.88,
              fmt::format("{}: {:.1f}% of the energy", row.id, row.energy_share * 100));
    chart.rule("fair", row.fair_share * 100, at + 0.04, at + 0.96,
               fmt::format("{}: fair share {:.1f}%", row.id, row.fair_share * 100));
  }
  html += R"(<p class="legend"><span class="swatch sessions"></span>share of the sessions <span class="swatch energy"></span>)"
          R"(share of the energy delivered <span class="swatch fair"></span>fair share (by capacity)</p>)";
  if (rows.size() < all.size()) {
    html += fmt::format(R"(<p class="note" data-note="capped">Showing {} of {} substations: those furthest from their fair share.</p>)",
                        rows.size(), all.size());
  }
  return html + chart.svg(R"(data-chart="spread")", "share of sessions and energy per substation against fair share") +
         "</section>";
}

}  // namespace grid::loadgen::report_sections
