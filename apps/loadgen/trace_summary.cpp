#include "trace_summary.h"

#include <algorithm>

#include <fmt/format.h>

namespace grid::loadgen {
namespace {

double ratio(double part, double whole) { return whole > 0 ? part / whole : 0; }

void add_snapshots(const std::vector<GridSnapshot>& snapshots, TraceSummary& summary,
                   std::map<std::string, SubstationTraceShare>& by_id) {
  for (const auto& snapshot : snapshots) {
    double grid_kw = 0;
    for (const auto& point : snapshot.substations) {
      auto& share = by_id[point.id];
      share.id = point.id;
      share.peak_kw = std::max(share.peak_kw, point.allocated_kw);
      share.capacity_kw = point.capacity_kw;
      grid_kw += point.allocated_kw;
      if (point.allocated_kw > point.limit_kw + violation_tolerance_kw) ++summary.limit_violations;
    }
    summary.grid_peak_kw = std::max(summary.grid_peak_kw, grid_kw);
  }
  summary.snapshots = snapshots.size();
}

}  // namespace

TraceSummary summarize_trace(const TraceTally& tally) {
  TraceSummary summary;
  std::map<std::string, SubstationTraceShare> by_id;
  double requested_by_admitted = 0;
  summary.sessions = tally.sessions.size();
  for (const auto& fate : tally.sessions) {
    summary.requested_kwh += fate.requested_kwh;
    switch (fate.admission) {
      case SessionFate::Admission::refused: ++summary.refused; continue;
      case SessionFate::Admission::failed:
      case SessionFate::Admission::not_sent: ++summary.failed; continue;
      case SessionFate::Admission::admitted: break;
    }
    ++summary.admitted;
    requested_by_admitted += fate.requested_kwh;
    auto& share = by_id[fate.substation];
    share.id = fate.substation;
    ++share.sessions;
    if (!fate.delivered_kwh) {
      ++summary.unsettled;
      continue;
    }
    summary.delivered_kwh += *fate.delivered_kwh;
    share.delivered_kwh += *fate.delivered_kwh;
    if (*fate.delivered_kwh >= demand_met_fraction * fate.requested_kwh) ++summary.demand_met;
  }
  summary.delivered_share = ratio(summary.delivered_kwh, summary.requested_kwh);
  summary.delivered_share_admitted = ratio(summary.delivered_kwh, requested_by_admitted);
  summary.demand_met_share = ratio(static_cast<double>(summary.demand_met), static_cast<double>(summary.sessions));
  summary.max_arrival_lag_ms = tally.max_arrival_lag_ms;
  add_snapshots(tally.snapshots, summary, by_id);
  for (auto& [id, share] : by_id) {
    share.session_share = ratio(static_cast<double>(share.sessions), static_cast<double>(summary.admitted));
    share.energy_share = ratio(share.delivered_kwh, summary.delivered_kwh);
    summary.substations.push_back(share);
  }
  return summary;
}

std::vector<std::pair<std::string, std::string>> summary_rows(const TraceSummary& s) {
  return {
      {"Sessions in the trace", fmt::format("{}", s.sessions)},
      {"Admitted / refused / failed", fmt::format("{} / {} / {}", s.admitted, s.refused, s.failed)},
      {"Energy requested", fmt::format("{:.1f} kWh", s.requested_kwh)},
      {"Energy delivered", fmt::format("{:.1f} kWh ({:.1f}% of requested, {:.1f}% of admitted sessions' request)",
                                       s.delivered_kwh, 100 * s.delivered_share, 100 * s.delivered_share_admitted)},
      {"Demand met (left with >= 99%)", fmt::format("{} sessions ({:.1f}%)", s.demand_met, 100 * s.demand_met_share)},
      {"Peak allocated, grid", fmt::format("{:.1f} kW", s.grid_peak_kw)},
      {"Limit violations seen", fmt::format("{} in {} snapshots", s.limit_violations, s.snapshots)},
      {"Final energy unknown", fmt::format("{} sessions", s.unsettled)},
      {"Latest request vs trace time", fmt::format("{:.0f} ms", s.max_arrival_lag_ms)},
  };
}

std::string format_trace_summary(const TraceSummary& s) {
  std::string text = "trace replay:\n";
  for (const auto& [label, value] : summary_rows(s)) text += fmt::format("  {:<32}{}\n", label + ":", value);
  if (!s.substations.empty()) {
    text += fmt::format("  {:<16}{:>9}{:>8}{:>13}{:>8}{:>11}{:>11}\n", "substation", "sessions", "share", "energy kWh",
                        "share", "peak kW", "capacity");
    for (const auto& sub : s.substations) {
      text += fmt::format("  {:<16}{:>9}{:>7.1f}%{:>13.1f}{:>7.1f}%{:>11.1f}{:>11.1f}\n", sub.id, sub.sessions,
                          100 * sub.session_share, sub.delivered_kwh, 100 * sub.energy_share, sub.peak_kw,
                          sub.capacity_kw);
    }
  }
  return text;
}

nlohmann::json to_json(const TraceSummary& s) {
  nlohmann::json substations = nlohmann::json::object();
  for (const auto& sub : s.substations) {
    substations[sub.id] = {{"sessions", sub.sessions},         {"session_share", sub.session_share},
                           {"delivered_kwh", sub.delivered_kwh}, {"energy_share", sub.energy_share},
                           {"peak_kw", sub.peak_kw},           {"capacity_kw", sub.capacity_kw}};
  }
  return {{"sessions", s.sessions},
          {"admitted", s.admitted},
          {"refused", s.refused},
          {"failed", s.failed},
          {"unsettled", s.unsettled},
          {"requested_kwh", s.requested_kwh},
          {"delivered_kwh", s.delivered_kwh},
          {"delivered_share", s.delivered_share},
          {"delivered_share_admitted", s.delivered_share_admitted},
          {"demand_met", s.demand_met},
          {"demand_met_share", s.demand_met_share},
          {"grid_peak_kw", s.grid_peak_kw},
          {"limit_violations", s.limit_violations},
          {"snapshots", s.snapshots},
          {"max_arrival_lag_ms", s.max_arrival_lag_ms},
          {"substations", substations}};
}

std::vector<SubstationSpread> spread_of(const TraceSummary& s) {
  double capacity = 0;
  for (const auto& sub : s.substations) capacity += sub.capacity_kw;
  std::vector<SubstationSpread> spread;
  for (const auto& sub : s.substations) {
    const double fair = capacity > 0 ? sub.capacity_kw / capacity : 1.0 / static_cast<double>(s.substations.size());
    spread.push_back({sub.id, sub.session_share, sub.energy_share, fair});
  }
  return spread;
}

}  // namespace grid::loadgen
