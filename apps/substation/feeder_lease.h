#pragma once
// The feeder grant a substation holds: the balancer's share of its feeder's budget, as a lease.
// A grant is good for the shorter of the substation's own lease and the grant's lease_s, in REAL
// time (a lost link is a matter of seconds on the wall, whatever --time-scale says). When it runs
// out the substation falls back to min(fallback, last grant) and stays there until a fresh grant:
// stale data never raises power. A substation that says it hangs on a feeder and has never been
// granted draws at most its fallback (0 by default: nothing until the balancer speaks).
// Several balancers (issue 16): the lowest balancer boot leads. A grant from another boot than the
// one held is taken only when none is held, the held lease ran out, or its boot is LOWER; a
// higher boot's grant is refused (other_balancer). Taking a lower boot's grant while the higher
// one's lease still runs keeps that grant as a cap (min) until its lease runs out, renewed and
// lowered by the higher boot's refused grants: the old leader counts this substation at that
// grant until it stands down, so the two divisions never add up past a feeder's limit.
// No clock of its own: the station passes the time in.
// Thread-safety: none; the substation node's thread owns it (through the Station).

#include <cstdint>
#include <optional>
#include <string>

#include "grid/power/admission.h"
#include "grid/proto/messages.h"
#include "grid/util/clock.h"

namespace grid::substation {

struct FeederSettings {
  std::string feeder_id;               // --feeder: the feeder it says it hangs on; empty: none said
  std::optional<double> fallback_kw;   // --fallback-kw; else the last grant's fallback_kw (0 before any)
  Duration lease = std::chrono::milliseconds(750);  // --grant-lease-ms (the node's default: 3 heartbeats)
};

enum class GrantVerdict {
  accepted,
  stale,           // older than the grant held from the same balancer boot
  other_balancer,  // from a higher balancer boot while a lower one's lease runs: not applied
};

class FeederLease {
public:
  explicit FeederLease(FeederSettings settings);

  // A grant for this substation (the node checks the id). Accepted unless older than the grant
  // held from the same balancer boot (stale), or from a higher balancer boot than the fresh grant
  // held (other_balancer).
  GrantVerdict accept(const proto::FeederGrant& grant, TimePoint now);
  // Brings the lease up to `now`: true when it ran out at this call (fallback entered).
  bool expire(TimePoint now);

  // The feeder limit in force: the grant, the fallback, or none (no feeder said and no grant).
  std::optional<power::Watts> limit_w() const;
  // The next lease event: the grant in force runs out, or the cap kept from the balancer it was
  // taken over from does; none while in fallback without a cap.
  std::optional<TimePoint> expires_at() const;
  bool in_fallback() const;
  std::uint64_t grant_seq() const { return held_ ? held_->seq : 0; }
  // The balancer boot whose grant is held (in force, or fallen back from); 0: none.
  std::uint64_t grant_boot() const { return held_ ? held_->balancer_boot : 0; }
  // The cap kept from the higher boot this substation was taken over from, while it runs.
  std::optional<power::Watts> takeover_cap_w() const { return cap_ ? std::optional(cap_->w) : std::nullopt; }
  // What a restart keeps (the grant itself is not kept): the fallback that holds if the link is
  // lost now; none when no grant was ever held.
  std::optional<power::Watts> lost_link_w() const {
    return held_ || resumed_fallback_w_ ? std::optional(fallback_w()) : std::nullopt;
  }
  // After a restart: no grant, but in fallback at most at `fallback_w` until a fresh grant, as if
  // the link had been lost (it was: the substation was down).
  void resume_in_fallback(power::Watts fallback_w) { resumed_fallback_w_ = fallback_w; }
  const std::string& feeder_id() const { return settings_.feeder_id; }

private:
  power::Watts fallback_w() const;
  TimePoint lease_end(const proto::FeederGrant& grant, TimePoint now) const;

  // The grant of the balancer this substation was taken over from, while that one may still count on it.
  struct Cap {
    std::uint64_t boot = 0;
    power::Watts w = 0;
    TimePoint expires_at{};
  };

  FeederSettings settings_;
  std::optional<proto::FeederGrant> held_;  // the last grant accepted, kept through a fallback
  bool fresh_ = false;                      // held_ is within its lease
  TimePoint expires_at_{};
  std::optional<power::Watts> resumed_fallback_w_;  // resume_in_fallback's, until a grant is held
  std::optional<Cap> cap_;
};

}  // namespace grid::substation
