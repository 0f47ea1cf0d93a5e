// The router on its own (handle() called directly, answers captured) and once behind a server,
// for the headers a request carries.
#include <doctest/doctest.h>

#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

#include "grid/http/router.h"
#include "test_client.h"

using namespace grid;
using namespace grid::http;
using namespace grid::http::test;

namespace {

struct Observed {
  std::string handler;
  int status;
  Duration elapsed;
};

// A router whose every answer is recorded, with the time from arrival stepped by a fake clock.
struct Recorded {
  FakeClock clock;
  std::vector<Observed> observed;
  Router router{[this](std::string_view handler, int status, Duration elapsed) {
                  observed.push_back({std::string(handler), status, elapsed});
                },
                clock};

  std::optional<Response> ask(std::string method, std::string target) {
    std::optional<Response> answer;
    router.handle(Request{std::move(method), std::move(target), "", "", {}, {}},
                  [&answer](Response response) { answer = std::move(response); });
    return answer;
  }
};

Handler echo_params(std::string tag) {
  return [tag](Request request, Respond respond) {
    std::string body = tag;
    for (const auto& param : request.params) body += " " + param.first + "=" + param.second;
    respond(Response{200, "text/plain", body, {}});
  };
}

}  // namespace

TEST_CASE("routes by method and path pattern, with path parameters, ignoring the query") {
  Recorded recorded;
  recorded.router.route("GET", "/sessions/{id}", "session", echo_params("get"))
      .route("DELETE", "/sessions/{id}", "session", echo_params("delete"))
      .route("GET", "/substations", "substations", echo_params("list"))
      .route("PUT", "/substations/{id}/limit", "limit", echo_params("put"))
      .route("DELETE", "/substations/{id}/limit", "limit", echo_params("delete"));

  CHECK(recorded.ask("GET", "/sessions/s-1?verbose=1")->body == "get id=s-1");
  CHECK(recorded.ask("DELETE", "/sessions/s-2")->body == "delete id=s-2");
  CHECK(recorded.ask("GET", "/substations")->body == "list");
  CHECK(recorded.ask("PUT", "/substations/north/limit")->body == "put id=north");
  CHECK(recorded.ask("DELETE", "/substations/north/limit")->body == "delete id=north");
  REQUIRE(recorded.observed.size() == 5);
  CHECK(recorded.observed[0].handler == "session");
  CHECK(recorded.observed[3].handler == "limit");
  CHECK(recorded.observed[3].status == 200);

  // A parameter matches one non-empty segment, no more, no less; a trailing slash is not ignored.
  for (const char* target : {"/sessions/", "/sessions", "/sessions/a/b", "/substations/", "/nowhere", "", "sessions/x"}) {
    CAPTURE(target);
    const auto answer = recorded.ask("GET", target);
    REQUIRE(answer);
    CHECK(answer->status == 404);
    CHECK(answer->body == R"({"error":"not found"})");
    CHECK(recorded.observed.back().handler == "other");
  }
}

TEST_CASE("a known path with another method is 405 with every allowed method, observed under the route") {
  Recorded recorded;
  recorded.router.route("GET", "/sessions/{id}", "session", echo_params("get"))
      .route("DELETE", "/sessions/{id}", "session", echo_params("delete"))
      .route("POST", "/charge", "charge", echo_params("charge"));
  auto answer = recorded.ask("PUT", "/sessions/s-1");
  REQUIRE(answer);
  CHECK(answer->status == 405);
  CHECK(answer->body == R"({"error":"method not allowed"})");
  REQUIRE(answer->headers.size() == 1);
  CHECK(answer->headers[0] == Header{"Allow", "GET, DELETE"});
  CHECK(recorded.observed.back().handler == "session");
  CHECK(recorded.observed.back().status == 405);
  // Two routes of one method matching the same path name that method once.
  recorded.router.route("GET", "/sessions/active", "sessions", echo_params("active"));
  answer = recorded.ask("POST", "/sessions/active");
  REQUIRE(answer);
  CHECK(answer->headers[0] == Header{"Allow", "GET, DELETE"});
  CHECK(recorded.ask("GET", "/sessions/active")->body == "get id=active");  // the first route added wins
  answer = recorded.ask("GET", "/charge");
  REQUIRE(answer);
  CHECK(answer->headers[0] == Header{"Allow", "POST"});
  CHECK(recorded.observed.back().handler == "charge");
}

TEST_CASE("each answer is observed once, with the time it took, however often a handler answers") {
  Recorded recorded;
  Respond kept;
  recorded.router.route("POST", "/charge", "charge", [&kept](Request, Respond respond) { kept = std::move(respond); });
  int delivered = 0;
  recorded.router.handle(Request{"POST", "/charge", "", "", {}, {}}, [&delivered](Response) { ++delivered; });
  CHECK(recorded.observed.empty());  // not answered yet
  recorded.clock.advance(std::chrono::milliseconds(250));
  kept(Response{200, "", "", {}});
  kept(Response{500, "", "", {}});
  CHECK(delivered == 1);
  REQUIRE(recorded.observed.size() == 1);
  CHECK(recorded.observed[0].status == 200);
  CHECK(recorded.observed[0].elapsed == std::chrono::milliseconds(250));
}

TEST_CASE("malformed or repeated routes are refused when they are added") {
  Router router;
  router.route("GET", "/sessions/{id}", "session", echo_params(""));
  CHECK_THROWS_AS(router.route("GET", "/sessions/{other}", "session", echo_params("")), std::invalid_argument);
  CHECK_THROWS_AS(router.route("GET", "sessions", "x", echo_params("")), std::invalid_argument);
  CHECK_THROWS_AS(router.route("GET", "/a/{}", "x", echo_params("")), std::invalid_argument);
  CHECK_THROWS_AS(router.route("GET", "/a/{id", "x", echo_params("")), std::invalid_argument);
  CHECK_THROWS_AS(router.route("GET", "/a/x{id}", "x", echo_params("")), std::invalid_argument);
  CHECK_THROWS_AS(router.route("GET", "/a", "x", Handler{}), std::invalid_argument);
  CHECK_NOTHROW(router.route("DELETE", "/sessions/{id}", "session", echo_params("")));
}

TEST_CASE("a request keeps every header, duplicates included, found in any letter case") {
  std::mutex mutex;
  std::optional<Request> seen;
  Server server(ServerOptions{"127.0.0.1"}, [&](Request request, Respond respond) {
    {
      std::lock_guard lock(mutex);
      seen = std::move(request);
    }
    respond(Response{204, "", "", {}});
  });
  server.start();
  const auto reply = fetch(server.port(),
                           "POST /x HTTP/1.1\r\nHost: t\r\nX-Tag: one\r\nx-tag: two\r\nEmpty:\r\n"
                           "Content-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
  REQUIRE(reply);
  CHECK(reply->status == 204);
  std::lock_guard lock(mutex);
  REQUIRE(seen);
  CHECK(seen->header_count("X-TAG") == 2);
  CHECK(seen->header("x-tag") == "one");
  REQUIRE(seen->header("empty"));
  CHECK(seen->header("empty")->empty());
  CHECK_FALSE(seen->header("Idempotency-Key"));
  CHECK(seen->header_count("Idempotency-Key") == 0);
  CHECK(seen->content_type == "application/json");
  CHECK(seen->body == "{}");
}
