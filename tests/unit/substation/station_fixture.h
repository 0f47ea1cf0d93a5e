#pragma once
// A Station on a fake clock with a policy, and short ways to act on it and read a session back by
// the request that made it.

#include <map>
#include <memory>
#include <string>

#include "grid/allocation/policy_registry.h"
#include "station.h"

namespace grid::test {

inline proto::ChargeJob job(std::string request_id, double power_kw, double energy_kwh = 20) {
  proto::ChargeJob job;
  job.job_id = 1;
  job.request_id = std::move(request_id);
  job.vehicle_id = "EV-1";
  job.power_kw = power_kw;
  job.energy_kwh = energy_kwh;
  return job;
}

struct StationFixture {
  explicit StationFixture(substation::StationSettings settings, const std::string& policy_name = "equal-share")
      : policy(allocation::make_policy(policy_name)), station(named(std::move(settings)), *policy) {}

  static substation::StationSettings named(substation::StationSettings settings) {
    if (settings.id.empty()) settings.id = "north";
    return settings;
  }

  substation::Admission admit(const proto::ChargeJob& job) {
    const auto admission = station.admit(job, clock.now(), progress);
    if (admission.accepted) sessions[job.request_id] = admission.session_id;
    return admission;
  }
  void step() { station.advance(clock.now(), progress); }
  void advance(Duration by) {
    clock.advance(by);
    step();
  }
  // The session's state by the request that made it (found = false when unknown).
  proto::SessionState state(const std::string& request_id) {
    const auto found = sessions.find(request_id);
    if (found == sessions.end()) return {};
    return station.query(found->second, false, clock.now(), progress).value_or(proto::SessionState{});
  }
  std::optional<proto::SessionState> stop(const std::string& request_id) {
    return station.query(sessions.at(request_id), true, clock.now(), progress);
  }
  substation::StationTotals totals() const { return station.totals(clock.now()); }

  FakeClock clock;
  std::unique_ptr<allocation::AllocationPolicy> policy;
  substation::Station station;
  substation::Progress progress;
  std::map<std::string, std::string> sessions;  // request id -> session id
};

}  // namespace grid::test
