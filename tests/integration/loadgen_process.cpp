#include "loadgen_process.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "support/process.h"

namespace grid::test {

LoadgenResult run_loadgen_process(const std::string& binary, const std::string& target,
                                  const std::vector<std::string>& flags, int limit_ms) {
  static std::atomic<int> counter{0};
  const auto path = std::filesystem::temp_directory_path() /
                    ("grid-loadgen-run-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + ".json");
  std::vector<std::string> argv{binary, "--target", target, "--json", path.string()};
  argv.insert(argv.end(), flags.begin(), flags.end());
  ChildProcess loadgen("loadgen", argv);
  LoadgenResult result;
  result.exit_code = loadgen.wait(limit_ms);
  result.log = loadgen.log();
  std::ifstream in(path);
  if (in) {
    auto json = nlohmann::json::parse(in, nullptr, false);
    if (!json.is_discarded()) result.summary = std::move(json);
  }
  std::filesystem::remove(path);
  return result;
}

long peak_rss_bytes(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      long kib = 0;
      status >> kib;
      return kib * 1024;
    }
  }
  return 0;
}

}  // namespace grid::test
