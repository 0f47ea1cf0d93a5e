#pragma once
// A state file in a fresh temporary directory, and the stores and durable stations the tests open
// on it, with a scripted wall clock (wall = steady + offset).

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "durable_station.h"
#include "grid/allocation/policy_registry.h"
#include "state_store.h"
#include "support/temp_dir.h"

namespace grid::test {

// A wall clock far from any steady time, so a mix-up of the two shows.
inline constexpr Duration test_wall_offset = std::chrono::hours(24 * 365 * 50);

inline substation::StateStoreOptions store_options(const std::string& path, const std::string& id = "north") {
  return {.path = path, .substation_id = id, .remembered_requests = 100, .remembered_sessions = 100};
}

// A DurableStation on a state file, with hooks that tests script.
struct DurableFixture {
  DurableFixture(const std::string& path, substation::StationSettings settings, Duration offset = test_wall_offset,
                 std::function<void()> before_commit = {}, std::function<void()> after_commit = {})
      : policy(allocation::make_policy("equal-share")),
        station(named(std::move(settings)), *policy, open(path, std::move(before_commit)),
                {.wall_offset = [offset] { return offset; }, .after_commit = std::move(after_commit)}) {}

  static substation::StationSettings named(substation::StationSettings settings) {
    if (settings.id.empty()) settings.id = "north";
    settings.remembered_requests = 100;
    settings.remembered_sessions = 100;
    return settings;
  }
  static std::unique_ptr<substation::StateStore> open(const std::string& path, std::function<void()> before_commit) {
    auto options = store_options(path);
    options.before_commit = std::move(before_commit);
    return std::make_unique<substation::StateStore>(std::move(options));
  }

  std::unique_ptr<allocation::AllocationPolicy> policy;
  substation::DurableStation station;
};

}  // namespace grid::test
