#pragma once
// A charging day (or month) to replay: one row per session, read from CSV with the header
//   arrival_s,departure_s,energy_kwh,max_power_kw[,min_power_kw][,priority][,vehicle_id]
// in any column order; other columns are ignored. Times are seconds from the trace's start.
// Every row is checked as the edge would check the request it becomes, so a bad trace fails at
// load with the line named, never half-way through a replay. Thread-safety: pure functions.

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace grid::loadgen {

struct TraceSession {
  double arrival_s = 0;
  double departure_s = 0;
  double energy_kwh = 0;
  double max_power_kw = 0;
  std::optional<double> min_power_kw;  // empty: the substation's default minimum
  std::optional<std::uint32_t> priority;
  std::string vehicle_id;  // from the trace, or "EV-<row>" when it has none
  std::size_t line = 0;    // in the file, for messages

  double stay_s() const { return departure_s - arrival_s; }
};

// Sessions in arrival order (rows with the same arrival keep the file's order).
struct Trace {
  std::string source;  // file name, for messages and the report
  std::vector<TraceSession> sessions;
  double end_s() const;  // the last departure; 0 for an empty trace
};

// "SOURCE:LINE: what is wrong" (LINE 1 is the header).
class TraceError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// Throws TraceError on a missing required column, a malformed or out-of-range value, a departure
// not after its arrival, a minimum above the maximum, or no session at all. Blank lines and lines
// starting with '#' are skipped; CRLF line ends are accepted.
Trace read_trace(std::istream& in, const std::string& source);
Trace load_trace(const std::string& path);  // also throws TraceError when the file cannot be read

}  // namespace grid::loadgen
