#include "trace.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "grid/power/admission.h"
#include "grid/proto/codec.h"
#include "grid/proto/limits.h"

namespace grid::loadgen {
namespace {

enum class Column { arrival, departure, energy, max_power, min_power, priority, vehicle };

const std::map<std::string, Column, std::less<>>& known_columns() {
  static const std::map<std::string, Column, std::less<>> columns{
      {"arrival_s", Column::arrival},          {"departure_s", Column::departure},
      {"energy_kwh", Column::energy},          {"max_power_kw", Column::max_power},
      {"min_power_kw", Column::min_power},     {"priority", Column::priority},
      {"vehicle_id", Column::vehicle}};
  return columns;
}

constexpr Column required_columns[] = {Column::arrival, Column::departure, Column::energy, Column::max_power};

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

// Plain comma-separated fields: our traces have no quoted fields (ids are [A-Za-z0-9._-]).
std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const auto comma = line.find(',', start);
    fields.push_back(trim(line.substr(start, comma - start)));
    if (comma == std::string_view::npos) return fields;
    start = comma + 1;
  }
}

std::optional<double> number(std::string_view text) {
  double value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

class RowReader {
public:
  RowReader(const std::string& source, std::size_t line, const std::map<Column, std::size_t>& at,
            const std::vector<std::string_view>& fields)
      : source_(source), line_(line), at_(at), fields_(fields) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw TraceError(fmt::format("{}:{}: {}", source_, line_, what));
  }

  std::optional<std::string_view> text(Column column, std::string_view name) const {
    const auto found = at_.find(column);
    if (found == at_.end()) return std::nullopt;
    if (found->second >= fields_.size()) fail(fmt::format("no value for {} (the row has too few fields)", name));
    const auto value = fields_[found->second];
    if (value.empty()) return std::nullopt;  // an optional column left blank in this row
    return value;
  }

  std::optional<double> value(Column column, std::string_view name, double low, double high) const {
    const auto raw = text(column, name);
    if (!raw) return std::nullopt;
    const auto parsed = number(*raw);
    if (!parsed) fail(fmt::format("{} is not a number: '{:.40}'", name, *raw));
    if (*parsed < low || *parsed > high) fail(fmt::format("{} {:g} is outside [{:g}, {:g}]", name, *parsed, low, high));
    return parsed;
  }

  double required(Column column, std::string_view name, double low, double high) const {
    const auto parsed = value(column, name, low, high);
    if (!parsed) fail(fmt::format("{} is empty", name));
    return *parsed;
  }

private:
  const std::string& source_;
  std::size_t line_;
  const std::map<Column, std::size_t>& at_;
  const std::vector<std::string_view>& fields_;
};

TraceSession read_row(const RowReader& row, std::size_t line, std::size_t sessions_before) {
  namespace limits = proto::limits;
  TraceSession session;
  session.line = line;
  session.arrival_s = row.required(Column::arrival, "arrival_s", 0, limits::max_seconds);
  session.departure_s = row.required(Column::departure, "departure_s", 0, limits::max_seconds);
  session.energy_kwh = row.required(Column::energy, "energy_kwh", 0.001, limits::max_energy_kwh);
  session.max_power_kw = row.required(Column::max_power, "max_power_kw", power::min_session_kw, limits::max_power_kw);
  session.min_power_kw = row.value(Column::min_power, "min_power_kw", power::min_session_kw, limits::max_power_kw);
  if (const auto priority = row.value(Column::priority, "priority", 0, limits::max_priority)) {
    if (*priority != std::floor(*priority)) row.fail(fmt::format("priority {:g} is not an integer", *priority));
    session.priority = static_cast<std::uint32_t>(*priority);
  }
  if (session.departure_s <= session.arrival_s) {
    row.fail(fmt::format("departure_s {:g} is not after arrival_s {:g}", session.departure_s, session.arrival_s));
  }
  if (session.min_power_kw && *session.min_power_kw > session.max_power_kw) {
    row.fail(fmt::format("min_power_kw {:g} is above max_power_kw {:g}", *session.min_power_kw, session.max_power_kw));
  }
  if (const auto vehicle = row.text(Column::vehicle, "vehicle_id")) {
    if (!proto::valid_id(*vehicle)) row.fail(fmt::format("vehicle_id '{:.64}' is not a valid id", *vehicle));
    session.vehicle_id = std::string(*vehicle);
  } else {
    session.vehicle_id = fmt::format("EV-{}", sessions_before + 1);
  }
  return session;
}

}  // namespace

double Trace::end_s() const {
  double end = 0;
  for (const auto& session : sessions) end = std::max(end, session.departure_s);
  return end;
}

Trace read_trace(std::istream& in, const std::string& source) {
  Trace trace;
  trace.source = source;
  std::map<Column, std::size_t> at;  // column -> field index
  bool header_seen = false;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    const auto content = trim(line);
    if (content.empty() || content.front() == '#') continue;
    const auto fields = split(content);
    if (!header_seen) {
      header_seen = true;
      for (std::size_t i = 0; i < fields.size(); ++i) {
        const auto known = known_columns().find(fields[i]);
        if (known == known_columns().end()) continue;  // extra columns are ignored
        if (!at.emplace(known->second, i).second) {
          throw TraceError(fmt::format("{}:{}: column '{}' appears twice", source, number, fields[i]));
        }
      }
      for (const auto column : required_columns) {
        if (!at.contains(column)) {
          throw TraceError(fmt::format("{}:{}: the header needs arrival_s, departure_s, energy_kwh and max_power_kw",
                                       source, number));
        }
      }
      continue;
    }
    trace.sessions.push_back(read_row(RowReader(source, number, at, fields), number, trace.sessions.size()));
  }
  if (in.bad()) throw TraceError(fmt::format("{}: read error", source));
  if (!header_seen) throw TraceError(fmt::format("{}:1: no header (the file is empty)", source));
  if (trace.sessions.empty()) throw TraceError(fmt::format("{}: no session after the header", source));
  std::stable_sort(trace.sessions.begin(), trace.sessions.end(),
                   [](const TraceSession& a, const TraceSession& b) { return a.arrival_s < b.arrival_s; });
  return trace;
}

Trace load_trace(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw TraceError(fmt::format("{}: cannot open the trace", path));
  return read_trace(in, path);
}

}  // namespace grid::loadgen
