#include "grid/feeders/topology.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "grid/proto/limits.h"

namespace grid::feeders {
namespace {

using json = nlohmann::json;

// Where each feeder object sits in the text, so a rule broken inside it names its line. The file
// has one shape (a root object whose "feeders" array holds the feeder objects), so the objects
// that open at nesting depth 2 are the feeders, in order.
struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
};

std::vector<Span> feeder_spans(std::string_view text) {
  std::vector<Span> spans;
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (c == '{' && depth == 2) spans.push_back({i, text.size()});
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
      if (c == '}' && depth == 2 && !spans.empty()) spans.back().end = i + 1;
    }
  }
  return spans;
}

std::size_t line_at(std::string_view text, std::size_t offset) {
  offset = std::min(offset, text.size());
  std::size_t line = 1;
  for (std::size_t i = 0; i < offset; ++i) line += text[i] == '\n' ? 1 : 0;
  return line;
}

class Checker {
public:
  Checker(std::string_view text, std::string_view source) : text_(text), source_(source), spans_(feeder_spans(text)) {}

  [[noreturn]] void fail_at(std::size_t offset, const std::string& what) const {
    throw TopologyError(fmt::format("{} line {}: {}", source_, line_at(text_, offset), what));
  }
  // The line of feeder k, or of `needle` inside it (its nth occurrence there) when given.
  [[noreturn]] void fail(std::size_t k, const std::string& what, std::string_view needle = {}, int nth = 1) const {
    if (k >= spans_.size()) fail_at(0, what);
    const Span span = spans_[k];
    std::size_t at = span.begin;
    if (!needle.empty()) {
      const std::string_view object = text_.substr(span.begin, span.end - span.begin);
      std::size_t from = 0;
      for (int i = 0; i < nth; ++i) {
        const std::size_t found = object.find(needle, from);
        if (found == std::string_view::npos) break;
        at = span.begin + found;
        from = found + 1;
      }
    }
    fail_at(at, what);
  }

private:
  std::string_view text_;
  std::string_view source_;
  std::vector<Span> spans_;
};

std::string in_quotes(std::string_view s) { return fmt::format("\"{}\"", s); }

bool valid_id(const json& value) {
  if (!value.is_string()) return false;
  const auto& id = value.get_ref<const std::string&>();
  if (id.empty() || id.size() > proto::limits::max_id_bytes) return false;
  for (const char c : id) {
    if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e) return false;
  }
  return true;
}

}  // namespace

