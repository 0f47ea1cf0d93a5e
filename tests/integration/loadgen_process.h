#pragma once
// Runs grid-loadgen as a process to its end and collects its exit code and JSON summary.

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace grid::test {

struct LoadgenResult {
  int exit_code = -1;
  nlohmann::json summary;  // null when no JSON was written
  std::string log;
};

LoadgenResult run_loadgen_process(const std::string& binary, const std::string& target,
                                  const std::vector<std::string>& flags, int limit_ms = 60'000);

// Peak resident memory (VmHWM) of a live process, in bytes; 0 when unknown.
long peak_rss_bytes(int pid);

}  // namespace grid::test
