// The report's charts over trace time: allocated power per substation and sessions over the grid.
#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include <spdlog/fmt/fmt.h>

#include "report.h"
#include "report_sections.h"
#include "svg_chart.h"

namespace grid::loadgen::report_sections {
namespace {

using svg::Point;

// One substation's lines, in trace-time units.
struct SubstationLines {
  std::vector<Point> allocated, limit, capacity;
  std::vector<std::pair<double, double>> dead;  // intervals the balancer saw it dead
  double peak_kw = 0;
  double top_kw = 0;  // the highest of allocated, limit and capacity: the y axis must hold all three
};

bool finite(const SubstationPoint& point) {
  return std::isfinite(point.allocated_kw) && std::isfinite(point.limit_kw) && std::isfinite(point.capacity_kw);
}

// The ids with the highest peak allocation, highest first (ties by id, so the page is stable).
std::vector<std::string> highest_peaks(const std::vector<GridSnapshot>& snapshots, std::size_t* total) {
  std::map<std::string, double> peak;
  for (const auto& snapshot : snapshots) {
    for (const auto& point : snapshot.substations) {
      double& kw = peak[point.id];
      if (std::isfinite(point.allocated_kw)) kw = std::max(kw, point.allocated_kw);
    }
  }
  std::vector<std::pair<std::string, double>> ranked(peak.begin(), peak.end());
  std::stable_sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  *total = ranked.size();
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < ranked.size() && i < report_max_substation_charts; ++i) ids.push_back(ranked[i].first);
  return ids;
}

// The lines of the charted substations, in one pass over the snapshots: with hundreds of
// substations and thousands of snapshots, a pass per substation would cost as much again per chart.
std::map<std::string, SubstationLines> lines_of(const std::vector<std::string>& ids,
                                                const std::vector<GridSnapshot>& snapshots, double unit_s) {
  std::map<std::string, SubstationLines> all;
  for (const auto& id : ids) all[id];
  for (std::size_t i = 0; i < snapshots.size(); ++i) {
    const double t = snapshots[i].trace_s / unit_s;
    for (const auto& point : snapshots[i].substations) {
      const auto found = all.find(point.id);
      if (found == all.end() || !finite(point)) continue;
      SubstationLines& lines = found->second;
      lines.allocated.push_back({t, point.allocated_kw});
      lines.limit.push_back({t, point.limit_kw});
      lines.capacity.push_back({t, point.capacity_kw});
      lines.peak_kw = std::max(lines.peak_kw, point.allocated_kw);
      lines.top_kw = std::max({lines.top_kw, point.allocated_kw, point.limit_kw, point.capacity_kw});
      if (!point.live) {
        // Dead from this snapshot until the next one says otherwise; touching intervals merge.
        const double end = i + 1 < snapshots.size() ? snapshots[i + 1].trace_s / unit_s : t;
        if (!lines.dead.empty() && lines.dead.back().second >= t) {
          lines.dead.back().second = end;
        } else {
          lines.dead.emplace_back(t, end);
        }
      }
    }
  }
  return all;
}

svg::Scale time_scale(const std::vector<GridSnapshot>& snapshots, double unit_s, const svg::Frame& frame) {
  return svg::Scale::linear(snapshots.front().trace_s / unit_s, snapshots.back().trace_s / unit_s,
                            frame.plot_left(), frame.plot_right());
}

std::string time_label(const TimeUnit& unit) { return fmt::format("trace time ({})", unit.name); }

std::string substation_chart(const std::string& id, const SubstationLines& lines,
                             const std::vector<GridSnapshot>& snapshots, const TimeUnit& unit) {
  const svg::Frame frame;
  const double y_end = svg::axis_end(lines.top_kw * 1.02, 4);
  svg::Chart chart(frame, time_scale(snapshots, unit.seconds, frame),
                   svg::Scale::linear(0, y_end, frame.plot_bottom(), frame.plot_top()));
  for (const auto& [from, to] : lines.dead) {
    chart.band("dead", from, to, fmt::format("{} dead (missed heartbeats)", id));
  }
  chart.y_axis(svg::round_ticks(0, y_end, 4), "kW");
  chart.x_axis(svg::round_ticks(chart.x().lo(), chart.x().hi(), 6), time_label(unit));
  chart.step("capacity", svg::keep_peaks(svg::changes_only(lines.capacity), report_max_points_per_line));
  const auto allocated = svg::keep_peaks(lines.allocated, report_max_points_per_line);
  chart.area("allocated", allocated);
  chart.line("allocated", allocated);
  chart.step("limit", svg::keep_peaks(svg::changes_only(lines.limit), report_max_points_per_line));

  const double last_limit = lines.limit.empty() ? 0 : lines.limit.back().y;
  return fmt::format(R"(<figure class="substation"><figcaption><b>{}</b> peak {:.1f} kW, limit at the end {:.1f} kW{}</figcaption>{}</figure>)",
                     svg::escape(id), lines.peak_kw, last_limit, lines.dead.empty() ? "" : ", dead for a while",
                     chart.svg(fmt::format(R"(data-chart="allocated" data-substation="{}")", svg::escape(id)),
                               fmt::format("allocated power of {} against its limit", id)));
}

}  // namespace

