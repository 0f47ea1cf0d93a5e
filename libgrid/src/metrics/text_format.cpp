#include "grid/metrics/text_format.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <system_error>

namespace grid::metrics {
namespace {

void append_escaped(std::string& out, const std::string& text, bool escape_quote) {
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (escape_quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

// `extra` is the histogram's le label; it goes last, after the series' own sorted labels.
void append_labels(std::string& out, const Labels& labels, const std::string* le) {
  if (labels.empty() && le == nullptr) {
    return;
  }
  out += '{';
  bool first = true;
  for (const auto& [name, value] : labels) {
    out += first ? "" : ",";
    first = false;
    out += name;
    out += "=\"";
    append_escaped(out, value, true);
    out += '"';
  }
  if (le != nullptr) {
    out += first ? "le=\"" : ",le=\"";
    out += *le;
    out += '"';
  }
  out += '}';
}

void append_sample(std::string& out, const std::string& name, const char* suffix, const Labels& labels,
                   const std::string* le, const std::string& value) {
  out += name;
  out += suffix;
  append_labels(out, labels, le);
  out += ' ';
  out += value;
  out += '\n';
}

std::string format_count(std::uint64_t n) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, n);
  return std::string(buffer, result.ptr);
}

void append_histogram(std::string& out, const std::string& name, const SeriesSnapshot& series) {
  const auto& h = series.histogram;
  for (std::size_t i = 0; i < h.cumulative_counts.size(); ++i) {
    const std::string le = i < h.upper_bounds.size() ? format_value(h.upper_bounds[i]) : "+Inf";
    append_sample(out, name, "_bucket", series.labels, &le, format_count(h.cumulative_counts[i]));
  }
  append_sample(out, name, "_sum", series.labels, nullptr, format_value(h.sum));
  append_sample(out, name, "_count", series.labels, nullptr, format_count(h.count));
}

}  // namespace

std::string format_value(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  char buffer[64];
  std::to_chars_result result{};
  // Whole numbers below 2^53 print as integers: counters read "1000000", not "1e+06".
  if (std::fabs(v) < 9007199254740992.0 && v == std::trunc(v)) {
    result = std::to_chars(buffer, buffer + sizeof buffer, static_cast<std::int64_t>(v));
  } else {
    // The shortest text that reads back as the same double; never depends on the locale.
    result = std::to_chars(buffer, buffer + sizeof buffer, v);
  }
  return std::string(buffer, result.ptr);
}

std::string serialize_text(const std::vector<FamilySnapshot>& families) {
  std::string out;
  for (const auto& family : families) {
    // A family without series has nothing to say; the Go client leaves it out too.
    if (family.series.empty()) {
      continue;
    }
    out += "# HELP ";
    out += family.name;
    out += ' ';
    append_escaped(out, family.help, false);
    out += "\n# TYPE ";
    out += family.name;
    out += ' ';
    out += to_string(family.type);
    out += '\n';
    for (const auto& series : family.series) {
      if (family.type == MetricType::histogram) {
        append_histogram(out, family.name, series);
      } else {
        append_sample(out, family.name, "", series.labels, nullptr, format_value(series.value));
      }
    }
  }
  return out;
}

}  // namespace grid::metrics
