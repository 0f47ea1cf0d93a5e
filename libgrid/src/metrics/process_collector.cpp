#include "grid/metrics/process_collector.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>

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
  if (result.ec != std::errc{}) return std::nullopt;
  return value;
}

std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto start = text.find_first_not_of(" \n", pos);
    if (start == std::string_view::npos) break;
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
  if (paren == std::string::npos) return {};
  return split_fields(std::string_view(stat).substr(paren + 1));
}
// The views point into `stat`: a temporary would leave them dangling.
std::vector<std::string_view> stat_fields(std::string&&) = delete;

std::optional<double> field(const std::vector<std::string_view>& fields, int proc5_number) {
  const auto index = static_cast<std::size_t>(proc5_number - 3);
  return index < fields.size() ? parse_number(fields[index]) : std::nullopt;
}

std::optional<double> boot_time_seconds() {
  const std::string stat = read_file("/proc/stat");
  const auto at = stat.find("\nbtime ");
  if (at == std::string::npos) return std::nullopt;
  const auto start = at + 7;
  return parse_number(std::string_view(stat).substr(start, stat.find('\n', start) - start));
}

std::optional<double> open_fds() {
  std::error_code ec;
  double count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) {
    ++count;
  }
  if (ec) return std::nullopt;
  return count;
}

// One family of one unlabelled sample, when there is a value to show.
void add(std::vector<prometheus::MetricFamily>& out, const char* name, const char* help, prometheus::MetricType type,
         std::optional<double> value) {
  if (!value) return;
  prometheus::ClientMetric sample;
  if (type == prometheus::MetricType::Counter) {
    sample.counter.value = *value;
  } else {
    sample.gauge.value = *value;
  }
  out.push_back(prometheus::MetricFamily{name, help, type, {sample}});
}

}  // namespace

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  using prometheus::MetricType;
  const auto ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  const auto page_size = static_cast<double>(sysconf(_SC_PAGESIZE));
  const std::string stat = read_file("/proc/self/stat");  // outlives the views into it
  const auto fields = stat_fields(stat);
  const auto utime = field(fields, 14);
  const auto stime = field(fields, 15);
  const auto start_ticks = field(fields, 22);
  const auto rss_pages = field(fields, 24);
  const auto boot = boot_time_seconds();
  rlimit limit{};
  const bool has_limit = getrlimit(RLIMIT_NOFILE, &limit) == 0;

  std::optional<double> cpu_seconds;
  if (utime && stime && ticks_per_second > 0) cpu_seconds = (*utime + *stime) / ticks_per_second;
  std::optional<double> resident;
  if (rss_pages && page_size > 0) resident = *rss_pages * page_size;
  std::optional<double> start_time;
  if (start_ticks && boot && ticks_per_second > 0) start_time = *boot + *start_ticks / ticks_per_second;

  std::vector<prometheus::MetricFamily> out;
  add(out, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", MetricType::Counter,
      cpu_seconds);
  add(out, "process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge, resident);
  add(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge, field(fields, 23));
  add(out, "process_open_fds", "Number of open file descriptors.", MetricType::Gauge, open_fds());
  add(out, "process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge,
      has_limit ? std::optional<double>(static_cast<double>(limit.rlim_cur)) : std::nullopt);
  add(out, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.", MetricType::Gauge,
      start_time);
  return out;
}

}  // namespace grid::metrics
