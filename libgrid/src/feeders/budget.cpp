#include "grid/feeders/budget.h"

#include <algorithm>
#include <cmath>

#include "grid/power/admission.h"

namespace grid::feeders {
namespace {

using power::Watts;

// One thing a feeder divides its budget among: a substation or a child feeder.
struct Item {
  Watts held = 0;    // what substations not live under it may still draw: taken before anything else
  Watts min = 0;     // given first
  Watts want = 0;    // filled up to by demand
  Watts head = 0;    // the most worth giving (its own limit)
  Watts weight = 0;  // its share of what is left (capacity)
  bool fixed = false;  // a substation not live: takes `held`, no more, no less
  bool is_feeder = false;
  std::size_t ref = 0;  // index into needs or feeders
  Watts given = 0;
};

Watts watts(double kw) { return std::isfinite(kw) && kw > 0 ? power::to_watts(kw) : 0; }

Item item_of(const SubstationNeed& need, std::size_t ref) {
  Item item;
  item.ref = ref;
  if (!need.live) {
    item.fixed = true;
    item.held = watts(need.held_kw);
    return item;
  }
  const Watts limit = need.limit_kw > 0 ? watts(need.limit_kw) : watts(need.capacity_kw);
  item.min = std::min(std::max<Watts>(watts(need.min_kw), 1), std::max<Watts>(limit, 1));
  item.want = std::max(item.min, std::min(limit, watts(need.demand_kw)));
  item.head = std::max(item.want, limit);
  item.weight = std::max<Watts>(watts(need.capacity_kw), 1);
  return item;
}

// Equal increments up to each item's extra (want - given), within `budget`; returns what is left.
Watts water_fill(std::vector<Item*>& items, Watts budget) {
  std::vector<Item*> open;
  for (Item* item : items) {
    if (item->want > item->given) open.push_back(item);
  }
  std::sort(open.begin(), open.end(),
            [](const Item* a, const Item* b) { return a->want - a->given < b->want - b->given; });
  std::size_t i = 0;
  while (i < open.size() && budget > 0) {
    const auto left = static_cast<Watts>(open.size() - i);
    const Watts smallest = open[i]->want - open[i]->given;
    if (smallest * left <= budget) {
      // Everyone still open can take the smallest extra: give it, close the smallest.
      for (std::size_t j = i; j < open.size(); ++j) open[j]->given += smallest;
      budget -= smallest * left;
      while (i < open.size() && open[i]->want == open[i]->given) ++i;
      continue;
    }
    const Watts level = budget / left;
    Watts odd = budget % left;
    for (std::size_t j = i; j < open.size(); ++j) {
      open[j]->given += level + (odd > 0 ? 1 : 0);
      if (odd > 0) --odd;
    }
    budget = 0;
  }
  return budget;
}

// In proportion to weight, capped at each item's head; returns what is left.
Watts spread_by_capacity(std::vector<Item*>& items, Watts budget) {
  while (budget > 0) {
    std::vector<Item*> open;
    double total = 0;
    for (Item* item : items) {
      if (item->head > item->given) {
        open.push_back(item);
        total += static_cast<double>(item->weight);
      }
    }
    if (open.empty()) return budget;
    Watts handed = 0;
    for (Item* item : open) {
      const auto share = static_cast<Watts>(std::floor(static_cast<double>(budget) * static_cast<double>(item->weight) / total));
      const Watts take = std::min({share, item->head - item->given, budget - handed});
      item->given += take;
      handed += take;
    }
    if (handed == 0) {  // shares rounded to nothing: one watt each until it is gone
      for (Item* item : open) {
        if (handed == budget) break;
        ++item->given;
        ++handed;
      }
    }
    budget -= handed;
  }
  return budget;
}

struct Divider {
  const Topology& topology;
  const std::vector<Watts>& limits;
  const std::vector<SubstationNeed>& needs;
  std::vector<std::vector<Item>> items;  // per feeder
  std::vector<Item> aggregate;           // per feeder, as an item of its parent
  Division division;

  void build() {
    const auto& feeders = topology.feeders();
    items.assign(feeders.size(), {});
    aggregate.assign(feeders.size(), {});
    for (std::size_t n = 0; n < needs.size(); ++n) {
      if (const auto at = topology.feeder_of(needs[n].id)) items[*at].push_back(item_of(needs[n], n));
    }
    // Children come after their parents: aggregate from the last feeder up.
    for (std::size_t f = feeders.size(); f-- > 0;) {
      for (const std::size_t child : feeders[f].children) items[f].push_back(aggregate[child]);
      Item sum;
      sum.is_feeder = true;
      sum.ref = f;
      for (const Item& item : items[f]) {
        sum.held += item.held;
        sum.min += item.min;
        sum.want += item.want;
        sum.head += item.head;
        sum.weight += item.weight;
      }
      // What is held comes off the feeder's limit before its live substations count.
      const Watts live_limit = std::max<Watts>(0, limits[f] - sum.held);
      sum.min = std::min(sum.min, live_limit);
      sum.want = std::min(sum.want, live_limit);
      sum.head = std::min(sum.head, live_limit);
      sum.weight = std::max<Watts>(sum.weight, 1);
      aggregate[f] = sum;
    }
  }

  void divide(std::size_t f, Watts budget) {
    budget = std::min(budget, limits[f]);
    division.feeder_budget_kw[f] = power::to_kw(budget);
    std::vector<Item*> live;
    for (Item& item : items[f]) {
      budget = std::max<Watts>(0, budget - item.held);
      if (!item.fixed) live.push_back(&item);
    }
    Watts minimums = 0;
    for (const Item* item : live) minimums += item->min;
    if (minimums <= budget) {
      for (Item* item : live) item->given = item->min;
      budget -= minimums;
      budget = water_fill(live, budget);
      spread_by_capacity(live, budget);
    } else {
      for (Item* item : live) {
        item->given = static_cast<Watts>(std::floor(static_cast<double>(item->min) * static_cast<double>(budget) /
                                                    static_cast<double>(minimums)));
      }
    }
    for (const Item* item : live) {
      if (item->is_feeder) {
        divide(item->ref, item->held + item->given);
      } else {
        division.grant_kw[needs[item->ref].id] = power::to_kw(item->given);
      }
    }
  }
};

}  // namespace

Division divide(const Topology& topology, const std::vector<double>& feeder_limit_kw,
                const std::vector<SubstationNeed>& needs) {
  const auto& feeders = topology.feeders();
  std::vector<Watts> limits(feeders.size());
  for (std::size_t f = 0; f < feeders.size(); ++f) {
    limits[f] = watts(f < feeder_limit_kw.size() ? feeder_limit_kw[f] : feeders[f].limit_kw);
  }
  Divider divider{topology, limits, needs, {}, {}, {}};
  divider.division.feeder_budget_kw.assign(feeders.size(), 0);
  divider.build();
  for (std::size_t f = 0; f < feeders.size(); ++f) {
    if (feeders[f].parent == no_parent) divider.divide(f, limits[f]);
  }
  return std::move(divider.division);
}

}  // namespace grid::feeders
