#pragma once
// The sessions running on a substation: kept side by side in a vector, found by id through an
// index. Every control tick walks all of them twice (settling energy, then re-allocating), and at
// thousands of sessions a walk over hash-map nodes scattered in memory missed the cache on each
// one; a vector walk does not. Removal moves the last session into the gap, so the order of the
// walk is not the arrival order (the allocator orders by policy and arrival itself).
// Thread-safety: none; the substation's thread owns it.

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "session.h"

namespace grid::substation {

class SessionBook {
public:
  Session* find(std::string_view id);
  const Session* find(std::string_view id) const;
  // Adds a session whose id is not in the book yet; the reference lasts until the next add/take.
  Session& add(Session session);
  // Removes the session with this id (which must be in the book) and returns it.
  Session take(std::string_view id);

  std::size_t size() const { return sessions_.size(); }
  bool empty() const { return sessions_.empty(); }
  auto begin() { return sessions_.begin(); }
  auto end() { return sessions_.end(); }
  auto begin() const { return sessions_.begin(); }
  auto end() const { return sessions_.end(); }

private:
  std::vector<Session> sessions_;
  std::unordered_map<std::string, std::size_t> index_;  // session id -> position in sessions_
};

}  // namespace grid::substation
