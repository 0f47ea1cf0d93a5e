#pragma once
// The feeder topology: which substations hang on which feeder, each feeder's own kW limit, and
// how feeders nest. Loaded once at start from a JSON file that is the source of truth (a
// substation's --feeder is only checked against it); see docs/feeders.md for the format.
// Thread-safety: immutable after parse; share it freely.

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace grid::feeders {

// A topology file that cannot be used; what() names the file and the line.
class TopologyError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

inline constexpr std::size_t max_depth = 4;  // feeder levels from a root feeder down, inclusive
inline constexpr std::size_t no_parent = static_cast<std::size_t>(-1);

struct Feeder {
  std::string id;
  std::size_t parent = no_parent;  // index into Topology::feeders()
  double limit_kw = 0;             // > 0 and finite
  std::vector<std::string> substations;
  std::vector<std::size_t> children;  // feeder indexes
  std::size_t depth = 1;              // 1 for a root feeder
  std::size_t substations_under = 0;  // its substations and those of the feeders below it
};

class Topology {
public:
  Topology() = default;  // no feeders: nothing is feeder-limited
  // Throws TopologyError for malformed JSON or a topology that breaks a rule; `source` names the
  // text in the message (a file name).
  static Topology parse(std::string_view text, std::string_view source = "topology");
  static Topology load(const std::string& path);

  // Parents come before their children, so a reverse walk visits children first.
  const std::vector<Feeder>& feeders() const { return feeders_; }
  bool empty() const { return feeders_.empty(); }
  std::optional<std::size_t> feeder_index(std::string_view id) const;
  // The feeder a substation hangs on, if the topology names it.
  std::optional<std::size_t> feeder_of(std::string_view substation) const;
  // The substation's feeder, then its parent, up to the root.
  std::vector<std::size_t> path_of(std::string_view substation) const;
  // A substation's safe share: each feeder's limit on its path split equally over ALL the
  // substations the topology places under that feeder (nested ones included), the tightest of
  // them, in whole watts rounded down; 0 for a substation the topology does not place. It depends
  // on the topology and the limits only, never on who is live or what they want, so the shares
  // sent by different balancers (each from its own view) still sum within every limit.
  // limit_kw: each feeder's effective limit by index; missing entries are the topology's.
  double safe_share_kw(std::string_view substation, const std::vector<double>& limit_kw = {}) const;

private:
  std::vector<Feeder> feeders_;
  std::unordered_map<std::string, std::size_t> by_id_;
  std::unordered_map<std::string, std::size_t> feeder_of_substation_;
};

}  // namespace grid::feeders
