#include "console_state.h"

#include <nlohmann/json.hpp>

namespace grid::edge {
namespace {

// The console shows the API's traffic, not its own polling nor the scrapes of Prometheus and
// health checkers, which would otherwise be the only "requests" on an idle grid.
bool api_route(std::string_view handler) {
  return handler != "console" && handler != "metrics" && handler != "healthz";
}

}  // namespace

void ConsoleCounters::answered(std::string_view handler, int status) {
  if (!api_route(handler)) return;
  // Relaxed: each counter is read on its own; the console tolerates one being a request ahead.
  api_requests_.fetch_add(1, std::memory_order_relaxed);
  if (status == 503) unavailable_.fetch_add(1, std::memory_order_relaxed);
  if (handler != "charge") return;
  if (status == 200) charges_admitted_.fetch_add(1, std::memory_order_relaxed);
  if (status == 503) charges_refused_.fetch_add(1, std::memory_order_relaxed);
}

ConsoleCounters::Snapshot ConsoleCounters::snapshot() const {
  return {api_requests_.load(std::memory_order_relaxed), unavailable_.load(std::memory_order_relaxed),
          charges_admitted_.load(std::memory_order_relaxed), charges_refused_.load(std::memory_order_relaxed)};
}

nlohmann::json substation_json(const proto::SubstationInfo& info) {
  return {{"id", info.substation_id},
          {"live", info.live},
          {"ejected", info.ejected},
          {"capacity_kw", info.capacity_kw},
          // An operator limit is never 0 (0 clears it): 0 is a substation too old to report its
          // limit, whose limit is then its capacity (as in the heartbeat).
          {"limit_kw", info.limit_kw > 0 ? info.limit_kw : info.capacity_kw},
          {"allocated_kw", info.allocated_kw},
          {"sessions", info.sessions},
          {"paused_sessions", info.paused_sessions}};
}

nlohmann::json console_state_json(const ConsoleCounters::Snapshot& counters, const SubstationList& substations,
                                  Duration uptime, bool operators_enabled) {
  auto listed = nlohmann::json::array();
  std::uint32_t live = 0;
  double capacity_kw = 0;
  double limit_kw = 0;
  double allocated_kw = 0;
  std::uint64_t sessions = 0;
  std::uint64_t paused_sessions = 0;
  for (const auto& info : substations) {
    listed.push_back(substation_json(info));
    // A dead substation supplies nothing and its last numbers are stale: the totals are the
    // grid that can charge a car now.
    if (!info.live) continue;
    ++live;
    capacity_kw += info.capacity_kw;
    limit_kw += info.limit_kw > 0 ? info.limit_kw : info.capacity_kw;
    allocated_kw += info.allocated_kw;
    sessions += info.sessions;
    paused_sessions += info.paused_sessions;
  }
  return {{"edge",
           {{"uptime_s", std::chrono::duration<double>(uptime).count()},
            {"api_requests_total", counters.api_requests},
            {"unavailable_total", counters.unavailable},
            {"charges_admitted_total", counters.charges_admitted},
            {"charges_refused_total", counters.charges_refused},
            {"operators_enabled", operators_enabled}}},
          {"totals",
           {{"substations", substations.size()},
            {"live", live},
            {"capacity_kw", capacity_kw},
            {"limit_kw", limit_kw},
            {"allocated_kw", allocated_kw},
            {"sessions", sessions},
            {"paused_sessions", paused_sessions}}},
          {"substations", std::move(listed)}};
}

}  // namespace grid::edge
