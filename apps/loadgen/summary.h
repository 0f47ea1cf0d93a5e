#pragma once
// What a load-generator run measured, and the summary made of it: outcome counts, throughput,
// latency percentiles, each substation's share of the sessions and the imbalance figure. The
// summary is a pure function of the tally, so the arithmetic is unit-tested without a grid.
// Thread-safety: plain values and pure functions.

#include <array>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace grid::loadgen {

// How one request ended, as the load generator sees it.
enum class RequestOutcome {
  charging,     // a substation admitted the session
  no_capacity,  // the grid said no (ZeroMQ no_capacity or busy, HTTP 503): an answer, not a fault
  timeout,      // no answer within --timeout-ms (or HTTP 504 from the edge)
  error,        // anything else: a failed send or connection, an unexpected status or body
};
inline constexpr std::size_t outcome_count = 4;
// "charging", "no capacity", "timeout", "error": the words of the printed summary.
const char* outcome_name(RequestOutcome outcome);
// "charging", "no_capacity", "timeout", "error": the keys of the JSON summary.
const char* outcome_key(RequestOutcome outcome);

// One --target's part of a run: requests sent there, and answers (any outcome) that came back.
struct TargetCount {
  std::size_t sent = 0;
  std::size_t answered = 0;
  bool operator==(const TargetCount&) const = default;
};

// Raw counts from a run, filled by a driver as answers arrive.
struct RunTally {
  std::size_t planned = 0;                          // --vehicles
  std::array<std::size_t, outcome_count> outcomes{};  // indexed by RequestOutcome
  std::vector<double> latencies_ms;                 // requests that got an answer, in any order
  std::map<std::string, std::size_t> sessions;      // charging requests per substation
  std::map<std::string, TargetCount> targets;       // per target (its text), filled by the driver
  double wall_s = 0;                                // first request sent to last one finished
  bool interrupted = false;                         // stopped by SIGINT/SIGTERM before the end

  void record(RequestOutcome outcome, std::optional<double> latency_ms, const std::string& substation = {});
  std::size_t finished() const;
};

struct LatencySummary {
  std::size_t answered = 0;
  double p50_ms = 0;
  double p90_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
};

struct SubstationShare {
  std::string id;
  std::size_t sessions = 0;
  double share = 0;                       // of all charging requests
  std::optional<double> capacity_kw;      // from --capacity
  double fair_share = 0;                  // capacity share, or 1/n without capacities
  double share_over_fair = 0;             // 1.00 = exactly its fair share
};

struct Summary {
  std::size_t planned = 0;
  std::size_t finished = 0;
  std::array<std::size_t, outcome_count> outcomes{};
  double wall_s = 0;
  // Answered requests (those with a latency) per second of wall time; 0 when none was answered.
  double throughput_rps = 0;
  std::optional<LatencySummary> latency;  // empty when nothing was answered
  std::vector<SubstationShare> substations;  // by id
  // Largest share over fair share; empty when no session was admitted. 1.00 = proportional.
  std::optional<double> imbalance;
  bool weighted_by_capacity = false;  // false when capacities were not given for every substation
  std::vector<std::string> missing_capacities;  // substations that got sessions but no --capacity
  std::map<std::string, TargetCount> targets;   // as tallied; printed when there are several
  bool interrupted = false;
};

// Nearest-rank percentile (p in (0, 100]) of unsorted values; 0 for none.
double percentile(std::vector<double> values, double p);

// `capacities` (substation id -> kW) weights the shares; substations listed there but given no
// session appear with a share of 0. When a substation with sessions has no capacity, every
// substation is weighted equally instead and the summary says which capacities were missing.
Summary summarize(const RunTally& tally, const std::map<std::string, double>& capacities);

// 0 when every planned request was answered charging or no capacity; 1 when any ended in a
// timeout or an error, or the run was interrupted before the end.
int exit_code(const Summary& summary);

// The summary as printed for people, with the target's description in its first line.
std::string format_summary(const Summary& summary, const std::string& description);

// The summary as JSON: {planned, finished, outcomes{charging, no_capacity, timeout, error},
// wall_s, throughput_rps, latency_ms{answered, p50, p90, p99, max} | null,
// substations{ID: {sessions, share, capacity_kw | null, fair_share, share_over_fair}},
// imbalance | null, weighted_by_capacity, missing_capacities[], targets{TARGET: {sent, answered}},
// interrupted, exit_code}.
nlohmann::json to_json(const Summary& summary);

}  // namespace grid::loadgen
