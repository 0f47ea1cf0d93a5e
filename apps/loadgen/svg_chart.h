#pragma once
// A small SVG plotting helper for the run report: scales from data to pixels, ticks at round
// numbers, axes, and line, step, area and bar marks. Every mark carries a data-series attribute
// so tests (and a person with the browser's inspector) can find a series by name. Colours come
// from CSS classes that the page's inline style defines, so a chart is only geometry.
// Numbers are written with fmt, which ignores the C++ locale: a decimal comma never reaches SVG.
// Thread-safety: plain values; a Chart is used by one thread.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace grid::loadgen::svg {

// Text for HTML and SVG, safe both between tags and inside quoted attribute values.
std::string escape(std::string_view text);

struct Point {
  double x = 0;
  double y = 0;
};

// Maps a data interval onto a pixel interval, linearly or by log10 (the latency axis).
class Scale {
 public:
  static Scale linear(double lo, double hi, double px_lo, double px_hi);
  // lo and hi must be positive; values at or below zero map to px_lo.
  static Scale log10(double lo, double hi, double px_lo, double px_hi);

  double operator()(double value) const;
  double lo() const { return lo_; }
  double hi() const { return hi_; }

 private:
  Scale(double lo, double hi, double px_lo, double px_hi, bool log);
  double lo_, hi_, px_lo_, px_hi_;
  bool log_;
};

struct Tick {
  double value = 0;
  std::string label;
};

// About `count` ticks at 1, 2 or 5 times a power of ten inside [lo, hi], labelled with as few
// decimals as the step needs. An empty or reversed interval gives one tick at lo.
std::vector<Tick> round_ticks(double lo, double hi, int count);
// The end of an axis from 0 that holds `value` and ends on one of round_ticks(0, end, count):
// a y axis whose top line is labelled. 1 for values at or below zero.
double axis_end(double value, int count);
// Ticks at each power of ten inside [lo, hi] (lo > 0), for a log axis.
std::vector<Tick> decade_ticks(double lo, double hi);

// Thins a line to at most `max_points` (at least 4) by keeping the lowest and the highest point
// of each of max_points / 2 buckets, in x order: a peak or a dip is never hidden by the thinning.
std::vector<Point> keep_peaks(const std::vector<Point>& points, std::size_t max_points);
// Keeps the first point, the last, and each point whose y differs from the one before: a step
// line (a limit that changes now and then) loses nothing by it.
std::vector<Point> changes_only(const std::vector<Point>& points);

// Pixel size of a chart and the margins its axes are drawn in.
struct Frame {
  double width = 560;
  double height = 220;
  double left = 56;
  double right = 16;
  double top = 14;
  double bottom = 40;
  double plot_left() const { return left; }
  double plot_right() const { return width - right; }
  double plot_top() const { return top; }
  double plot_bottom() const { return height - bottom; }
};

// One chart: marks are added in drawing order, then svg() wraps them in an <svg class="chart">.
// Points go through the x and y scales; series names and CSS classes are written as given
// (callers pass fixed words), titles are escaped.
class Chart {
 public:
  Chart(Frame frame, Scale x, Scale y);

  const Frame& frame() const { return frame_; }
  const Scale& x() const { return x_; }
  const Scale& y() const { return y_; }

  void x_axis(const std::vector<Tick>& ticks, std::string_view label);
  void y_axis(const std::vector<Tick>& ticks, std::string_view label);
  void line(std::string_view series, const std::vector<Point>& points);
  // Holds each value until the next point's x, then jumps: how a limit behaves.
  void step(std::string_view series, const std::vector<Point>& points);
  // The line filled down to y = 0.
  void area(std::string_view series, const std::vector<Point>& points);
  // A shaded vertical band from x0 to x1 (at least 2 px wide, so an instant stays visible).
  void band(std::string_view series, double x0, double x1, std::string_view title);
  // A rectangle in data coordinates, for histogram and share bars.
  void bar(std::string_view series, double x0, double x1, double y0, double y1, std::string_view title);
  // A vertical rule in data coordinates from y0 to y1: a fair share against its bars.
  void rule(std::string_view series, double x, double y0, double y1, std::string_view title);
  // A vertical marker line at x with a short label at the top (p50, p99); `row` moves the label
  // down a line so two close markers do not write over each other.
  void marker(std::string_view series, double x, std::string_view label, int row);
  // A text label in pixels, for the names of bar rows.
  void label(double x_px, double y_px, std::string_view text, std::string_view css_class);

  // attributes: extra attributes of the <svg> element, e.g. `data-chart="allocated"`.
  std::string svg(std::string_view attributes, std::string_view aria_label) const;

 private:
  std::string path_of(const std::vector<Point>& points, bool stepped) const;
  void dot_if_single(std::string_view series, const std::vector<Point>& points);

  Frame frame_;
  Scale x_;
  Scale y_;
  std::string body_;
};

}  // namespace grid::loadgen::svg
