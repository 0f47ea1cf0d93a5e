#pragma once
// Outlier ejection, as Envoy does it: a substation that heartbeats but fails its jobs (no answer
// within the dispatch timeout, or not reachable on the job socket) is taken out of routing after
// `consecutive_failures` failures in a row, for `base` times the number of times it was ejected
// (capped at `longest`), and no more than `max_ejected_percent` of the live grid is ejected at
// once (one substation always may be). Each `base` period spent back in routing without an
// ejection forgives one past ejection. A refusal for capacity is an honest answer, not a failure.
// Time comes in as a parameter. Thread-safety: none; the balancer thread owns it.

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "grid/util/clock.h"

namespace grid::balancing {

struct EjectionSettings {
  int consecutive_failures = 3;  // 0: never eject
  Duration base = std::chrono::seconds(30);
  Duration longest = std::chrono::seconds(300);
  int max_ejected_percent = 50;
};

class OutlierDetector {
public:
  explicit OutlierDetector(EjectionSettings settings) : settings_(settings) {}

  // A job that failed. Returns the time the substation stays ejected until when this failure
  // ejects it (the caller takes it out of routing), else nothing.
  std::optional<TimePoint> on_failure(const std::string& substation, TimePoint now, std::size_t live_substations);
  // A job answered (accepted or refused): the run of failures is over.
  void on_success(const std::string& substation);
  // A new process under this id: its past failures were another process's.
  void forget(const std::string& substation);

  // Substations whose ejection is over at `now`: the caller puts them back into routing.
  std::vector<std::string> restore_due(TimePoint now);
  std::optional<TimePoint> next_restore() const;
  bool ejected(const std::string& substation) const;
  std::size_t ejected_count() const { return ejected_until_.size(); }

private:
  struct Record {
    int consecutive = 0;
    int ejections = 0;           // past ejections not yet forgiven
    TimePoint back_since{};      // when it last came back into routing
    std::optional<TimePoint> until;
  };

  EjectionSettings settings_;
  std::unordered_map<std::string, Record> records_;  // only substations that have failed
  std::set<std::pair<TimePoint, std::string>> ejected_until_;
};

}  // namespace grid::balancing
