#pragma once
// The live substations ordered for least-utilization: by current utilization, and grouped by exact
// limit, the utilization's denominator (groups ascending, each ascending in utilization). Kept in step with one load table as
// its RowObserver, by the policy that uses it: the table knows nothing of this order.
//
// Costs: each row change is O(log n) and allocates nothing once the row is indexed (nodes are
// re-used through extraction). Thread-safety: none; the balancer's thread owns it.

#include <cstddef>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "grid/balancing/load_table.h"

namespace grid::balancing {

class UtilizationIndex final : public RowObserver {
public:
  UtilizationIndex() = default;
  ~UtilizationIndex() override;
  UtilizationIndex(const UtilizationIndex&) = delete;
  UtilizationIndex& operator=(const UtilizationIndex&) = delete;

  // Follows `table` from now on (re-built from its rows); a no-op when it already does.
  void follow(const LoadTable& table);

  // Live rows in ascending utilization (ties in join order); fn returns false to stop early.
  template <class Fn>
  void for_each_by_utilization(Fn&& fn) const {
    for (const auto& entry : by_utilization_) {
      if (!fn(table_->row(entry.second))) return;
    }
  }

  // Live rows grouped by exact limit (groups in ascending limit), each group in ascending
  // utilization (ties in join order). fn(row, first_in_group) returns false to skip the rest of
  // its group. Within one limit, utilization orders rows by what they want (demand + reserved),
  // so a policy can stop a group at its first eligible row: the cost follows the number of
  // limits (plus the ineligible rows passed on the way), not of substations.
  template <class Fn>
  void for_each_by_limit_group(Fn&& fn) const {
    for (const auto& entry : by_limit_) {
      bool first = true;
      for (const auto& member : entry.second) {
        if (!fn(table_->row(member.second), first)) break;
        first = false;
      }
    }
  }
  // Distinct limits among live rows.
  std::size_t limit_groups() const { return by_limit_.size(); }
  std::size_t size() const { return by_utilization_.size(); }

  void on_row_changed(std::size_t index, const Substation& substation) override;
  void on_table_gone() override;

private:
  using Order = std::set<std::pair<double, std::size_t>>;  // (utilization, row)
  using Groups = std::map<double, Order>;                   // limit -> its live rows

  struct Entry {
    bool indexed = false;
    Order::iterator by_utilization;
    Groups::iterator group;
    Order::iterator in_group;
  };

  void insert(std::size_t index, const Substation& substation);
  void erase(std::size_t index);
  void clear();

  const LoadTable* table_ = nullptr;
  std::vector<Entry> entries_;  // by row index
  Order by_utilization_;
  Groups by_limit_;
};

}  // namespace grid::balancing
