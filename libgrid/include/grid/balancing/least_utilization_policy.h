#pragma once
// The default policy: a new session goes where it is most likely to be served in full. It ranks
// the eligible substations by utilization once the request is placed,
//   (demand + reserved + the request's maximum) / limit,
// the share of its limit that its sessions (and those on their way) could take: below 1, every
// session there gets its maximum whatever the substation's allocation policy; above 1, each gets
// a share that shrinks as the ratio grows. Ranking by allocated load instead cannot tell a
// saturated substation whose sessions want 110% of its limit from one whose sessions want 300%
// (both allocate 100%), nor see an operator limit below capacity. Eligibility is the substation's
// own admission rule on minimums (policy.h). With an older substation, demand is its load and the
// limit its capacity, so this is the former (load + reserved + request) / capacity.
// Reservations make a burst spread instead of herding onto whichever substation looked emptiest
// at the last heartbeat. Walks its own utilization index (kept in step with the table it picks
// from) from the bottom and stops as soon as no further row can beat the best found: it visits
// only rows whose current utilization is below the best score, a small fraction of the table when
// requests are small against limits (measured before issue 12: ~0.1 us per pick at 1,000). Past its
// budget it walks limit groups, passing over rows whose minimums are full: on a grid where many
// are, that walk grows with them (not yet measured).
//
// Thread-safety: none; owned by the balancer's thread (see policy.h).

#include "grid/balancing/policy.h"
#include "grid/balancing/utilization_index.h"

namespace grid::balancing {

class LeastUtilizationPolicy final : public Policy {
public:
  static constexpr std::string_view policy_name = "least-utilization";
  std::string_view name() const override { return policy_name; }
  const Substation* pick(const LoadTable& table, const PickRequest& request,
                         Random& random) override;

private:
  const Substation* pick_by_groups(const PickRequest& request) const;

  UtilizationIndex index_;
};

}  // namespace grid::balancing
