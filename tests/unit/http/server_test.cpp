#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

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

// Echoes what the handler saw, so a test can check the request as parsed.
void echo(Request request, Respond respond) {
  respond(Response{200,
                   "text/plain",
                   request.method + " " + request.target + " [" + request.content_type + "] " + request.body,
                   {}});
}

}  // namespace

TEST_CASE("keep-alive: two requests, one after the other, on one connection") {
  Server server(local(), echo);
  server.start();
  Client client(server.port());
  REQUIRE(client.send(get("/a")));
  auto reply = client.read_reply();
  REQUIRE(reply);
  CHECK(reply->body == "GET /a [] ");
  CHECK(reply->header("content-length") == "10");
  CHECK(reply->header("connection") != "close");
  REQUIRE(client.send(
      "POST /b HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"x\":1}"));
  reply = client.read_reply();
  REQUIRE(reply);
  CHECK(reply->body == R"(POST /b [application/json] {"x":1})");
}

TEST_CASE("pipelined requests are answered in order, one at a time") {
  Server server(local(), echo);
  server.start();
  Client client(server.port());
  REQUIRE(client.send(get("/first") + get("/second") + get("/third", true)));
  for (const char* expected : {"GET /first [] ", "GET /second [] ", "GET /third [] "}) {
    const auto reply = client.read_reply();
    REQUIRE(reply);
    CHECK(reply->body == expected);
  }
  CHECK(client.wait_closed());
}

TEST_CASE("a response deferred to another thread reaches the client, and keep-alive goes on") {
  std::mutex mutex;
  std::condition_variable arrived;
  std::vector<Respond> pending;
  Server server(local(), [&](Request, Respond respond) {
    std::lock_guard lock(mutex);
    pending.push_back(std::move(respond));
    arrived.notify_one();
  });
  server.start();
  std::thread broker([&] {
    for (int answered = 0; answered < 2; ++answered) {
      std::unique_lock lock(mutex);
      const bool got = arrived.wait_for(lock, 5s, [&] { return !pending.empty(); });
      CHECK(got);  // CHECK, not REQUIRE: an exception must not escape this thread
      if (!got) {
        return;
      }
      auto respond = std::move(pending.front());
      pending.erase(pending.begin());
      lock.unlock();
      respond(
          Response{202, "application/json", R"({"answer":)" + std::to_string(answered) + "}", {{"X-Grid-Id", "7"}}});
      respond(Response{500, "", "a second call is ignored", {}});
    }
  });
  Client client(server.port());
  REQUIRE(client.send(get("/charge")));
  auto reply = client.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 202);
  CHECK(reply->body == R"({"answer":0})");
  CHECK(reply->header("x-grid-id") == "7");
  REQUIRE(client.send(get("/charge")));
  reply = client.read_reply();
  REQUIRE(reply);
  CHECK(reply->body == R"({"answer":1})");
  broker.join();
}

TEST_CASE("a Respond dropped without an answer closes the connection") {
  Server server(local(), [](Request, Respond) {});
  server.start();
  Client client(server.port());
  REQUIRE(client.send(get("/")));
  CHECK(client.wait_closed());
}

TEST_CASE("a throwing handler becomes a 500, and headers the server owns cannot be overridden") {
  Server server(local(), [](Request request, Respond respond) {
    if (request.target == "/throw") {
      throw std::runtime_error("boom");
    }
    respond(
        Response{200,
                 "text/plain",
                 "ok",
                 {{"Content-Length", "999"}, {"Server", "evil"}, {"X-Bad", "a\r\nInjected: yes"}, {"X-Good", "1"}}});
  });
  server.start();
  Client client(server.port());
  REQUIRE(client.send(get("/throw")));
  auto reply = client.read_reply();
  REQUIRE(reply);
  CHECK(reply->status == 500);
  CHECK(reply->body == R"({"error":"internal error"})");
  REQUIRE(client.send(get("/headers")));
  reply = client.read_reply();
  REQUIRE(reply);
  CHECK(reply->body == "ok");
  CHECK(reply->header("content-length") == "2");
  CHECK(reply->header("server") == "grid");
  CHECK(reply->header("x-good") == "1");
  CHECK(reply->header("x-bad").empty());
  CHECK(reply->header("injected").empty());
}

TEST_CASE("Expect: 100-continue gets its interim answer before the body is read") {
  Server server(local(), echo);
  server.start();
  Client client(server.port());
  REQUIRE(client.send("POST /charge HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = client.read_reply();
  REQUIRE(interim);
  CHECK(interim->status == 100);
  REQUIRE(client.send("body"));
  const auto reply = client.read_reply();
  REQUIRE(reply);
  CHECK(reply->body == "POST /charge [] body");
}

TEST_CASE("several threads serve concurrent clients") {
  auto options = local();
  options.threads = 2;
  Server server(options, echo);
  server.start();
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      Client client(server.port());
      for (int i = 0; i < 50; ++i) {
        const std::string target = "/c" + std::to_string(c) + "/" + std::to_string(i);
        if (client.send(get(target))) {
          const auto reply = client.read_reply();
          if (reply && reply->body == "GET " + target + " [] ") {
            ++ok;
          }
        }
      }
    });
  }
  for (auto& t : clients) {
    t.join();
  }
  CHECK(ok == 200);
}

TEST_CASE("start() reports a port that cannot be bound, naming it") {
  Server first(local(), echo);
  first.start();
  auto options = local();
  options.port = first.port();
  Server second(options, echo);
  try {
    second.start();
    FAIL("binding a port in use should throw");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("127.0.0.1:" + std::to_string(first.port())) != std::string::npos);
  }
  CHECK_THROWS_AS(first.start(), std::logic_error);
  auto bad = local();
  bad.threads = 0;
  CHECK_THROWS_AS(Server(bad, echo), std::invalid_argument);
}
