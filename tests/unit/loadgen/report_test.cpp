// The HTML run report: which charts and series it draws, what it escapes, how it copes with no
// data, one snapshot, hundreds of substations and thousands of snapshots, and that it reaches
// nothing outside itself. How it looks in a browser is checked by tests/render/.
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "report.h"
#include "svg_chart.h"

using namespace grid::loadgen;

namespace {

std::size_t count_of(const std::string& text, const std::string& part) {
  std::size_t count = 0;
  for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + part.size())) ++count;
  return count;
}

// The <svg> element of one chart, from its opening tag to its closing one.
std::string chart_of(const std::string& html, const std::string& opening_attributes) {
  const auto begin = html.find("<svg class=\"chart\" " + opening_attributes);
  if (begin == std::string::npos) return {};
  return html.substr(begin, html.find("</svg>", begin) - begin);
}

SubstationPoint point(std::string id, double allocated_kw, double limit_kw, bool live = true) {
  return {.id = std::move(id), .live = live, .allocated_kw = allocated_kw, .limit_kw = limit_kw,
          .capacity_kw = 500, .charging = 3, .paused = 1};
}

// Two substations over ten minutes, south dead for two snapshots in the middle.
RunReport small_run() {
  RunReport report;
  report.title = "Trace replay: workplace.csv";
  report.description = "ZeroMQ to tcp://127.0.0.1:5555, time scale 60";
  for (int i = 0; i < 11; ++i) {
    GridSnapshot snapshot{.trace_s = 60.0 * i, .substations = {}};
    snapshot.substations.push_back(point("north", 100.0 + 10 * i, 400));
    snapshot.substations.push_back(point("south", 50, 300, i != 4 && i != 5));
    report.snapshots.push_back(snapshot);
  }
  report.latencies_ms = {0.8, 1.2, 1.5, 2.0, 3.1, 4.4, 9.0, 40.0};
  report.spread = {{.id = "north", .session_share = 0.6, .energy_share = 0.55, .fair_share = 0.5},
                   {.id = "south", .session_share = 0.4, .energy_share = 0.45, .fair_share = 0.5}};
  report.summary_rows = {{"planned", "120"}, {"charging", "101"}, {"p99 latency", "40.0 ms"}};
  return report;
}

}  // namespace

TEST_CASE("each substation gets an allocated chart with allocated, limit and capacity series") {
  const std::string html = render_report(small_run());
  for (const std::string id : {"north", "south"}) {
    CAPTURE(id);
    const std::string chart = chart_of(html, "data-chart=\"allocated\" data-substation=\"" + id + "\"");
    REQUIRE_FALSE(chart.empty());
    CHECK(count_of(chart, "data-series=\"allocated\"") >= 1);
    CHECK(count_of(chart, "data-series=\"limit\"") == 1);
    CHECK(count_of(chart, "data-series=\"capacity\"") == 1);
    CHECK(count_of(chart, "data-axis=\"x\"") == 1);
    CHECK(count_of(chart, "data-axis=\"y\"") == 1);
  }
  CHECK(html.find("trace time (min)") != std::string::npos);  // ten minutes of trace
}

TEST_CASE("a dead period is shaded on its own substation's chart only") {
  const std::string html = render_report(small_run());
  CHECK(count_of(chart_of(html, "data-chart=\"allocated\" data-substation=\"south\""), "data-series=\"dead\"") == 1);
  CHECK(count_of(chart_of(html, "data-chart=\"allocated\" data-substation=\"north\""), "data-series=\"dead\"") == 0);
}

TEST_CASE("the sessions, latency and spread charts draw their series") {
  const std::string html = render_report(small_run());
  const std::string sessions = chart_of(html, "data-chart=\"sessions\"");
  CHECK(sessions.find("data-series=\"charging\"") != std::string::npos);
  CHECK(sessions.find("data-series=\"paused\"") != std::string::npos);
  const std::string latency = chart_of(html, "data-chart=\"latency\"");
  CHECK(count_of(latency, "data-series=\"latency\"") >= 3);
  CHECK(count_of(latency, "data-series=\"p50\"") == 1);
  CHECK(count_of(latency, "data-series=\"p99\"") == 1);
  const std::string spread = chart_of(html, "data-chart=\"spread\"");
  CHECK(count_of(spread, "data-series=\"sessions\"") == 2);
  CHECK(count_of(spread, "data-series=\"energy\"") == 2);
  CHECK(count_of(spread, "data-series=\"fair\"") == 2);
  CHECK(count_of(html, "<tr><th>") == 3);
  CHECK(html.find("<th>p99 latency</th><td>40.0 ms</td>") != std::string::npos);
}

