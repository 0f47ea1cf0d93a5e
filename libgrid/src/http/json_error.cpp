#include <cstdio>

#include "grid/http/server.h"

namespace grid::http {
namespace {

// Enough of JSON's string escaping for our own messages; no JSON library is needed for one key.
std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += escaped;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace

Response json_error(int status, std::string_view message) {
  return Response{status, "application/json", "{\"error\":" + json_string(message) + "}", {}};
}

}  // namespace grid::http
