#include "summary.h"

#include <algorithm>
#include <cmath>

#include <spdlog/fmt/fmt.h>

namespace grid::loadgen {
namespace {

std::size_t index_of(RequestOutcome outcome) { return static_cast<std::size_t>(outcome); }

constexpr std::array<RequestOutcome, outcome_count> all_outcomes{RequestOutcome::charging, RequestOutcome::no_capacity,
                                                                RequestOutcome::timeout, RequestOutcome::error};

// Each substation's share of the sessions next to its fair share: its share of the capacity when
// every capacity is known, else an equal split.
void add_shares(Summary& summary, const RunTally& tally, const std::map<std::string, double>& capacities) {
  std::map<std::string, std::size_t> sessions = tally.sessions;
  for (const auto& [id, kw] : capacities) sessions.emplace(id, 0);
  for (const auto& [id, count] : tally.sessions) {
    if (!capacities.contains(id)) summary.missing_capacities.push_back(id);
  }
  summary.weighted_by_capacity = !capacities.empty() && summary.missing_capacities.empty();
  double total_kw = 0;
  for (const auto& [id, kw] : capacities) total_kw += kw;
  const std::size_t charging = summary.outcomes[index_of(RequestOutcome::charging)];

  for (const auto& [id, count] : sessions) {
    SubstationShare row;
    row.id = id;
    row.sessions = count;
    row.share = charging > 0 ? static_cast<double>(count) / static_cast<double>(charging) : 0.0;
    if (const auto found = capacities.find(id); found != capacities.end()) row.capacity_kw = found->second;
    row.fair_share = summary.weighted_by_capacity ? *row.capacity_kw / total_kw : 1.0 / static_cast<double>(sessions.size());
    row.share_over_fair = row.share / row.fair_share;
    summary.substations.push_back(std::move(row));
  }
  if (charging > 0) {
    double largest = 0;
    for (const auto& row : summary.substations) largest = std::max(largest, row.share_over_fair);
    summary.imbalance = largest;
  }
}

}  // namespace

const char* outcome_name(RequestOutcome outcome) {
  switch (outcome) {
    case RequestOutcome::charging: return "charging";
    case RequestOutcome::no_capacity: return "no capacity";
    case RequestOutcome::timeout: return "timeout";
    case RequestOutcome::error: return "error";
  }
  return "error";
}

const char* outcome_key(RequestOutcome outcome) {
  return outcome == RequestOutcome::no_capacity ? "no_capacity" : outcome_name(outcome);
}

void RunTally::record(RequestOutcome outcome, std::optional<double> latency_ms, const std::string& substation) {
  ++outcomes[index_of(outcome)];
  if (latency_ms) latencies_ms.push_back(*latency_ms);
  if (outcome == RequestOutcome::charging) ++sessions[substation];
}

std::size_t RunTally::finished() const {
  std::size_t total = 0;
  for (const auto count : outcomes) total += count;
  return total;
}

double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  // Nearest rank: the smallest value with at least p% of the values at or below it.
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(values.size()) - 1e-9));
  const std::size_t index = std::clamp(rank, std::size_t{1}, values.size()) - 1;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(index), values.end());
  return values[index];
}

Summary summarize(const RunTally& tally, const std::map<std::string, double>& capacities) {
  Summary summary;
  summary.planned = tally.planned;
  summary.finished = tally.finished();
  summary.outcomes = tally.outcomes;
  summary.wall_s = tally.wall_s;
  // Answers per second: requests that failed at once (a dead target refuses in microseconds)
  // are not throughput, and would make a run that reached nothing look like the fastest one.
  const auto answered = tally.latencies_ms.size();
  summary.throughput_rps = answered > 0 && tally.wall_s > 0 ? static_cast<double>(answered) / tally.wall_s : 0.0;
  summary.interrupted = tally.interrupted;
  if (!tally.latencies_ms.empty()) {
    summary.latency = LatencySummary{.answered = tally.latencies_ms.size(),
                                     .p50_ms = percentile(tally.latencies_ms, 50),
                                     .p90_ms = percentile(tally.latencies_ms, 90),
                                     .p99_ms = percentile(tally.latencies_ms, 99),
                                     .max_ms = *std::max_element(tally.latencies_ms.begin(), tally.latencies_ms.end())};
  }
  add_shares(summary, tally, capacities);
  summary.targets = tally.targets;
  return summary;
}

int exit_code(const Summary& summary) {
  const bool failed = summary.outcomes[index_of(RequestOutcome::timeout)] > 0 ||
                      summary.outcomes[index_of(RequestOutcome::error)] > 0 || summary.interrupted;
  return failed ? 1 : 0;
}

