#include "grid/metrics/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace grid::metrics {
namespace {

std::string read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// from_chars rather than streams: a global locale with digit grouping must not change parsing.
std::optional<double> parse_number(std::string_view text) {
  double value = 0.0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc{}) {
    return std::nullopt;
  }
  return value;
}

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto start = text.find_first_not_of(" \n", pos);
    if (start == std::string_view::npos) {
      break;
    }
    const auto end = std::min(text.find_first_of(" \n", start), text.size());
    fields.push_back(text.substr(start, end - start));
    pos = end;
  }
  return fields;
}

// Fields of /proc/self/stat after the command name, which may itself hold spaces and parentheses.
// Index 0 is field 3 (state) of proc(5).
std::vector<std::string_view> stat_fields(const std::string& stat) {
  const auto paren = stat.rfind(')');
  if (paren == std::string::npos) {
    return {};
  }
  return split_fields(std::string_view(stat).substr(paren + 1));
}

std::optional<double> field(const std::vector<std::string_view>& fields, int proc5_number) {
  const auto index = static_cast<std::size_t>(proc5_number - 3);
  return index < fields.size() ? parse_number(fields[index]) : std::nullopt;
}

std::optional<double> boot_time_seconds() {
  const std::string stat = read_file("/proc/stat");
  const auto at = stat.find("\nbtime ");
  if (at == std::string::npos) {
    return std::nullopt;
  }
  const auto start = at + 7;
  return parse_number(std::string_view(stat).substr(start, stat.find('\n', start) - start));
}

std::optional<double> open_fds() {
  std::error_code ec;
  double count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) {
    ++count;
  }
  if (ec) {
    return std::nullopt;
  }
  return count;
}

struct ProcessSeries {
  Counter* cpu_seconds = nullptr;
  Gauge* resident_bytes = nullptr;
  Gauge* virtual_bytes = nullptr;
  Gauge* open_fds = nullptr;
  Gauge* max_fds = nullptr;
  Gauge* start_time = nullptr;
  std::mutex mutex;         // concurrent scrapes must not both add the same CPU time
  double cpu_reported = 0;  // the CPU seconds already added to the counter
};

void refresh(ProcessSeries& s) {
  const auto ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  const auto page_size = static_cast<double>(sysconf(_SC_PAGESIZE));
  const auto fields = stat_fields(read_file("/proc/self/stat"));
  const auto utime = field(fields, 14);
  const auto stime = field(fields, 15);
  if (utime && stime && ticks_per_second > 0) {
    // /proc gives the total; a Counter only goes up by increments, so add what is new.
    const double total = (*utime + *stime) / ticks_per_second;
    std::lock_guard lock(s.mutex);
    if (total > s.cpu_reported) {
      s.cpu_seconds->inc(total - s.cpu_reported);
      s.cpu_reported = total;
    }
  }
  if (const auto vsize = field(fields, 23)) {
    s.virtual_bytes->set(*vsize);
  }
  if (const auto rss = field(fields, 24); rss && page_size > 0) {
    s.resident_bytes->set(*rss * page_size);
  }
  const auto start_ticks = field(fields, 22);
  const auto boot = boot_time_seconds();
  if (start_ticks && boot && ticks_per_second > 0) {
    s.start_time->set(*boot + *start_ticks / ticks_per_second);
  }
  if (const auto fds = open_fds()) {
    s.open_fds->set(*fds);
  }
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    s.max_fds->set(static_cast<double>(limit.rlim_cur));
  }
}

}  // namespace

void add_process_metrics(Registry& registry) {
  auto s = std::make_shared<ProcessSeries>();
  s->cpu_seconds =
      &registry.counter("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.").add({});
  s->resident_bytes = &registry.gauge("process_resident_memory_bytes", "Resident memory size in bytes.").add({});
  s->virtual_bytes = &registry.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes.").add({});
  s->open_fds = &registry.gauge("process_open_fds", "Number of open file descriptors.").add({});
  s->max_fds = &registry.gauge("process_max_fds", "Maximum number of open file descriptors.").add({});
  s->start_time =
      &registry.gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds.").add({});
  registry.on_collect([s] { refresh(*s); });
}

}  // namespace grid::metrics
