#include "station.h"

#include <algorithm>
#include <cstdio>

namespace grid::substation {
namespace {

std::string hex8(std::uint64_t value) {
  char text[9];
  std::snprintf(text, sizeof text, "%08x", static_cast<unsigned>(value & 0xffffffffu));
  return text;
}

}  // namespace

Station::Station(std::string id, double capacity_kw, double time_scale, std::uint64_t boot,
                 std::size_t remembered_requests)
    : id_(std::move(id)),
      capacity_w_(power::to_watts(capacity_kw)),
      time_scale_(time_scale),
      session_prefix_("s" + hex8(boot) + "-"),
      admitted_(remembered_requests) {}

Admission Station::admit(const proto::ChargeJob& job, TimePoint now) {
  if (const auto* known = admitted_.find(job.request_id)) {
    return Admission{.accepted = true, .session_id = *known, .repeated = true};
  }
  if (job.power_kw < power::min_session_kw) return Admission{.refusal = power::Refusal::below_minimum};
  const power::Watts power_w = power::to_watts(job.power_kw);
  if (!power::fits(load_w_, power_w, capacity_w_)) return Admission{.refusal = power::Refusal::capacity};
  Session session{session_prefix_ + std::to_string(next_session_++), job.request_id, power_w, job.energy_kwh,
                  now + session_length(job)};
  load_w_ += power_w;
  endings_.emplace(session.ends_at, session.session_id);
  admitted_.remember(job.request_id, session.session_id);
  Admission admission{.accepted = true, .session_id = session.session_id};
  sessions_.emplace(session.session_id, std::move(session));
  return admission;
}

std::optional<Session> Station::cancel(const std::string& request_id, const std::string& session_id) {
  const auto* admitted = admitted_.find(request_id);
  if (admitted == nullptr) return std::nullopt;
  if (!session_id.empty() && *admitted != session_id) return std::nullopt;
  const auto session = sessions_.find(*admitted);
  admitted_.forget(request_id);  // a later job for this request is decided afresh
  if (session == sessions_.end()) return std::nullopt;  // already completed
  Session ended = std::move(session->second);
  sessions_.erase(session);  // its entry in endings_ is skipped when it comes due
  load_w_ -= ended.power_w;
  return ended;
}

std::vector<Session> Station::complete_due(TimePoint now) {
  std::vector<Session> done;
  while (!endings_.empty() && endings_.top().first <= now) {
    const auto found = sessions_.find(endings_.top().second);
    endings_.pop();
    if (found == sessions_.end()) continue;
    load_w_ -= found->second.power_w;
    done.push_back(std::move(found->second));
    sessions_.erase(found);
  }
  return done;
}

std::optional<TimePoint> Station::next_completion() const {
  if (endings_.empty()) return std::nullopt;
  return endings_.top().first;
}

Duration Station::session_length(const proto::ChargeJob& job) const {
  // A tiny power would make the session last longer than a duration can hold: cap it at a year.
  constexpr double longest_seconds = 365.0 * 24 * 3600;
  const double simulated_seconds = job.energy_kwh / power::to_kw(power::to_watts(job.power_kw)) * 3600.0;
  const auto real = std::chrono::duration<double>(std::min(simulated_seconds / time_scale_, longest_seconds));
  return std::chrono::duration_cast<Duration>(real);
}

}  // namespace grid::substation