TimeUnit time_unit_for(double span_s) {
  if (span_s >= 3 * 3600) return {3600, "h"};
  if (span_s >= 3 * 60) return {60, "min"};
  return {1, "s"};
}

std::string no_data(const char* chart, const char* why) {
  return fmt::format(R"(<p class="no-data" data-chart="{}">No data: {}</p>)", chart, why);
}

std::string allocated_power(const std::vector<GridSnapshot>& snapshots) {
  std::string html = "<section><h2>Allocated power per substation</h2>";
  std::size_t total = 0;
  const auto ids = snapshots.empty() ? std::vector<std::string>{} : highest_peaks(snapshots, &total);
  if (ids.empty()) return html + no_data("allocated", "no grid snapshots were collected.") + "</section>";

  const TimeUnit unit = time_unit_for(snapshots.back().trace_s - snapshots.front().trace_s);
  html += R"(<p class="legend"><span class="swatch allocated"></span>allocated <span class="swatch limit"></span>limit )"
          R"(<span class="swatch capacity"></span>capacity <span class="swatch dead"></span>dead (the balancer saw no heartbeat)</p>)";
  if (total > ids.size()) {
    html += fmt::format(R"(<p class="note" data-note="capped">Showing {} of {} substations: those with the highest peak allocation.</p>)",
                        ids.size(), total);
  }
  html += R"(<div class="multiples">)";
  const auto lines = lines_of(ids, snapshots, unit.seconds);
  for (const auto& id : ids) html += substation_chart(id, lines.at(id), snapshots, unit);
  return html + "</div></section>";
}

std::string sessions(const std::vector<GridSnapshot>& snapshots) {
  std::string html = "<section><h2>Sessions over the grid</h2>";
  if (snapshots.empty()) return html + no_data("sessions", "no grid snapshots were collected.") + "</section>";

  const TimeUnit unit = time_unit_for(snapshots.back().trace_s - snapshots.front().trace_s);
  std::vector<Point> charging, paused;
  double top = 0;
  for (const auto& snapshot : snapshots) {
    std::size_t charging_now = 0, paused_now = 0;
    for (const auto& point : snapshot.substations) {
      charging_now += point.charging;
      paused_now += point.paused;
    }
    const double t = snapshot.trace_s / unit.seconds;
    charging.push_back({t, static_cast<double>(charging_now)});
    paused.push_back({t, static_cast<double>(paused_now)});
    top = std::max({top, charging.back().y, paused.back().y});
  }
  const svg::Frame frame{.width = 1140, .height = 240};
  // At least 4 on the axis, so the ticks stay whole sessions.
  const double y_end = svg::axis_end(std::max(top * 1.02, 4.0), 4);
  svg::Chart chart(frame, time_scale(snapshots, unit.seconds, frame),
                   svg::Scale::linear(0, y_end, frame.plot_bottom(), frame.plot_top()));
  chart.y_axis(svg::round_ticks(0, y_end, 4), "sessions");
  chart.x_axis(svg::round_ticks(chart.x().lo(), chart.x().hi(), 10), time_label(unit));
  const auto charging_line = svg::keep_peaks(charging, report_max_points_per_line);
  chart.area("charging", charging_line);
  chart.line("charging", charging_line);
  chart.line("paused", svg::keep_peaks(paused, report_max_points_per_line));
  html += R"(<p class="legend"><span class="swatch charging"></span>charging <span class="swatch paused"></span>paused (plugged in at 0 kW)</p>)";
  return html + chart.svg(R"(data-chart="sessions")", "sessions charging and paused over trace time") + "</section>";
}

}  // namespace grid::loadgen::report_sections
