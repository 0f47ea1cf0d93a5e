#include "grid/balancing/policy.h"

#include <algorithm>
#include <limits>

namespace grid::balancing {

double PickRequest::session_min_kw() const {
  if (min_power_kw > 0) return min_power_kw;
  return std::min(power_kw, power::default_min_session_kw);
}

bool eligible(const Substation& substation, const PickRequest& request) {
  if (!substation.live || substation.ejected || !substation.fits(request.session_min_kw())) return false;
  return request.tried == nullptr || !request.tried->contains(substation.id);
}

double utilization_with(const Substation& substation, double power_kw) {
  // Computed as (wanted + p) / limit rather than u + p / limit: with p >= 0 rounding is monotone,
  // so the result is never below utilization(), which the early stop of least-utilization relies on.
  if (substation.limit_kw > 0) return (substation.wanted_kw() + power_kw) / substation.limit_kw;
  return std::numeric_limits<double>::infinity();
}

bool preferred(const Substation& a, const Substation& b, double power_kw) {
  const double score_a = utilization_with(a, power_kw);
  const double score_b = utilization_with(b, power_kw);
  if (score_a != score_b) return score_a < score_b;
  const double headroom_a = a.headroom_kw();
  const double headroom_b = b.headroom_kw();
  if (headroom_a != headroom_b) return headroom_a > headroom_b;
  return a.id < b.id;
}

const Substation* sample_eligible(const LoadTable& table, const PickRequest& request,
                                  Random& random, const Substation* other,
                                  std::vector<std::size_t>& scratch) {
  const std::size_t live = table.live_count();
  if (live == 0) return nullptr;
  // Rejection sampling: each accepted draw is uniform over the acceptable rows.
  for (int attempt = 0; attempt < sample_attempts; ++attempt) {
    const Substation& candidate = table.live(static_cast<std::size_t>(random.below(live)));
    if (&candidate != other && eligible(candidate, request)) return &candidate;
  }
  // Mostly full or dead: list what is acceptable and draw among it, still uniformly.
  scratch.clear();
  for (std::size_t i = 0; i < live; ++i) {
    const Substation& candidate = table.live(i);
    if (&candidate != other && eligible(candidate, request)) scratch.push_back(i);
  }
  if (scratch.empty()) return nullptr;
  if (scratch.size() == 1) return &table.live(scratch.front());  // no draw needed
  return &table.live(scratch[static_cast<std::size_t>(random.below(scratch.size()))]);
}

}  // namespace grid::balancing
