#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>

#include "grid/http/server.h"
#include "test_client.h"

using namespace grid::http;
using namespace grid::http::test;

namespace {

ServerOptions local() {
  ServerOptions options;
  options.host = "127.0.0.1";
  return options;
}

void ok(Request, Respond respond) { respond(Response{200, "text/plain", "ok", {}}); }

std::chrono::milliseconds since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace

TEST_CASE("a body over the limit gets 413 before the handler, and the connection closes") {
  bool called = false;
  Server server(local(), [&](Request, Respond respond) {
    called = true;
    respond(Response{});
  });
  server.start();
  Client client(server.port());
  REQUIRE(client.send("POST /charge HTTP/1.1\r\nHost: t\r\nContent-Length: 70000\r\n\r\n" + std::string(1000, 'x')));
  const auto reply = client.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 413);
  CHECK(reply->header("content-type") == "application/json");
  CHECK(reply->body == R"json({"error":"body too large (limit 65536 bytes)"})json");
  CHECK(reply->header("connection") == "close");
  CHECK(client.wait_closed());
  CHECK(!called);
}

TEST_CASE("a chunked body that grows over the limit gets 413 too") {
  auto options = local();
  options.body_limit = 16;
  Server server(options, ok);
  server.start();
  Client client(server.port());
  REQUIRE(
      client.send("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n"
                  "10\r\n0123456789abcdef\r\n0\r\n\r\n"));
  const auto reply = client.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 413);
  CHECK(reply->body == R"json({"error":"body too large (limit 16 bytes)"})json");
  CHECK(client.wait_closed());
}

TEST_CASE("headers over the limit get 431 and the connection closes") {
  Server server(local(), ok);
  server.start();
  Client client(server.port());
  client.send("GET / HTTP/1.1\r\nHost: t\r\nX-Padding: " + std::string(10000, 'p') + "\r\n\r\n");
  const auto reply = client.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 431);
  CHECK(reply->body == R"json({"error":"header too large (limit 8192 bytes)"})json");
  CHECK(client.wait_closed());
}

TEST_CASE("a garbage request line gets 400 and the connection closes") {
  Server server(local(), ok);
  server.start();
  for (const char* garbage : {"GARBAGE\r\n\r\n", "GET /\x01 HTTP/1.1\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
                              "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 tls hello\r\n\r\n"}) {
    CAPTURE(garbage);
    Client client(server.port());
    client.send(garbage);
    const auto reply = client.read_reply();
    REQUIRE(reply);
    CHECK(reply->status == 400);
    CHECK(reply->body.rfind(R"({"error":"bad request: )", 0) == 0);
    CHECK(client.wait_closed());
  }
}

TEST_CASE("a client that does not finish its headers in time is disconnected") {
  auto options = local();
  options.header_timeout = std::chrono::milliseconds(200);
  Server server(options, ok);
  server.start();
  Client client(server.port());
  const auto start = std::chrono::steady_clock::now();
  REQUIRE(client.send("GET /metrics HTTP/1.1\r\nHost: t\r\n"));
  CHECK(client.wait_closed(5s));
  CHECK(since(start) >= std::chrono::milliseconds(150));
}

TEST_CASE("a connection that never sends anything is disconnected after the header timeout") {
  auto options = local();
  options.header_timeout = std::chrono::milliseconds(200);
  Server server(options, ok);
  server.start();
  Client client(server.port());
  CHECK(client.wait_closed(5s));
}

TEST_CASE("an idle keep-alive connection is closed after the idle timeout, a busy one is not") {
  auto options = local();
  options.idle_timeout = std::chrono::milliseconds(300);
  Server server(options, ok);
  server.start();
  Client busy(server.port());
  for (int i = 0; i < 6; ++i) {  // 6 x 100 ms: longer than one idle timeout in all
    REQUIRE(busy.send(get("/")));
    REQUIRE(busy.read_reply());
    CHECK(!busy.wait_closed(std::chrono::milliseconds(100)));
  }
  const auto start = std::chrono::steady_clock::now();
  CHECK(busy.wait_closed(5s));
  CHECK(since(start) >= std::chrono::milliseconds(150));
}

TEST_CASE("connections over max_connections are accepted and closed at once") {
  auto options = local();
  options.max_connections = 1;
  Server server(options, ok);
  server.start();
  Client first(server.port());
  REQUIRE(first.send(get("/")));
  REQUIRE(first.read_reply());  // the first connection is registered by now
  Client second(server.port());
  CHECK(second.wait_closed());
  REQUIRE(first.send(get("/")));
  CHECK(first.read_reply());
}

TEST_CASE("stop() is quick with connections open in every state, and idempotent") {
  std::mutex mutex;
  std::condition_variable arrived;
  Respond kept;
  std::optional<Server> server;
  server.emplace(local(), [&](Request, Respond respond) {
    std::lock_guard lock(mutex);
    kept = std::move(respond);
    arrived.notify_one();
  });
  server->start();
  Client idle(server->port());
  Client half(server->port());
  Client waiting(server->port());
  REQUIRE(half.send("GET / HTTP/1.1\r\n"));
  REQUIRE(waiting.send(get("/slow")));
  // Only stop once the handler holds the request, so `waiting` really waits for an answer.
  {
    std::unique_lock lock(mutex);
    REQUIRE(arrived.wait_for(lock, 5s, [&] { return static_cast<bool>(kept); }));
  }
  const auto start = std::chrono::steady_clock::now();
  server->stop();
  CHECK(since(start) < std::chrono::milliseconds(1000));
  server->stop();
  CHECK(idle.wait_closed());
  CHECK(half.wait_closed());
  CHECK(waiting.wait_closed());
  // An answer that comes after the server is gone (a late broker reply) is dropped harmlessly.
  server.reset();
  kept(Response{});
  kept = nullptr;
}
