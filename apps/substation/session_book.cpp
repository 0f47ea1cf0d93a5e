#include "session_book.h"

#include <utility>

namespace grid::substation {

Session* SessionBook::find(std::string_view id) {
  const auto found = index_.find(std::string(id));
  return found == index_.end() ? nullptr : &sessions_[found->second];
}

const Session* SessionBook::find(std::string_view id) const {
  const auto found = index_.find(std::string(id));
  return found == index_.end() ? nullptr : &sessions_[found->second];
}

Session& SessionBook::add(Session session) {
  index_.emplace(session.session_id, sessions_.size());
  sessions_.push_back(std::move(session));
  return sessions_.back();
}

Session SessionBook::take(std::string_view id) {
  const auto found = index_.find(std::string(id));
  const std::size_t at = found->second;
  index_.erase(found);
  Session taken = std::move(sessions_[at]);
  if (at + 1 != sessions_.size()) {
    sessions_[at] = std::move(sessions_.back());
    index_[sessions_[at].session_id] = at;
  }
  sessions_.pop_back();
  return taken;
}

}  // namespace grid::substation
