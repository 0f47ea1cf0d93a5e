#pragma once
// Prometheus' naming rules, checked once at registration so a bad name fails at start-up instead
// of making every scrape unparseable.

#include <string>
#include <vector>

namespace grid::metrics::detail {

// [a-zA-Z_:][a-zA-Z0-9_:]*, not starting with "__".
bool valid_metric_name(const std::string& name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__".
bool valid_label_name(const std::string& name);

// Throws std::invalid_argument for a bad metric name, bad or duplicate label names, or "le"
// among a histogram's labels. Returns the label names sorted.
std::vector<std::string> checked_names(const std::string& metric, std::vector<std::string> label_names,
                                       bool is_histogram);

}  // namespace grid::metrics::detail
