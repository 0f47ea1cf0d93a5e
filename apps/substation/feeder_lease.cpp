#include "feeder_lease.h"

#include <algorithm>

namespace grid::substation {

FeederLease::FeederLease(FeederSettings settings) : settings_(std::move(settings)) {}

GrantVerdict FeederLease::accept(const proto::FeederGrant& grant, TimePoint now) {
  // A new balancer boot numbers its grants afresh: its seq says nothing about the old one's.
  if (held_ && held_->balancer_boot == grant.balancer_boot && grant.seq < held_->seq) return GrantVerdict::stale;
  held_ = grant;
  fresh_ = true;
  // The shorter lease wins; compared in seconds first, so a huge lease_s never overflows a Duration.
  const double lease_s = std::min(std::chrono::duration<double>(settings_.lease).count(), grant.lease_s);
  expires_at_ = now + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(lease_s));
  return GrantVerdict::accepted;
}

bool FeederLease::expire(TimePoint now) {
  if (!fresh_ || now < expires_at_) return false;
  fresh_ = false;
  return true;
}

bool FeederLease::in_fallback() const {
  if (fresh_) return false;
  return held_.has_value() || resumed_fallback_w_.has_value() || !settings_.feeder_id.empty();
}

power::Watts FeederLease::fallback_w() const {
  const double fallback_kw = settings_.fallback_kw.value_or(held_ ? held_->fallback_kw : 0.0);
  const power::Watts fallback = power::to_watts(fallback_kw);
  // Never more than the last grant: the fallback is a floor for a lost link, not a way up.
  if (held_) return std::min(fallback, power::to_watts(held_->granted_kw));
  if (resumed_fallback_w_) return std::min(settings_.fallback_kw ? fallback : *resumed_fallback_w_, *resumed_fallback_w_);
  return fallback;
}

std::optional<power::Watts> FeederLease::limit_w() const {
  if (fresh_) return power::to_watts(held_->granted_kw);
  if (in_fallback()) return fallback_w();
  return std::nullopt;
}

}  // namespace grid::substation
