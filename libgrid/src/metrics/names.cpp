#include "names.h"

#include <algorithm>
#include <stdexcept>

namespace grid::metrics::detail {
namespace {

// Hand-written rather than std::regex: the character classes are ASCII by definition, and
// std::regex would consult the global locale.
bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool valid_name(const std::string& name, bool allow_colon) {
  if (name.empty() || name.rfind("__", 0) == 0) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = is_letter(c) || (allow_colon && c == ':') || (i > 0 && is_digit(c));
    if (!ok) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool valid_metric_name(const std::string& name) { return valid_name(name, true); }
bool valid_label_name(const std::string& name) { return valid_name(name, false); }

std::vector<std::string> checked_names(const std::string& metric, std::vector<std::string> label_names,
                                       bool is_histogram) {
  if (!valid_metric_name(metric)) {
    throw std::invalid_argument("invalid metric name '" + metric + "'");
  }
  for (const auto& label : label_names) {
    if (!valid_label_name(label)) {
      throw std::invalid_argument("metric '" + metric + "': invalid label name '" + label + "'");
    }
    if (is_histogram && label == "le") {
      throw std::invalid_argument("histogram '" + metric + "': label name 'le' is reserved");
    }
  }
  std::sort(label_names.begin(), label_names.end());
  const auto dup = std::adjacent_find(label_names.begin(), label_names.end());
  if (dup != label_names.end()) {
    throw std::invalid_argument("metric '" + metric + "': duplicate label name '" + *dup + "'");
  }
  return label_names;
}

}  // namespace grid::metrics::detail
