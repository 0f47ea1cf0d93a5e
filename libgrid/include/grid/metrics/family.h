#pragma once
// A family is one metric name with its help text and label names; each distinct label set is a
// series of it. Registry creates families; callers keep the returned references.
// Thread-safety: every member of Family is safe from any thread. A series reference returned by
// add() stays valid until remove() of the same labels or the end of the owning Registry; keep it
// and call it on the data path instead of looking it up per event.

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "grid/metrics/counter.h"
#include "grid/metrics/gauge.h"
#include "grid/metrics/histogram.h"
#include "grid/metrics/snapshot.h"

namespace grid::metrics {

class FamilyBase {
public:
  virtual ~FamilyBase() = default;
  FamilyBase(const FamilyBase&) = delete;
  FamilyBase& operator=(const FamilyBase&) = delete;

  const std::string& name() const noexcept { return name_; }
  const std::string& help() const noexcept { return help_; }
  const std::vector<std::string>& label_names() const noexcept { return label_names_; }
  MetricType type() const noexcept { return type_; }

  virtual FamilySnapshot collect() const = 0;

protected:
  FamilyBase(std::string name, std::string help, std::vector<std::string> label_names, MetricType type);
  // Throws std::invalid_argument unless the label names are exactly the declared ones.
  void check_labels(const Labels& labels) const;

private:
  std::string name_;
  std::string help_;
  std::vector<std::string> label_names_;  // sorted, to compare with a Labels map in one pass
  MetricType type_;
};

template <class Metric>
class Family final : public FamilyBase {
public:
  // Histogram families pass their buckets; counters and gauges leave them empty.
  Family(std::string name, std::string help, std::vector<std::string> label_names, std::vector<double> buckets = {});

  // The series for these labels, created on first use. Throws std::invalid_argument when the label
  // names differ from the family's: a mistake in the code, found the first time it runs.
  Metric& add(const Labels& labels);
  // Drops the series (a substation that left); unknown labels are ignored.
  void remove(const Labels& labels);
  bool has(const Labels& labels) const;
  // The histogram buckets this family's series use; empty for counters and gauges.
  const std::vector<double>& buckets() const noexcept { return buckets_; }

  FamilySnapshot collect() const override;

private:
  std::vector<double> buckets_;
  mutable std::mutex mutex_;
  // unique_ptr so a series does not move when others are added: add() hands out references.
  std::map<Labels, std::unique_ptr<Metric>> series_;
};

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

}  // namespace grid::metrics
