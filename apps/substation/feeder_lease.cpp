#include "feeder_lease.h"

#include <algorithm>

namespace grid::substation {

FeederLease::FeederLease(FeederSettings settings) : settings_(std::move(settings)) {}

TimePoint FeederLease::lease_end(const proto::FeederGrant& grant, TimePoint now) const {
  // The shorter lease wins; compared in seconds first, so a huge lease_s never overflows a Duration.
  const double lease_s = std::min(std::chrono::duration<double>(settings_.lease).count(), grant.lease_s);
  return now + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(lease_s));
}

GrantVerdict FeederLease::accept(const proto::FeederGrant& grant, TimePoint now) {
  const bool other_boot = held_ && held_->balancer_boot != grant.balancer_boot;
  if (other_boot && fresh_ && grant.balancer_boot > held_->balancer_boot) {
    // A follower that has not stood down yet: not applied. Its grants still lower and renew the
    // cap it left here, because it still divides the feeder as if this substation obeyed them.
    if (cap_ && cap_->boot == grant.balancer_boot) {
      cap_->w = std::min(cap_->w, power::to_watts(grant.granted_kw));
      cap_->expires_at = std::max(cap_->expires_at, lease_end(grant, now));
    }
    return GrantVerdict::other_balancer;
  }
  // A new balancer boot numbers its grants afresh: its seq says nothing about the old one's.
  if (held_ && !other_boot && grant.seq < held_->seq) return GrantVerdict::stale;
  if (other_boot && fresh_) {
    // Taken over by a lower boot: the old leader counts on its grant here until it hears of the
    // switch and stands down, so that grant keeps capping this one until its lease runs out.
    power::Watts w = power::to_watts(held_->granted_kw);
    TimePoint until = expires_at_;
    if (cap_) {
      w = std::min(w, cap_->w);
      until = std::max(until, cap_->expires_at);
    }
    cap_ = Cap{held_->balancer_boot, w, until};
  }
  held_ = grant;
  fresh_ = true;
  expires_at_ = lease_end(grant, now);
  return GrantVerdict::accepted;
}

std::optional<TimePoint> FeederLease::expires_at() const {
  std::optional<TimePoint> next = fresh_ ? std::optional(expires_at_) : std::nullopt;
  if (cap_ && (!next || cap_->expires_at < *next)) next = cap_->expires_at;
  return next;
}

bool FeederLease::expire(TimePoint now) {
  if (cap_ && now >= cap_->expires_at) cap_.reset();
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
  std::optional<power::Watts> limit;
  if (fresh_) {
    limit = power::to_watts(held_->granted_kw);
  } else if (in_fallback()) {
    limit = fallback_w();
  }
  if (limit && cap_) limit = std::min(*limit, cap_->w);
  return limit;
}

}  // namespace grid::substation
