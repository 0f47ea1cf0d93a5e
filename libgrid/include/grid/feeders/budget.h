#pragma once
// Dividing each feeder's budget among what hangs on it: pure arithmetic, no clocks or sockets.
//
// At every feeder, in this order (whole watts throughout, like every power the grid adds up):
//  1. a substation that is not live keeps what it may still be drawing (held_kw: its last grant
//     while the lease runs, then its fallback): the budget never assumes it stopped;
//  2. minimums first: every live substation gets its sessions' minimums (at least 1 W, the least
//     grant the wire allows); when even those exceed the budget, each gets the same share of its
//     minimum (floor(min x budget / sum of minimums)) and its substation pauses what does not fit;
//  3. the rest by demand: water-filling (equal increments) up to each one's want, min(its own
//     limit, the sum of its sessions' maximums);
//  4. what is left is spread in proportion to capacity, capped at each one's own limit, so an idle
//     substation keeps headroom to admit a new car (work conserving).
// A child feeder takes part as one item (its minimums, wants and limits summed, capped at its own
// limit) and divides what it got the same way. So the grants under every feeder sum to at most its
// limit, as long as the held power of those not live does.
// Thread-safety: pure functions.

#include <string>
#include <unordered_map>
#include <vector>

#include "grid/feeders/topology.h"

namespace grid::feeders {

struct SubstationNeed {
  std::string id;
  bool live = true;        // live: gets a grant; not live: counts held_kw and gets nothing
  double min_kw = 0;       // the sum of its sessions' minimums
  double demand_kw = 0;    // the sum of its sessions' maximums
  double capacity_kw = 0;
  double limit_kw = 0;     // its own effective limit: min(capacity, operator limit)
  double held_kw = 0;      // not live: what it may still draw
};

struct Division {
  std::unordered_map<std::string, double> grant_kw;  // live substations on some feeder
  std::vector<double> feeder_budget_kw;              // per feeder: what it was given to divide
};

// feeder_limit_kw: each feeder's effective limit (its topology limit, or a demand-response limit
// in force), indexed like topology.feeders(). Needs of substations the topology does not name are
// ignored.
Division divide(const Topology& topology, const std::vector<double>& feeder_limit_kw,
                const std::vector<SubstationNeed>& needs);

}  // namespace grid::feeders
