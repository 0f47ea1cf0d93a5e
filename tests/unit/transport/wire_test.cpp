#include <doctest/doctest.h>

#include <thread>

#include "grid/transport/poll_loop.h"
#include "grid/transport/sockets.h"
#include "grid/transport/wire.h"

using namespace grid;
using namespace grid::transport;

namespace {

// Blocks (bounded) until a message arrives, so tests wait for the event instead of sleeping.
std::optional<Inbound> receive_within(zmq::socket_t& socket, bool routed, std::chrono::milliseconds limit = std::chrono::seconds(5)) {
  zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, limit) == 0) return std::nullopt;
  return receive_message(socket, routed);
}

struct Pair {
  zmq::context_t context;
  zmq::socket_t router = make_socket(context, zmq::socket_type::router, {.router_mandatory = true});
  zmq::socket_t dealer = make_socket(context, zmq::socket_type::dealer, {.routing_id = "north"});
  Pair() {
    router.bind("tcp://127.0.0.1:*");
    dealer.connect(last_endpoint(router));
  }
};

}  // namespace

TEST_CASE("a message crosses DEALER to ROUTER and back with its routing id") {
  Pair pair;
  REQUIRE(send_message(pair.dealer, proto::Ping{5}) == SendResult::sent);
  const auto inbound = receive_within(pair.router, true);
  REQUIRE(inbound);
  CHECK(inbound->routing_id == "north");
  CHECK(std::get<proto::Message>(inbound->message) == proto::Message{proto::Ping{5}});
  CHECK(inbound->user_id.empty());  // the NULL mechanism: no ZAP handler named the peer

  REQUIRE(send_message(pair.router, proto::Pong{5, 2}, "north") == SendResult::sent);
  const auto reply = receive_within(pair.dealer, false);
  REQUIRE(reply);
  CHECK(std::get<proto::Message>(reply->message) == proto::Message{proto::Pong{5, 2}});
}

TEST_CASE("a send to an unknown peer is reported, not silently dropped") {
  Pair pair;
  CHECK(send_message(pair.router, proto::Pong{1, 0}, "nobody") == SendResult::unroutable);
}

TEST_CASE("too many or too few frames are a frame-count error, and the socket stays usable") {
  Pair pair;
  for (int i = 0; i < 40; ++i) pair.dealer.send(zmq::str_buffer("x"), zmq::send_flags::sndmore);
  pair.dealer.send(zmq::str_buffer("x"), zmq::send_flags::none);
  auto inbound = receive_within(pair.router, true);
  REQUIRE(inbound);
  CHECK(std::get<proto::DecodeError>(inbound->message) == proto::DecodeError::wrong_frame_count);

  pair.dealer.send(zmq::str_buffer("GRID1"), zmq::send_flags::none);
  inbound = receive_within(pair.router, true);
  REQUIRE(inbound);
  CHECK(std::get<proto::DecodeError>(inbound->message) == proto::DecodeError::wrong_frame_count);

  REQUIRE(send_message(pair.dealer, proto::Ping{9}) == SendResult::sent);
  inbound = receive_within(pair.router, true);
  REQUIRE(inbound);
  CHECK(std::holds_alternative<proto::Message>(inbound->message));
}

TEST_CASE("a frame over the size cap never arrives") {
  Pair pair;
  const std::string big(max_frame_bytes + 1, 'x');
  pair.dealer.send(zmq::buffer(big), zmq::send_flags::none);
  REQUIRE(send_message(pair.dealer, proto::Ping{1}) == SendResult::sent);
  // libzmq drops the connection that sent the oversized frame; what arrives (if anything, after the
  // reconnect) is never the oversized frame.
  while (auto inbound = receive_within(pair.router, true, std::chrono::milliseconds(300))) {
    CHECK(std::holds_alternative<proto::Message>(inbound->message));
  }
}

TEST_CASE("the poll loop runs handlers and timers, and stops promptly from another thread") {
  zmq::context_t context;
  PollLoop loop(context, steady_clock());
  zmq::socket_t pull = make_socket(context, zmq::socket_type::pull);
  pull.bind("inproc://poll-loop-test");
  zmq::socket_t push = make_socket(context, zmq::socket_type::push);
  push.connect("inproc://poll-loop-test");

  std::atomic<int> received{0};
  std::atomic<int> timer_calls{0};
  loop.add(pull, [&] {
    zmq::message_t message;
    while (pull.recv(message, zmq::recv_flags::dontwait)) {
      if (++received == 3) loop.stop();
    }
  });
  loop.set_timers([&](TimePoint now) -> std::optional<TimePoint> {
    ++timer_calls;
    return now + std::chrono::milliseconds(5);
  });
  for (int i = 0; i < 3; ++i) push.send(zmq::str_buffer("x"), zmq::send_flags::none);
  loop.run();  // returns only because the handler called stop()
  CHECK(received == 3);
  CHECK(timer_calls >= 1);

  PollLoop idle(context, steady_clock());
  const auto start = std::chrono::steady_clock::now();
  std::thread runner([&] { idle.run(); });
  idle.stop();
  runner.join();
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::milliseconds(900));
}

TEST_CASE("issue 9.9: a bind that fails names the endpoint") {
  zmq::context_t context;
  zmq::socket_t first = make_socket(context, zmq::socket_type::router);
  bind(first, "tcp://127.0.0.1:*");
  const std::string taken = last_endpoint(first);
  zmq::socket_t second = make_socket(context, zmq::socket_type::router);
  try {
    bind(second, taken);
    FAIL("a second bind of " << taken << " succeeded");
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    CHECK(message == "cannot bind " + taken + ": Address already in use");
  }
  CHECK_THROWS_WITH(bind(second, "tcp://no-such-interface-x:1"),
                    doctest::Contains("cannot bind tcp://no-such-interface-x:1: "));
}

TEST_CASE("issue 10.7: PollLoop::add after run() is an error, not a socket that is never polled") {
  zmq::context_t context;
  FakeClock clock;
  PollLoop loop(context, clock);
  zmq::socket_t late = make_socket(context, zmq::socket_type::pull);
  bool added = false;
  loop.set_timers([&](TimePoint) -> std::optional<TimePoint> {
    loop.add(late, [] {});
    added = true;
    return std::nullopt;
  });
  CHECK_THROWS_AS(loop.run(), std::logic_error);
  CHECK_FALSE(added);
  CHECK_THROWS_AS(loop.add_fd(0, [] {}), std::logic_error);
  CHECK_THROWS_AS(loop.set_timers({}), std::logic_error);
  CHECK_THROWS_AS(loop.run(), std::logic_error);
}
