#include <strings.h>

#include "grid/http/server.h"

namespace grid::http {
namespace {

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::optional<std::string_view> Request::header(std::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (same_name(field, name)) return std::string_view(value);
  }
  return std::nullopt;
}

std::size_t Request::header_count(std::string_view name) const {
  std::size_t count = 0;
  for (const auto& [field, value] : headers) count += same_name(field, name) ? 1 : 0;
  return count;
}

std::string_view Request::param(std::string_view name) const {
  for (const auto& [key, value] : params) {
    if (key == name) return value;
  }
  return {};
}

}  // namespace grid::http
