#include "grid/balancing/utilization_index.h"

namespace grid::balancing {

UtilizationIndex::~UtilizationIndex() {
  if (table_ != nullptr) table_->remove_observer(*this);
}

void UtilizationIndex::follow(const LoadTable& table) {
  if (table_ == &table) return;
  if (table_ != nullptr) table_->remove_observer(*this);
  clear();
  table_ = &table;
  table.add_observer(*this);  // replays every row
}

void UtilizationIndex::on_table_gone() {
  table_ = nullptr;
  clear();
}

void UtilizationIndex::clear() {
  entries_.clear();
  by_utilization_.clear();
  by_limit_.clear();
}

void UtilizationIndex::on_row_changed(std::size_t index, const Substation& substation) {
  if (index >= entries_.size()) entries_.resize(index + 1);
  Entry& entry = entries_[index];
  if (!substation.live) {
    if (entry.indexed) erase(index);
    return;
  }
  if (!entry.indexed) {
    insert(index, substation);
    return;
  }
  const double utilization = substation.utilization();
  if (entry.group->first != substation.limit_kw) {  // a heartbeat reported another limit
    erase(index);
    insert(index, substation);
    return;
  }
  if (entry.by_utilization->first == utilization) return;
  auto node = by_utilization_.extract(entry.by_utilization);
  node.value().first = utilization;
  entry.by_utilization = by_utilization_.insert(std::move(node)).position;
  auto member = entry.group->second.extract(entry.in_group);
  member.value().first = utilization;
  entry.in_group = entry.group->second.insert(std::move(member)).position;
}

void UtilizationIndex::insert(std::size_t index, const Substation& substation) {
  Entry& entry = entries_[index];
  const double utilization = substation.utilization();
  entry.by_utilization = by_utilization_.emplace(utilization, index).first;
  entry.group = by_limit_.try_emplace(substation.limit_kw).first;
  entry.in_group = entry.group->second.emplace(utilization, index).first;
  entry.indexed = true;
}

void UtilizationIndex::erase(std::size_t index) {
  Entry& entry = entries_[index];
  by_utilization_.erase(entry.by_utilization);
  entry.group->second.erase(entry.in_group);
  if (entry.group->second.empty()) by_limit_.erase(entry.group);  // the count says how many limits live
  entry.indexed = false;
}

}  // namespace grid::balancing
