#include <doctest/doctest.h>

#include "grid/util/host_port.h"

TEST_CASE("HOST:PORT parsing accepts the usual forms and rejects the rest") {
  struct Row {
    const char* text;
    bool ok;
    const char* host;
    int port;
  };
  const Row rows[] = {
      {"127.0.0.1:9100", true, "127.0.0.1", 9100}, {":8080", true, "0.0.0.0", 8080},
      {"[::1]:80", true, "::1", 80},              {"localhost:0", true, "localhost", 0},
      {"host", false, "", 0},                     {"host:", false, "", 0},
      {"host:65536", false, "", 0},               {"host:12x", false, "", 0},
      {"::1:80", false, "", 0},                   {"[::1]80", false, "", 0},
  };
  for (const auto& row : rows) {
    CAPTURE(row.text);
    const auto parsed = grid::parse_host_port(row.text);
    REQUIRE(parsed.has_value() == row.ok);
    if (row.ok) {
      CHECK(parsed->host == row.host);
      CHECK(parsed->port == row.port);
    }
  }
}
