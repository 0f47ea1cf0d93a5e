// --rate-limit over real HTTP: a greedy client address is answered 429 while a polite one, from
// another loopback address (Linux routes all of 127.0.0.0/8 to lo), is still served.
#include <doctest/doctest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include "edge_http_fixtures.h"

using namespace grid;
using namespace grid::edge;
using namespace grid::edge::testing;
using namespace std::chrono_literals;

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// One POST /charge to 127.0.0.1:port from `source` (another loopback address), on its own thread;
// every wait is bounded by asio's run_for.
std::future<std::string> charge_from(const std::string& source, int port, const std::string& body) {
  return std::async(std::launch::async, [=] {
    asio::io_context io;
    tcp::socket socket(io);
    socket.open(tcp::v4());
    socket.bind({asio::ip::make_address(source), 0});
    const std::string request = "POST /charge HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                "Content-Type: application/json\r\nContent-Length: " +
                                std::to_string(body.size()) + "\r\n\r\n" + body;
    std::string received;
    socket.async_connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)},
                         [&](boost::system::error_code ec) {
                           if (ec) return;
                           asio::async_write(socket, asio::buffer(request), [&](boost::system::error_code, std::size_t) {
                             asio::async_read(socket, asio::dynamic_buffer(received),
                                              [](boost::system::error_code, std::size_t) {});
                           });
                         });
    io.run_for(5s);
    return received;
  });
}

int retry_after_of(const std::string& reply) {
  const std::string name = "\r\nRetry-After: ";
  const auto at = reply.find(name);
  return at == std::string::npos ? 0 : std::atoi(reply.c_str() + at + name.size());
}

int status_of(const std::string& reply) { return reply.rfind("HTTP/1.1 ", 0) == 0 ? std::stoi(reply.substr(9, 3)) : 0; }

}  // namespace

TEST_CASE("rate limit: a greedy client address gets 429 with Retry-After while a polite one is served") {
  zmq::context_t context;
  FakeBalancer balancer(context);
  // One token per ten seconds: nothing refills while the test runs.
  Edge edge(context, balancer.endpoint, OperatorAuth(), 5s, 100, {.per_second = 0.1, .burst = 2});
  connect(balancer, edge);

  // The burst passes the limiter (and is refused for its empty body, so no balancer is needed).
  for (int i = 0; i < 2; ++i) CHECK(status_of(charge_from("127.0.0.2", edge.port(), "").get()) == 400);
  for (int i = 0; i < 3; ++i) {
    const auto reply = charge_from("127.0.0.2", edge.port(), R"({"vehicle_id": "EV-1"})").get();
    CHECK(status_of(reply) == 429);
    // Ten seconds to the next token, less what a slow run spent since the burst.
    const auto retry_after = retry_after_of(reply);
    CHECK(retry_after >= 8);
    CHECK(retry_after <= 10);
    CHECK(reply.find("\r\nContent-Type: application/json\r\n") != std::string::npos);
    CHECK(reply.find(R"({"error":"rate limited)") != std::string::npos);
  }

  auto polite = charge_from("127.0.0.3", edge.port(), R"({"vehicle_id": "EV-2"})");
  const auto request = balancer.next_request();
  CHECK(request.vehicle_id == "EV-2");
  balancer.reply({request.request_id, proto::Outcome::charging, "sess-2", "north", 11, ""});
  CHECK(status_of(polite.get()) == 200);

  const auto text = edge.registry.text();
  CHECK(test::sample(text, "edge_rate_limited_total") == 3);
  CHECK(test::sample(text, R"(edge_http_requests_total{code="429",handler="charge"})") == 3);
}

TEST_CASE("rate limit: off by default, so one address may send as fast as it likes") {
  zmq::context_t context;
  FakeBalancer balancer(context);
  Edge edge(context, balancer.endpoint, OperatorAuth());
  connect(balancer, edge);
  for (int i = 0; i < 20; ++i) CHECK(status_of(charge_from("127.0.0.2", edge.port(), "").get()) == 400);
  CHECK(test::sample(edge.registry.text(), "edge_rate_limited_total") == 0);
}