TEST_CASE("the time axis is in hours for a long trace and in seconds for a short one") {
  RunReport report = small_run();
  for (std::size_t i = 0; i < report.snapshots.size(); ++i) report.snapshots[i].trace_s = 3600.0 * static_cast<double>(i);
  CHECK(render_report(report).find("trace time (h)") != std::string::npos);
  for (std::size_t i = 0; i < report.snapshots.size(); ++i) report.snapshots[i].trace_s = 5.0 * static_cast<double>(i);
  CHECK(render_report(report).find("trace time (s)") != std::string::npos);
}

TEST_CASE("substation ids, the title, the description and summary rows are escaped") {
  RunReport report = small_run();
  report.title = "<b>run</b>";
  report.description = "trace \"a&b\" <script>alert(1)</script>";
  report.snapshots[0].substations[0].id = "<img src=x>";
  report.spread[0].id = "o'neil\"";
  report.summary_rows.emplace_back("<i>", "1 & 2");
  const std::string html = render_report(report);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("<img") == std::string::npos);
  CHECK(html.find("<b>run</b>") == std::string::npos);
  CHECK(html.find("&lt;b&gt;run&lt;/b&gt;") != std::string::npos);
  CHECK(html.find("trace &quot;a&amp;b&quot; &lt;script&gt;") != std::string::npos);
  CHECK(html.find("data-substation=\"&lt;img src=x&gt;\"") != std::string::npos);
  CHECK(html.find("o&#39;neil&quot;") != std::string::npos);
  CHECK(html.find("<th>&lt;i&gt;</th><td>1 &amp; 2</td>") != std::string::npos);
}

TEST_CASE("a long substation id is shortened in the spread chart without splitting a UTF-8 character") {
  RunReport report = small_run();
  report.spread[0].id = "Umspannwerk-\xc3\xbc-nord";  // the 2-byte ü straddles the 13-byte cut
  const std::string spread = chart_of(render_report(report), "data-chart=\"spread\"");
  CHECK(spread.find(">Umspannwerk-~</text>") != std::string::npos);
  CHECK(spread.find("Umspannwerk-\xc3\xbc-nord: ") != std::string::npos);  // whole in the tooltip
}

TEST_CASE("an empty run renders no-data notes instead of charts") {
  const std::string html = render_report(RunReport{});
  CHECK(html.find("<svg") == std::string::npos);
  for (const std::string chart : {"summary", "allocated", "sessions", "latency", "spread"}) {
    CAPTURE(chart);
    CHECK(html.find("<p class=\"no-data\" data-chart=\"" + chart + "\">") != std::string::npos);
  }
  CHECK(html.find("data-report-end") != std::string::npos);
}

TEST_CASE("a single snapshot still draws each series, as dots where a line has one point") {
  RunReport report = small_run();
  report.snapshots.resize(1);
  report.latencies_ms = {5};
  const std::string html = render_report(report);
  const std::string north = chart_of(html, "data-chart=\"allocated\" data-substation=\"north\"");
  CHECK(north.find("<circle class=\"dot allocated\"") != std::string::npos);
  CHECK(north.find("data-series=\"limit\"") != std::string::npos);
  CHECK(chart_of(html, "data-chart=\"sessions\"").find("<circle class=\"dot charging\"") != std::string::npos);
  CHECK(count_of(chart_of(html, "data-chart=\"latency\""), "data-series=\"latency\"") == 1);
  CHECK(html.find("nan") == std::string::npos);
  CHECK(html.find("inf") == std::string::npos);
}

TEST_CASE("hundreds of substations are capped to the highest peaks and the page says so") {
  RunReport report;
  GridSnapshot snapshot;
  for (int i = 0; i < 300; ++i) snapshot.substations.push_back(point("sub-" + std::to_string(i), i, 400));
  report.snapshots = {snapshot, snapshot};
  for (int i = 0; i < 300; ++i) report.spread.push_back({.id = "sub-" + std::to_string(i), .session_share = i / 45000.0,
                                                          .energy_share = 0, .fair_share = 1 / 300.0});
  const std::string html = render_report(report);
  CHECK(count_of(html, "data-chart=\"allocated\" data-substation=") == report_max_substation_charts);
  CHECK(html.find("data-substation=\"sub-299\"") != std::string::npos);  // the highest peak
  CHECK(html.find("data-substation=\"sub-288\"") != std::string::npos);  // the twelfth
  CHECK(html.find("data-substation=\"sub-287\"") == std::string::npos);
  CHECK(html.find("Showing 12 of 300 substations") != std::string::npos);
  CHECK(count_of(chart_of(html, "data-chart=\"spread\""), "data-series=\"fair\"") == report_max_spread_rows);
  CHECK(html.find("Showing 30 of 300 substations") != std::string::npos);
}

