#include "svg_chart.h"

#include <algorithm>
#include <cmath>

#include <spdlog/fmt/fmt.h>

namespace grid::loadgen::svg {
namespace {

// One decimal of a pixel is finer than any screen needs and keeps the page small.
std::string px(double value) { return fmt::format("{:.1f}", value); }

// 1, 2 or 5 times a power of ten, close to span / count.
double round_step(double span, int count) {
  const double raw = span / std::max(count, 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double norm = raw / magnitude;
  if (norm < 1.5) return magnitude;
  if (norm < 3.5) return 2 * magnitude;
  if (norm < 7.5) return 5 * magnitude;
  return 10 * magnitude;
}

std::string number_label(double value, double step) {
  const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  return fmt::format("{:.{}f}", value, decimals);
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

Scale::Scale(double lo, double hi, double px_lo, double px_hi, bool log)
    : lo_(lo), hi_(hi), px_lo_(px_lo), px_hi_(px_hi), log_(log) {}

Scale Scale::linear(double lo, double hi, double px_lo, double px_hi) {
  // An empty interval (one snapshot, all values equal) still needs a width to divide by.
  if (!(hi > lo)) hi = lo + 1;
  return Scale(lo, hi, px_lo, px_hi, false);
}

Scale Scale::log10(double lo, double hi, double px_lo, double px_hi) {
  if (!(hi > lo)) hi = lo * 10;
  return Scale(lo, hi, px_lo, px_hi, true);
}

double Scale::operator()(double value) const {
  double share = 0;
  if (log_) {
    share = value > 0 ? (std::log10(value) - std::log10(lo_)) / (std::log10(hi_) - std::log10(lo_)) : 0;
  } else {
    share = (value - lo_) / (hi_ - lo_);
  }
  return px_lo_ + share * (px_hi_ - px_lo_);
}

std::vector<Tick> round_ticks(double lo, double hi, int count) {
  if (!(hi > lo)) return {{lo, number_label(lo, 1)}};
  const double step = round_step(hi - lo, count);
  std::vector<Tick> ticks;
  for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; ++k) {
    const double value = std::abs(k) < 0.5 ? 0.0 : k * step;  // never "-0"
    ticks.push_back({value, number_label(value, step)});
  }
  return ticks;
}

double axis_end(double value, int count) {
  if (!(value > 0)) return 1;
  const double step = round_step(value, count);
  return std::ceil(value / step - 1e-9) * step;
}

std::vector<Tick> decade_ticks(double lo, double hi) {
  std::vector<Tick> decades;
  std::vector<Tick> one_two_five;
  for (int k = static_cast<int>(std::floor(std::log10(lo))); k <= static_cast<int>(std::ceil(std::log10(hi))); ++k) {
    for (const double mantissa : {1.0, 2.0, 5.0}) {
      const double value = mantissa * std::pow(10.0, k);
      if (value < lo * (1 - 1e-9) || value > hi * (1 + 1e-9)) continue;
      const Tick tick{value, fmt::format("{:g}", value)};
      one_two_five.push_back(tick);
      if (mantissa == 1.0) decades.push_back(tick);
    }
  }
  // A range of less than two decades reads better with 2 and 5 marked too.
  return decades.size() >= 2 ? decades : one_two_five;
}

std::vector<Point> keep_peaks(const std::vector<Point>& points, std::size_t max_points) {
  max_points = std::max<std::size_t>(max_points, 4);
  if (points.size() <= max_points) return points;
  const std::size_t buckets = max_points / 2;
  std::vector<Point> kept;
  kept.reserve(max_points);
  for (std::size_t b = 0; b < buckets; ++b) {
    const std::size_t begin = b * points.size() / buckets;
    const std::size_t end = (b + 1) * points.size() / buckets;
    std::size_t low = begin;
    std::size_t high = begin;
    for (std::size_t i = begin; i < end; ++i) {
      if (points[i].y < points[low].y) low = i;
      if (points[i].y > points[high].y) high = i;
    }
    kept.push_back(points[std::min(low, high)]);
    if (low != high) kept.push_back(points[std::max(low, high)]);
  }
  return kept;
}

std::vector<Point> changes_only(const std::vector<Point>& points) {
  std::vector<Point> kept;
  for (std::size_t i = 0; i < points.size(); ++i) {
    if (i == 0 || i + 1 == points.size() || points[i].y != points[i - 1].y) kept.push_back(points[i]);
  }
  return kept;
}

Chart::Chart(Frame frame, Scale x, Scale y) : frame_(frame), x_(x), y_(y) {}

void Chart::x_axis(const std::vector<Tick>& ticks, std::string_view label) {
  const double base = frame_.plot_bottom();
  body_ += fmt::format(R"(<g class="axis" data-axis="x"><line x1="{}" y1="{}" x2="{}" y2="{}"/>)",
                       px(frame_.plot_left()), px(base), px(frame_.plot_right()), px(base));
  for (const auto& tick : ticks) {
    const double at = x_(tick.value);
    body_ += fmt::format(R"(<line x1="{0}" y1="{1}" x2="{0}" y2="{2}"/><text x="{0}" y="{3}" text-anchor="middle">{4}</text>)",
                         px(at), px(base), px(base + 4), px(base + 16), escape(tick.label));
  }
  body_ += fmt::format(R"(<text class="axis-label" x="{}" y="{}" text-anchor="middle">{}</text></g>)",
                       px((frame_.plot_left() + frame_.plot_right()) / 2), px(frame_.height - 6), escape(label));
}

void Chart::y_axis(const std::vector<Tick>& ticks, std::string_view label) {
  body_ += R"(<g class="axis" data-axis="y">)";
  for (const auto& tick : ticks) {
    const double at = y_(tick.value);
    body_ += fmt::format(R"(<line class="grid-line" x1="{0}" y1="{1}" x2="{2}" y2="{1}"/><text x="{3}" y="{4}" text-anchor="end">{5}</text>)",
                         px(frame_.plot_left()), px(at), px(frame_.plot_right()), px(frame_.plot_left() - 6),
                         px(at + 4), escape(tick.label));
  }
  const double middle = (frame_.plot_top() + frame_.plot_bottom()) / 2;
  body_ += fmt::format(R"svg(<text class="axis-label" x="14" y="{0}" text-anchor="middle" transform="rotate(-90 14 {0})">{1}</text></g>)svg",
                       px(middle), escape(label));
}

std::string Chart::path_of(const std::vector<Point>& points, bool stepped) const {
  std::string d;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const double x = x_(points[i].x);
    const double y = y_(points[i].y);
    if (i == 0) {
      d += fmt::format("M{},{}", px(x), px(y));
    } else if (stepped) {
      d += fmt::format("H{}V{}", px(x), px(y));
    } else {
      d += fmt::format("L{},{}", px(x), px(y));
    }
  }
  return d;
}

// A line through one point draws nothing; a dot shows the lone value.
void Chart::dot_if_single(std::string_view series, const std::vector<Point>& points) {
  if (points.size() != 1) return;
  body_ += fmt::format(R"(<circle class="dot {0}" data-series="{0}" cx="{1}" cy="{2}" r="3"/>)", series,
                       px(x_(points[0].x)), px(y_(points[0].y)));
}

void Chart::line(std::string_view series, const std::vector<Point>& points) {
  if (points.empty()) return;
  body_ += fmt::format(R"(<path class="line {0}" data-series="{0}" d="{1}"/>)", series, path_of(points, false));
  dot_if_single(series, points);
}

void Chart::step(std::string_view series, const std::vector<Point>& points) {
  if (points.empty()) return;
  // The last value holds to the end of the axis: a limit does not stop at the last snapshot.
  std::string d = path_of(points, true) + fmt::format("H{}", px(std::max(x_(points.back().x), frame_.plot_right())));
  body_ += fmt::format(R"(<path class="step {0}" data-series="{0}" d="{1}"/>)", series, d);
}

void Chart::area(std::string_view series, const std::vector<Point>& points) {
  if (points.empty()) return;
  const std::string d = path_of(points, false) + fmt::format("V{}H{}Z", px(y_(0)), px(x_(points.front().x)));
  body_ += fmt::format(R"(<path class="area {0}" data-series="{0}" d="{1}"/>)", series, d);
  dot_if_single(series, points);
}

void Chart::band(std::string_view series, double x0, double x1, std::string_view title) {
  const double left = x_(x0);
  const double width = std::max(x_(x1) - left, 2.0);
  body_ += fmt::format(R"(<rect class="band {0}" data-series="{0}" x="{1}" y="{2}" width="{3}" height="{4}"><title>{5}</title></rect>)",
                       series, px(left), px(frame_.plot_top()), px(width), px(frame_.plot_bottom() - frame_.plot_top()),
                       escape(title));
}

void Chart::bar(std::string_view series, double x0, double x1, double y0, double y1, std::string_view title) {
  const double left = std::min(x_(x0), x_(x1));
  const double top = std::min(y_(y0), y_(y1));
  const double width = std::abs(x_(x1) - x_(x0));
  const double height = std::abs(y_(y1) - y_(y0));
  body_ += fmt::format(R"(<rect class="bar {0}" data-series="{0}" x="{1}" y="{2}" width="{3}" height="{4}"><title>{5}</title></rect>)",
                       series, px(left), px(top), px(width), px(height), escape(title));
}

void Chart::rule(std::string_view series, double x, double y0, double y1, std::string_view title) {
  body_ += fmt::format(R"(<line class="rule {0}" data-series="{0}" x1="{1}" y1="{2}" x2="{1}" y2="{3}"><title>{4}</title></line>)",
                       series, px(x_(x)), px(y_(y0)), px(y_(y1)), escape(title));
}

void Chart::marker(std::string_view series, double x, std::string_view label, int row) {
  const double at = x_(x);
  body_ += fmt::format(
      R"(<g class="marker {0}" data-series="{0}"><line x1="{1}" y1="{2}" x2="{1}" y2="{3}"/><text x="{4}" y="{5}">{6}</text></g>)",
      series, px(at), px(frame_.plot_top()), px(frame_.plot_bottom()), px(at + 4), px(frame_.plot_top() + 10 + 13 * row),
      escape(label));
}

void Chart::label(double x_px, double y_px, std::string_view text, std::string_view css_class) {
  body_ += fmt::format(R"(<text class="{}" x="{}" y="{}">{}</text>)", css_class, px(x_px), px(y_px), escape(text));
}

std::string Chart::svg(std::string_view attributes, std::string_view aria_label) const {
  // No xmlns: inline SVG in HTML needs none, and the page then names no URL at all.
  return fmt::format(R"(<svg class="chart" {} viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}">{}</svg>)",
                     attributes, px(frame_.width), px(frame_.height), px(frame_.width), px(frame_.height),
                     escape(aria_label), body_);
}

}  // namespace grid::loadgen::svg
