// Runs a fuzz target's LLVMFuzzerTestOneInput over files, the way libFuzzer replays a corpus, so
// that every normal (gcc) build checks the committed corpus without libFuzzer.
//   <target>_replay PATH...   each PATH a file or a directory (its regular files, in name order)
// A property violation aborts inside the target; exit status 1 means no input was found at all
// (a corpus path gone wrong must not pass as "nothing failed").
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::filesystem::path> inputs_under(const std::filesystem::path& path) {
  std::vector<std::filesystem::path> found;
  if (std::filesystem::is_directory(path)) {
    for (const auto& entry : std::filesystem::directory_iterator(path)) {
      if (entry.is_regular_file()) found.push_back(entry.path());
    }
    std::sort(found.begin(), found.end());
  } else if (std::filesystem::is_regular_file(path)) {
    found.push_back(path);
  }
  return found;
}

std::string read_whole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    for (const auto& file : inputs_under(argv[i])) {
      const std::string bytes = read_whole(file);
      // Print before running, so the input that crashes is the last one named.
      std::printf("replay %s (%zu bytes)\n", file.c_str(), bytes.size());
      std::fflush(stdout);
      // A copy on the heap of exactly the input's size, so AddressSanitizer sees an overread.
      std::vector<std::uint8_t> exact(bytes.begin(), bytes.end());
      LLVMFuzzerTestOneInput(exact.data(), exact.size());
      ++replayed;
    }
  }
  std::printf("replayed %zu inputs\n", replayed);
  return replayed == 0 ? 1 : 0;
}
