#pragma once
// The metrics of one node: owns every family, and collects them into plain data for a scrape.
// Thread-safety: every member is safe from any thread. References it returns stay valid for the
// Registry's lifetime (a series: until removed from its family).

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "grid/metrics/family.h"
#include "grid/metrics/snapshot.h"

namespace grid::metrics {

class Registry {
public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registration throws std::invalid_argument on a bad metric or label name (Prometheus' rules;
  // names starting "__" are reserved, as is "le" on histograms), duplicate label names, bad
  // buckets, or a name already taken by another type, other label names or other buckets.
  // Registering the same name the same way again returns the same family (its help text is the
  // first one given). Counter names should end in _total: nothing is appended.
  Family<Counter>& counter(const std::string& name, const std::string& help, std::vector<std::string> label_names = {});
  Family<Gauge>& gauge(const std::string& name, const std::string& help, std::vector<std::string> label_names = {});
  Family<Histogram>& histogram(const std::string& name, const std::string& help, std::vector<double> buckets,
                               std::vector<std::string> label_names = {});

  // Runs at the start of every collect(), outside the registry's lock (so a hook may register),
  // to refresh values computed at scrape time. Concurrent collects run hooks concurrently.
  // A hook that throws is logged and skipped; the scrape still answers.
  void on_collect(std::function<void()> hook);

  // Families ordered by name, series by labels, so two scrapes of the same state are identical.
  std::vector<FamilySnapshot> collect() const;

private:
  template <class Metric>
  Family<Metric>& find_or_add(const std::string& name, const std::string& help, std::vector<std::string> label_names,
                              std::vector<double> buckets);

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<FamilyBase>> families_;
  std::vector<std::shared_ptr<const std::function<void()>>> hooks_;
};

}  // namespace grid::metrics
