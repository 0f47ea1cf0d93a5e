// A substation serving its admission memory to a (re)connected balancer, page by page.
#include <doctest/doctest.h>

#include <string>

#include "admission_pages.h"

using grid::substation::AdmissionPages;
using grid::proto::AdmissionIndex;
using grid::proto::IndexQuery;

namespace {

AdmissionPages::Entries entries(std::size_t count, const std::string& prefix = "r") {
  AdmissionPages::Entries made;
  for (std::size_t i = 0; i < count; ++i) made.emplace_back(prefix + std::to_string(i), "north.1-" + std::to_string(i));
  return made;
}

}  // namespace

TEST_CASE("the pages of a snapshot add up to the admissions at page 0, in order") {
  AdmissionPages pages;
  const auto held = entries(45);
  const AdmissionIndex first = pages.page(IndexQuery{7, 0}, [&] { return held; });
  REQUIRE(first.pages == 3);
  AdmissionPages::Entries read;
  for (std::size_t i = 0; i < first.request_ids.size(); ++i) read.emplace_back(first.request_ids[i], first.session_ids[i]);
  for (std::uint32_t page = 1; page < first.pages; ++page) {
    // Admissions go on meanwhile: later pages still read the snapshot.
    const AdmissionIndex answer = pages.page(IndexQuery{7, page}, [&] { return entries(99, "later"); });
    CHECK(answer.token == 7);
    CHECK(answer.pages == 3);
    CHECK(answer.request_ids.size() <= AdmissionIndex::max_entries);
    for (std::size_t i = 0; i < answer.request_ids.size(); ++i) read.emplace_back(answer.request_ids[i], answer.session_ids[i]);
  }
  CHECK(read == held);
}

TEST_CASE("an empty memory is one empty page, and an unknown token or page says pages 0") {
  AdmissionPages pages;
  const AdmissionIndex empty = pages.page(IndexQuery{1, 0}, [] { return AdmissionPages::Entries{}; });
  CHECK(empty.pages == 1);
  CHECK(empty.request_ids.empty());
  CHECK(pages.page(IndexQuery{2, 1}, [] { return entries(5); }).pages == 0);  // never snapshotted
  CHECK(pages.page(IndexQuery{1, 1}, [] { return entries(5); }).pages == 0);  // past the end
}

TEST_CASE("a few readers are served at once, the oldest snapshot goes first") {
  AdmissionPages pages;
  for (std::uint64_t token = 1; token <= 5; ++token) {
    pages.page(IndexQuery{token, 0}, [&] { return entries(30); });
  }
  CHECK(pages.page(IndexQuery{1, 1}, [] { return entries(0); }).pages == 0);
  CHECK(pages.page(IndexQuery{2, 1}, [] { return entries(0); }).pages == 2);
  CHECK(pages.page(IndexQuery{5, 1}, [] { return entries(0); }).request_ids.size() == 10);
}