TEST_CASE("thousands of snapshots are thinned and the peak survives") {
  RunReport report;
  for (int i = 0; i < 20000; ++i) {
    // 100 kW throughout, one snapshot at 777 kW: the peak a thinning by averaging would hide.
    report.snapshots.push_back({.trace_s = 0.5 * i, .substations = {point("north", i == 12345 ? 777 : 100, 800)}});
  }
  const std::string chart = chart_of(render_report(report), "data-chart=\"allocated\" data-substation=\"north\"");
  const auto line_at = chart.find("<path class=\"line allocated\"");
  REQUIRE(line_at != std::string::npos);
  const std::string line = chart.substr(line_at, chart.find("/>", line_at) - line_at);
  CHECK(count_of(line, "L") + 1 <= report_max_points_per_line);
  CHECK(count_of(line, "L") + 1 >= report_max_points_per_line / 2);
  // The 800 kW limit with 2% headroom puts the axis at 0..1000 kW, drawn from y 180 (bottom) to
  // y 14 (top): 777 kW is at 180 - 0.777 * 166 = 51.0, 100 kW at 163.4.
  CHECK(line.find(",51.0") != std::string::npos);
  CHECK(chart.size() < 40000);
  CHECK(render_report(report).find("peak 777.0 kW") != std::string::npos);
}

TEST_CASE("the page reaches nothing outside itself") {
  const std::string html = render_report(small_run());
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  for (const std::string outside : {"http://", "https://", "<script", "url(", "src=", "href=", "@import", "<link"}) {
    CAPTURE(outside);
    CHECK(html.find(outside) == std::string::npos);
  }
}

TEST_CASE("write_report writes the page and says false when it cannot") {
  const auto path = std::filesystem::temp_directory_path() / ("grid-report-test-" + std::to_string(::getpid()) + ".html");
  REQUIRE(write_report(path.string(), small_run()));
  std::ifstream in(path);
  std::stringstream written;
  written << in.rdbuf();
  CHECK(written.str() == render_report(small_run()));
  std::filesystem::remove(path);
  CHECK_FALSE(write_report("/nonexistent-directory/report.html", small_run()));
}

TEST_CASE("svg helpers: round ticks, log ticks, peak-keeping thinning and escaping") {
  const auto ticks = svg::round_ticks(0, 500, 4);
  REQUIRE(ticks.size() == 6);
  CHECK(ticks[1].label == "100");
  CHECK(ticks.back().value == 500);
  CHECK(svg::round_ticks(0, 1.5, 3)[1].label == "0.5");
  CHECK(svg::axis_end(412, 4) == 500);
  CHECK(svg::axis_end(0, 4) == 1);
  const auto decades = svg::decade_ticks(0.1, 1000);
  REQUIRE(decades.size() == 5);
  CHECK(decades.front().label == "0.1");
  CHECK(svg::decade_ticks(2, 30).size() == 4);  // 2, 5, 10, 20
  std::vector<svg::Point> points;
  for (int i = 0; i < 1000; ++i) points.push_back({static_cast<double>(i), i == 500 ? -5.0 : (i == 501 ? 9.0 : 1.0)});
  const auto kept = svg::keep_peaks(points, 100);
  CHECK(kept.size() <= 100);
  CHECK(std::count_if(kept.begin(), kept.end(), [](const svg::Point& p) { return p.y == 9.0; }) == 1);
  CHECK(std::count_if(kept.begin(), kept.end(), [](const svg::Point& p) { return p.y == -5.0; }) == 1);
  CHECK(std::is_sorted(kept.begin(), kept.end(), [](const svg::Point& a, const svg::Point& b) { return a.x < b.x; }));
  CHECK(svg::changes_only({{0, 1}, {1, 1}, {2, 1}, {3, 2}, {4, 2}}).size() == 3);
  CHECK(svg::escape("a<b>&\"'") == "a&lt;b&gt;&amp;&quot;&#39;");
}
