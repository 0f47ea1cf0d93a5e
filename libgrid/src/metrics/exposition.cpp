#include "grid/metrics/exposition.h"

#include <algorithm>
#include <locale>
#include <sstream>

#include <prometheus/text_serializer.h>

namespace grid::metrics {
namespace {

bool by_labels(const prometheus::ClientMetric& a, const prometheus::ClientMetric& b) { return a.label < b.label; }

// The text format wants a backslash and a newline in HELP escaped; prometheus-cpp 1.0.1's
// serializer escapes label values but writes HELP as given, so a help text of two lines would
// make the whole scrape unparseable.
std::string escape_help(const std::string& help) {
  if (help.find_first_of("\\\n") == std::string::npos) return help;
  std::string out;
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

void Exposition::add(std::shared_ptr<const prometheus::Collectable> collectable) {
  std::lock_guard lock(mutex_);
  collectables_.push_back(std::move(collectable));
}

std::vector<prometheus::MetricFamily> Exposition::collect() const {
  auto families = registry_.Collect();
  std::vector<std::shared_ptr<const prometheus::Collectable>> extra;
  {
    std::lock_guard lock(mutex_);
    extra = collectables_;
  }
  for (const auto& collectable : extra) {
    auto more = collectable->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()), std::make_move_iterator(more.end()));
  }
  std::sort(families.begin(), families.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  for (auto& family : families) {
    std::sort(family.metric.begin(), family.metric.end(), by_labels);
  }
  return families;
}

std::string Exposition::text() const {
  std::ostringstream out;
  out.imbue(std::locale::classic());  // no digit grouping or decimal comma, whatever the process set
  auto families = collect();
  for (auto& family : families) family.help = escape_help(family.help);
  prometheus::TextSerializer().Serialize(out, families);
  return std::move(out).str();
}

}  // namespace grid::metrics
