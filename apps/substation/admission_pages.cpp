#include "admission_pages.h"

#include <algorithm>

namespace grid::substation {

void AdmissionPages::take(std::uint64_t token, Entries entries) {
  std::erase_if(snapshots_, [&](const Snapshot& snapshot) { return snapshot.token == token; });
  snapshots_.push_back({token, std::move(entries)});
  while (snapshots_.size() > kept) snapshots_.pop_front();
}

proto::AdmissionIndex AdmissionPages::read(const proto::IndexQuery& query) const {
  proto::AdmissionIndex page{.token = query.token, .page = query.page};
  const auto found = std::find_if(snapshots_.begin(), snapshots_.end(),
                                  [&](const Snapshot& snapshot) { return snapshot.token == query.token; });
  if (found == snapshots_.end()) return page;  // pages 0: not held (any more)
  const std::size_t per_page = proto::AdmissionIndex::max_entries;
  const std::size_t count = found->entries.size();
  // An empty memory is one empty page, so the reader always gets a definite last page.
  page.pages = static_cast<std::uint32_t>(std::max<std::size_t>(1, (count + per_page - 1) / per_page));
  if (query.page >= page.pages) {
    page.pages = 0;  // past the end: a confused reader starts over
    return page;
  }
  const std::size_t first = std::size_t{query.page} * per_page;
  for (std::size_t i = first; i < std::min(count, first + per_page); ++i) {
    page.request_ids.push_back(found->entries[i].first);
    page.session_ids.push_back(found->entries[i].second);
  }
  return page;
}

}  // namespace grid::substation
