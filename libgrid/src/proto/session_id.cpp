#include "grid/proto/session_id.h"

#include <fmt/format.h>

namespace grid::proto {

std::string make_session_id(std::string_view substation_id, std::uint64_t boot, std::uint64_t counter) {
  return fmt::format("{}.{:08x}-{}", substation_id, boot & 0xffffffffu, counter);
}

std::string_view substation_of(std::string_view session_id) {
  const auto dot = session_id.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  const auto suffix = session_id.substr(dot + 1);
  const auto dash = suffix.find('-');
  if (dash != 8 || suffix.size() == 9) return {};
  for (std::size_t i = 0; i < suffix.size(); ++i) {
    const char c = suffix[i];
    const bool ok = i < 8 ? ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) : (i == 8 || (c >= '0' && c <= '9'));
    if (!ok) return {};
  }
  return session_id.substr(0, dot);
}

}  // namespace grid::proto
