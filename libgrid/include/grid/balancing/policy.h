#pragma once
// The policy interface and what all policies share: the one health/fit filter, the score that
// ranks substations for a request, and fair sampling among eligible substations.
//
// Thread-safety: none. A policy object may keep state (a cursor, scratch space) and belongs to the
// balancer's single thread, like the table it reads.

#include <cstddef>
#include <unordered_set>
#include <string>
#include <string_view>
#include <vector>

#include "grid/balancing/load_table.h"
#include "grid/util/random.h"

namespace grid::balancing {

// Substations already tried for one request. The filter looks a candidate up once per visit, so a
// request that has tried many (a grid full of broken substations) costs O(1) per candidate.
using TriedSet = std::unordered_set<std::string, IdHash, std::equal_to<>>;

struct PickRequest {
  double power_kw = 0;  // the most the session can take: its maximum
  const TriedSet* tried = nullptr;  // nullptr: none tried yet
  double min_power_kw = 0;  // the least it charges at; 0: the default (see session_min_kw)

  // The session's minimum as the substation will set it: the request's own, else
  // power::default_min_session_kw capped at power_kw. What eligibility and reservations count.
  double session_min_kw() const;
  // What a job for this request holds at its substation until answered.
  Reservation reservation() const { return {session_min_kw(), power_kw}; }
};

// THE health/fit filter every policy applies: live, not ejected, the session's minimum fits on
// top of the minimums committed there (Substation::fits), not already tried.
bool eligible(const Substation& substation, const PickRequest& request);

// Utilization once the request is placed: (demand + reserved + request's maximum) / limit; +inf
// without a limit. Lower means the new session is likelier to get all it asks for (below 1, every
// session there does). Never below substation.utilization(), which is what lets the
// least-utilization policy stop its walk early.
double utilization_with(const Substation& substation, double power_kw);

// The ranking shared by least-utilization and p2c: lower utilization_with, then more headroom
// (limit - wanted: fills the bigger substation first when it is proportionally as loaded), then
// id, so every pick is deterministic.
bool preferred(const Substation& a, const Substation& b, double power_kw);

class Policy {
public:
  virtual ~Policy() = default;
  virtual std::string_view name() const = 0;
  // nullptr: nobody can take the request. The pointer is valid until the table next changes.
  virtual const Substation* pick(const LoadTable& table, const PickRequest& request,
                                 Random& random) = 0;
};

// How many uniform draws over the live rows sample_eligible tries before falling back to listing
// the eligible ones. A few draws succeed almost always in a healthy grid and cost no scan; the
// fallback keeps the choice uniform and terminating when most substations are full or dead.
inline constexpr int sample_attempts = 3;

// A uniformly random eligible live substation other than `other` (nullptr: no other), or nullptr.
// Draws Random::below(live_count) up to sample_attempts times, then Random::below(#candidates)
// over the eligible rows collected into `scratch` (kept by the caller to avoid allocating), no
// draw at all when exactly one is left.
const Substation* sample_eligible(const LoadTable& table, const PickRequest& request,
                                  Random& random, const Substation* other,
                                  std::vector<std::size_t>& scratch);

}  // namespace grid::balancing