Topology Topology::parse(std::string_view text, std::string_view source) {
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& error) {
    // byte is 1-based and points just past where parsing stopped.
    const std::size_t at = error.byte > 0 ? error.byte - 1 : 0;
    throw TopologyError(fmt::format("{} line {}: not valid JSON ({})", source, line_at(text, at), error.what()));
  }
  const Checker check(text, source);
  if (!root.is_object()) check.fail_at(0, "the topology must be a JSON object with a \"feeders\" array");
  for (const auto& [key, value] : root.items()) {
    if (key != "feeders") check.fail_at(text.find(in_quotes(key)), fmt::format("unknown key \"{}\"", key));
  }
  if (!root.contains("feeders") || !root["feeders"].is_array()) {
    check.fail_at(text.find("\"feeders\""), "\"feeders\" must be an array of feeder objects");
  }

  Topology topology;
  std::vector<std::string> parents;
  const json& list = root["feeders"];
  for (std::size_t k = 0; k < list.size(); ++k) {
    const json& item = list[k];
    if (!item.is_object()) check.fail(k, fmt::format("feeder #{} is not an object", k + 1));
    for (const auto& [key, value] : item.items()) {
      if (key != "id" && key != "parent" && key != "limit_kw" && key != "substations") {
        check.fail(k, fmt::format("unknown key \"{}\" (expected id, parent, limit_kw, substations)", key), in_quotes(key));
      }
    }
    if (!item.contains("id") || !valid_id(item["id"])) {
      check.fail(k, "a feeder needs an \"id\": a non-empty printable string of at most 64 bytes", "\"id\"");
    }
    Feeder feeder;
    feeder.id = item["id"].get<std::string>();
    if (topology.by_id_.count(feeder.id) != 0) {
      check.fail(k, fmt::format("feeder \"{}\" is declared twice", feeder.id), "\"id\"");
    }
    const json* limit = item.contains("limit_kw") ? &item["limit_kw"] : nullptr;
    if (limit == nullptr || !limit->is_number() || !std::isfinite(limit->get<double>()) || limit->get<double>() <= 0) {
      check.fail(k, fmt::format("feeder \"{}\" needs \"limit_kw\": a finite number > 0", feeder.id), "\"limit_kw\"");
    }
    feeder.limit_kw = limit->get<double>();
    std::string parent;
    if (item.contains("parent")) {
      if (!valid_id(item["parent"])) check.fail(k, "\"parent\" must be a feeder id", "\"parent\"");
      parent = item["parent"].get<std::string>();
      if (parent == feeder.id) check.fail(k, fmt::format("feeder \"{}\" is its own parent", feeder.id), "\"parent\"");
    }
    if (item.contains("substations")) {
      const json& subs = item["substations"];
      if (!subs.is_array()) check.fail(k, "\"substations\" must be an array of ids", "\"substations\"");
      for (const json& sub : subs) {
        if (!valid_id(sub)) check.fail(k, "a substation id must be a non-empty printable string", "\"substations\"");
        const auto& id = sub.get_ref<const std::string&>();
        if (const auto found = topology.feeder_of_substation_.find(id); found != topology.feeder_of_substation_.end()) {
          const auto& other = found->second == topology.feeders_.size() ? feeder.id : topology.feeders_[found->second].id;
          const int nth = found->second == topology.feeders_.size() ? 2 : 1;
          check.fail(k, fmt::format("substation \"{}\" is already on feeder \"{}\": a substation hangs on one feeder", id,
                                    other),
                     in_quotes(id), nth);
        }
        topology.feeder_of_substation_.emplace(id, topology.feeders_.size());
        feeder.substations.push_back(id);
      }
    }
    topology.by_id_.emplace(feeder.id, topology.feeders_.size());
    topology.feeders_.push_back(std::move(feeder));
    parents.push_back(std::move(parent));
  }

  // Parents: known, no cycles, depth within bounds.
  const std::size_t n = topology.feeders_.size();
  for (std::size_t k = 0; k < n; ++k) {
    if (parents[k].empty()) continue;
    const auto found = topology.by_id_.find(parents[k]);
    if (found == topology.by_id_.end()) {
      check.fail(k, fmt::format("feeder \"{}\" names an unknown parent \"{}\"", topology.feeders_[k].id, parents[k]),
                 "\"parent\"");
    }
    topology.feeders_[k].parent = found->second;
  }
  for (std::size_t k = 0; k < n; ++k) {
    std::size_t depth = 1;
    for (std::size_t at = topology.feeders_[k].parent; at != no_parent; at = topology.feeders_[at].parent) {
      if (at == k || depth > n) {
        check.fail(k, fmt::format("feeder \"{}\" is its own ancestor (a cycle of parents)", topology.feeders_[k].id),
                   "\"parent\"");
      }
      ++depth;
    }
    if (depth > max_depth) {
      check.fail(k, fmt::format("feeder \"{}\" is {} levels deep; at most {} are allowed", topology.feeders_[k].id,
                                depth, max_depth),
                 "\"parent\"");
    }
    topology.feeders_[k].depth = depth;
  }

  // Re-order so parents come first (by depth, stable), and re-index.
  std::vector<std::size_t> order(n);
  for (std::size_t k = 0; k < n; ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return topology.feeders_[a].depth < topology.feeders_[b].depth;
  });
  std::vector<std::size_t> new_index(n);
  for (std::size_t i = 0; i < n; ++i) new_index[order[i]] = i;
  Topology sorted;
  for (const std::size_t old : order) {
    Feeder feeder = std::move(topology.feeders_[old]);
    if (feeder.parent != no_parent) feeder.parent = new_index[feeder.parent];
    sorted.by_id_.emplace(feeder.id, sorted.feeders_.size());
    for (const auto& sub : feeder.substations) sorted.feeder_of_substation_.emplace(sub, sorted.feeders_.size());
    sorted.feeders_.push_back(std::move(feeder));
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (sorted.feeders_[i].parent != no_parent) sorted.feeders_[sorted.feeders_[i].parent].children.push_back(i);
  }
  for (const auto& feeder : sorted.feeders_) {
    for (const auto& sub : feeder.substations) {
      for (const std::size_t at : sorted.path_of(sub)) ++sorted.feeders_[at].substations_under;
    }
  }
  return sorted;
}

Topology Topology::load(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw TopologyError(fmt::format("{}: cannot read the topology file", path));
  std::ostringstream text;
  text << file.rdbuf();
  return parse(text.str(), path);
}

std::optional<std::size_t> Topology::feeder_index(std::string_view id) const {
  const auto found = by_id_.find(std::string(id));
  if (found == by_id_.end()) return std::nullopt;
  return found->second;
}

std::optional<std::size_t> Topology::feeder_of(std::string_view substation) const {
  const auto found = feeder_of_substation_.find(std::string(substation));
  if (found == feeder_of_substation_.end()) return std::nullopt;
  return found->second;
}

std::vector<std::size_t> Topology::path_of(std::string_view substation) const {
  std::vector<std::size_t> path;
  for (auto at = feeder_of(substation); at && *at != no_parent; at = feeders_[*at].parent) {
    path.push_back(*at);
    if (feeders_[*at].parent == no_parent) break;
  }
  return path;
}

double Topology::safe_share_kw(std::string_view substation, const std::vector<double>& limit_kw) const {
  const auto path = path_of(substation);
  if (path.empty()) return 0;
  long long share_w = std::numeric_limits<long long>::max();
  for (const std::size_t at : path) {
    const double limit = at < limit_kw.size() ? limit_kw[at] : feeders_[at].limit_kw;
    const auto limit_w = std::isfinite(limit) && limit > 0 ? static_cast<long long>(std::floor(limit * 1000)) : 0LL;
    share_w = std::min(share_w, limit_w / static_cast<long long>(feeders_[at].substations_under));
  }
  return static_cast<double>(share_w) / 1000;
}

}  // namespace grid::feeders