std::string format_summary(const Summary& summary, const std::string& description) {
  std::string text = fmt::format("grid-loadgen: {}\n", description);
  if (summary.interrupted) {
    text += fmt::format("  INTERRUPTED after {} of {} requests\n", summary.finished, summary.planned);
  }
  text += "  outcomes     ";
  for (const auto outcome : all_outcomes) {
    text += fmt::format("{} {}   ", outcome_name(outcome), summary.outcomes[index_of(outcome)]);
  }
  text.resize(text.find_last_not_of(' ') + 1);
  text += fmt::format("\n  wall time    {:.3f} s\n", summary.wall_s);
  text += summary.latency ? fmt::format("  throughput   {:.1f} answered req/s\n", summary.throughput_rps)
                          : std::string("  throughput   none: no request was answered\n");
  if (summary.latency) {
    const auto& l = *summary.latency;
    text += fmt::format("  latency      p50 {:.2f} ms   p90 {:.2f} ms   p99 {:.2f} ms   max {:.2f} ms   ({} answered)\n",
                        l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms, l.answered);
  } else {
    text += "  latency      no request was answered\n";
  }
  if (!summary.substations.empty()) {
    const char* fair = summary.weighted_by_capacity ? "capacity share" : "equal share";
    text += fmt::format("  substation           sessions    share   {:>14}   share/{}\n", fair,
                        summary.weighted_by_capacity ? "capacity" : "equal");
    for (const auto& row : summary.substations) {
      const std::string capacity = row.capacity_kw ? fmt::format("{:g} kW", *row.capacity_kw) : "";
      text += fmt::format("    {:<18} {:>8}   {:>5.1f}%   {:>13.1f}%   {:.2f}   {}\n", row.id, row.sessions,
                          100.0 * row.share, 100.0 * row.fair_share, row.share_over_fair, capacity);
    }
  }
  if (summary.imbalance) {
    text += fmt::format("  imbalance    {:.2f} (largest share over its {}; 1.00 = proportional)\n", *summary.imbalance,
                        summary.weighted_by_capacity ? "capacity share" : "equal share");
  } else {
    text += "  imbalance    n/a (no session admitted)\n";
  }
  if (!summary.missing_capacities.empty()) {
    text += fmt::format("  note         no --capacity for {}: shares compared with an equal split\n",
                        fmt::join(summary.missing_capacities, ", "));
  }
  if (summary.targets.size() > 1) {
    text += "  target                              sent   answered\n";
    for (const auto& [target, count] : summary.targets) {
      text += fmt::format("    {:<30} {:>8}   {:>8}\n", target, count.sent, count.answered);
    }
  }
  return text;
}

nlohmann::json to_json(const Summary& summary) {
  nlohmann::json outcomes = nlohmann::json::object();
  for (const auto outcome : all_outcomes) outcomes[outcome_key(outcome)] = summary.outcomes[index_of(outcome)];
  nlohmann::json latency = nullptr;
  if (summary.latency) {
    const auto& l = *summary.latency;
    latency = {{"answered", l.answered}, {"p50", l.p50_ms}, {"p90", l.p90_ms}, {"p99", l.p99_ms}, {"max", l.max_ms}};
  }
  nlohmann::json substations = nlohmann::json::object();
  for (const auto& row : summary.substations) {
    substations[row.id] = {{"sessions", row.sessions},
                           {"share", row.share},
                           {"capacity_kw", row.capacity_kw ? nlohmann::json(*row.capacity_kw) : nlohmann::json(nullptr)},
                           {"fair_share", row.fair_share},
                           {"share_over_fair", row.share_over_fair}};
  }
  nlohmann::json targets = nlohmann::json::object();
  for (const auto& [target, count] : summary.targets) {
    targets[target] = {{"sent", count.sent}, {"answered", count.answered}};
  }
  return {{"planned", summary.planned},
          {"finished", summary.finished},
          {"outcomes", outcomes},
          {"wall_s", summary.wall_s},
          {"throughput_rps", summary.throughput_rps},
          {"latency_ms", latency},
          {"substations", substations},
          {"imbalance", summary.imbalance ? nlohmann::json(*summary.imbalance) : nlohmann::json(nullptr)},
          {"weighted_by_capacity", summary.weighted_by_capacity},
          {"missing_capacities", summary.missing_capacities},
          {"targets", targets},
          {"interrupted", summary.interrupted},
          {"exit_code", exit_code(summary)}};
}

}  // namespace grid::loadgen
