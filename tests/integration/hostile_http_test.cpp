// Hostile HTTP against the real edge: each attack gets a 4xx or a closed connection, and an honest
// client on another connection is served meanwhile.
#include <doctest/doctest.h>

#include <thread>

#include "cluster.h"
#include "support/http_get.h"
#include "support/wait.h"

using namespace grid::test;
using namespace std::chrono_literals;

#ifdef GRID_EDGE_BIN
namespace {

std::string post(const std::string& body, const std::string& content_type = "application/json") {
  return "POST /charge HTTP/1.1\r\nHost: x\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// An honest charge, asked again on a 503 as the API tells a client to ("not now": on a loaded
// machine a substation's heartbeat can come late enough for it to count as dead for a moment).
// The edge must keep serving: any other status, or no 200 within the wait, fails the test.
std::optional<HttpReply> honest_charge(int edge, const std::string& vehicle) {
  std::optional<HttpReply> reply;
  wait_until([&] {
    reply = http_request(edge, "POST", "/charge", R"({"vehicle_id": ")" + vehicle + R"("})", "application/json");
    return !reply || reply->status != 503;
  }, 10s, 50ms);
  return reply;
}

int status_of(const RawExchange& exchange) {
  if (exchange.received.rfind("HTTP/1.1 ", 0) != 0) return 0;
  return std::atoi(exchange.received.c_str() + 9);
}

}  // namespace

TEST_CASE("hostile HTTP gets a 4xx or a closed connection, and the edge keeps serving others") {
  Cluster cluster;
  cluster.start_balancer();
  cluster.add_substation("north", 1000);
  const int edge = cluster.start_edge();
  REQUIRE(wait_until([&] {
    const auto health = http_get(edge, "/healthz");
    return health && health->status == 200;
  }));

  struct Attack {
    const char* name;
    std::string bytes;
  };
  const std::string deep_array(100'000, '[');
  const std::vector<Attack> attacks{
      {"malformed request line", "GARBAGE\r\n\r\n"},
      {"binary request line", std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11) + "\r\n\r\n"},
      {"huge header", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n"},
      {"body over the limit", post(std::string(70 * 1024, ' '))},
      {"invalid UTF-8", post("{\"vehicle_id\": \"EV-\xff\xfe\"}")},
      {"deeply nested JSON", post("{\"vehicle_id\": " + deep_array + "}")},
      {"1e309", post(R"({"vehicle_id": "EV-1", "power_kw": 1e309})")},
      {"NaN", post(R"({"vehicle_id": "EV-1", "power_kw": NaN})")},
      {"duplicate keys", post(R"({"vehicle_id": "EV-1", "vehicle_id": "EV-2"})")},
      {"not JSON at all", post("vehicle_id=EV-1", "application/x-www-form-urlencoded")},
      {"negative length", "POST /charge HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n"},
  };
  for (const auto& attack : attacks) {
    CAPTURE(attack.name);
    const auto exchange = raw_exchange(edge, attack.bytes);
    const int status = status_of(exchange);
    CHECK(((status >= 400 && status < 500) || (status == 0 && exchange.closed_by_server)));
    // Between attacks, an honest client is served.
    const auto honest = honest_charge(edge, "EV-ok");
    REQUIRE(honest);
    CHECK(honest->status == 200);
  }

  // A client that never finishes its headers is cut off after the header timeout, while an honest
  // client is served during the wait.
  std::thread slow([&] {
    const auto exchange = raw_exchange(edge, "POST /charge HTTP/1.1\r\nHost: x\r\nContent-Le", 15'000);
    CHECK(exchange.closed_by_server);
  });
  const auto during = honest_charge(edge, "EV-during");
  REQUIRE(during);
  CHECK(during->status == 200);
  slow.join();
  CHECK(cluster.edge().running());
}
#endif
