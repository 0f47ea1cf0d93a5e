// The balancer's ZAP handler with real CURVE sockets in one process: who gets through, with which
// User-Id, and that a refused peer delivers nothing.
#include <doctest/doctest.h>

#include <fstream>
#include <optional>

#include "zap_handler.h"
#include "grid/transport/sockets.h"
#include "grid/transport/wire.h"
#include "support/temp_dir.h"

using namespace grid;
using namespace grid::transport;
using grid::balancer::AllowDirectories;
using grid::test::TempDirectory;

namespace {

struct Keys {
  TempDirectory dir;
  CurveKeyPair balancer = generate_key_pair();
  CurveKeyPair north = generate_key_pair();
  CurveKeyPair edge = generate_key_pair();
  AllowDirectories allow{dir / "substations", dir / "clients"};
  Keys() {
    std::filesystem::create_directory(allow.substations);
    std::filesystem::create_directory(allow.clients);
    std::ofstream(allow.substations + "/north.key") << north.public_key << "\n";
    std::ofstream(allow.clients + "/edge-1.key") << edge.public_key << "\n";
  }
};

// Serves the ZAP handler while waiting (bounded) for one message on `server`.
std::optional<Inbound> receive_serving_zap(balancer::ZapHandler& zap, zmq::socket_t& server,
                                           std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    std::array<zmq::pollitem_t, 2> items{{{zap.socket().handle(), 0, ZMQ_POLLIN, 0},
                                          {server.handle(), 0, ZMQ_POLLIN, 0}}};
    zmq::poll(items.data(), items.size(), std::chrono::milliseconds(20));
    if (items[0].revents & ZMQ_POLLIN) zap.on_readable();
    if (items[1].revents & ZMQ_POLLIN) return receive_message(server, true);
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("ZAP handler: an allowed substation key gets through with its id, others deliver nothing") {
  Keys keys;
  zmq::context_t context;
  std::vector<std::string> refused;
  balancer::ZapHandler zap(context, keys.allow, [&](std::string_view domain) { refused.emplace_back(domain); });
  auto backend = make_socket(context, zmq::socket_type::router,
                             {.curve_server = CurveServer{keys.balancer.secret_key, std::string(zap_domain_backend)}});
  bind(backend, "tcp://127.0.0.1:*");
  const auto connect = [&](const CurveKeyPair& own, const std::string& id) {
    auto socket = make_socket(context, zmq::socket_type::dealer,
                              {.routing_id = id, .curve_client = CurveClient{own, keys.balancer.public_key}});
    socket.connect(last_endpoint(backend));
    return socket;
  };

  SUBCASE("the allowed key: delivered, User-Id is its file's name") {
    auto north = connect(keys.north, "north");
    REQUIRE(send_message(north, proto::Ping{1}) == SendResult::sent);
    const auto inbound = receive_serving_zap(zap, backend, std::chrono::seconds(5));
    REQUIRE(inbound);
    CHECK(inbound->routing_id == "north");
    CHECK(inbound->user_id == "north");
    CHECK(refused.empty());
  }
  SUBCASE("a client key on the backend: refused, nothing delivered") {
    auto impostor = connect(keys.edge, "north");
    send_message(impostor, proto::Ping{2});
    CHECK_FALSE(receive_serving_zap(zap, backend, std::chrono::milliseconds(500)));
    REQUIRE_FALSE(refused.empty());
    CHECK(refused.front() == zap_domain_backend);
  }
  SUBCASE("an unknown key: refused until the allow directory names it and is reloaded") {
    const auto stranger = generate_key_pair();
    auto socket = connect(stranger, "west");
    send_message(socket, proto::Ping{3});
    CHECK_FALSE(receive_serving_zap(zap, backend, std::chrono::milliseconds(500)));
    CHECK_FALSE(refused.empty());

    std::ofstream(keys.allow.substations + "/west.key") << stranger.public_key << "\n";
    zap.reload();
    // A new connection with the same key now passes.
    auto again = connect(stranger, "west");
    send_message(again, proto::Ping{4});
    const auto inbound = receive_serving_zap(zap, backend, std::chrono::seconds(5));
    REQUIRE(inbound);
    CHECK(inbound->user_id == "west");
  }
}

TEST_CASE("ZAP handler: a bad allow directory stops the start and a bad reload keeps the lists in force") {
  Keys keys;
  zmq::context_t context;
  CHECK_THROWS_AS(balancer::ZapHandler(context, {keys.dir / "absent", keys.allow.clients}, [](std::string_view) {}),
                  std::runtime_error);
  balancer::ZapHandler zap(context, keys.allow, [](std::string_view) {});
  std::ofstream(keys.allow.substations + "/broken.key") << "not a key\n";
  CHECK_NOTHROW(zap.reload());
  auto backend = make_socket(context, zmq::socket_type::router,
                             {.curve_server = CurveServer{keys.balancer.secret_key, std::string(zap_domain_backend)}});
  bind(backend, "tcp://127.0.0.1:*");
  auto north = make_socket(context, zmq::socket_type::dealer,
                           {.routing_id = "north", .curve_client = CurveClient{keys.north, keys.balancer.public_key}});
  north.connect(last_endpoint(backend));
  send_message(north, proto::Ping{5});
  const auto inbound = receive_serving_zap(zap, backend, std::chrono::seconds(5));
  REQUIRE(inbound);
  CHECK(inbound->user_id == "north");
}
