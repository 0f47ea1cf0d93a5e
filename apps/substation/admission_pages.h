#pragma once
// Serves a balancer's reading of this substation's admission memory (IndexQuery), page by page.
// Page 0 takes a snapshot of Station::admissions() under the balancer's token; later pages read
// that snapshot, so the pages add up to one list even while admissions go on (those reach the
// balancer in their JobResults anyway). A few snapshots are kept at once (one per balancer
// reading); a page of a token no longer held answers `pages` 0 and the balancer starts over.
// Thread-safety: none; the substation's thread owns it.

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "grid/proto/messages.h"

namespace grid::substation {

class AdmissionPages {
public:
  using Entries = std::vector<std::pair<std::string, std::string>>;  // request id, session id

  // `admissions` is called for page 0 only.
  template <class Admissions>
  proto::AdmissionIndex page(const proto::IndexQuery& query, Admissions&& admissions) {
    if (query.page == 0) take(query.token, admissions());
    return read(query);
  }

private:
  static constexpr std::size_t kept = 4;

  struct Snapshot {
    std::uint64_t token;
    Entries entries;
  };

  void take(std::uint64_t token, Entries entries);
  proto::AdmissionIndex read(const proto::IndexQuery& query) const;

  std::deque<Snapshot> snapshots_;  // newest last
};

}  // namespace grid::substation
