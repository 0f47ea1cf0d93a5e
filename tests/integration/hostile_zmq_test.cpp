// Hostile ZeroMQ peers: garbage on every socket of every node is dropped and counted, no node
// crashes, and no routing decision changes.
#include <doctest/doctest.h>

#include <random>

#include "cluster.h"
#include "grid/proto/codec.h"
#include "grid/transport/sockets.h"
#include "grid/transport/wire.h"
#include "support/grid_client.h"
#include "support/http_get.h"
#include "support/wait.h"

using namespace grid;
using namespace grid::test;
using namespace std::chrono_literals;

namespace {

using Frames = std::vector<std::string>;

void send_frames(zmq::socket_t& socket, const Frames& frames) {
  for (std::size_t i = 0; i < frames.size(); ++i) {
    socket.send(zmq::buffer(frames[i]), i + 1 < frames.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
  }
}

Frames frames_of(const proto::Message& message) {
  const auto encoded = proto::encode(message);
  return {std::string(proto::protocol_id), std::string(1, static_cast<char>(encoded.command)), encoded.body};
}

// Every kind of garbage a broken or hostile peer can send, whatever the socket.
std::vector<Frames> garbage() {
  std::mt19937 random(7);
  std::string noise(300, '\0');
  for (auto& c : noise) c = static_cast<char>(random());
  auto truncated = frames_of(proto::Heartbeat{"north", 1, 1, 100, 0, 0});
  truncated[2].resize(truncated[2].size() / 2);
  auto trailing = frames_of(proto::Ping{1});
  trailing[2] += "\xc0";
  return {
      {noise},
      {"GRID9", "\x01", "x"},
      {std::string(proto::protocol_id), "\x63", "\x90"},
      truncated,
      trailing,
      {std::string(proto::protocol_id), "\x01", std::string("\xdd\xff\xff\xff\xff", 5)},
      Frames(40, "x"),
  };
}

// Labels are exposed in sorted order: reason first, then any label after it ("substation").
double dropped(const std::string& exposition, const std::string& metric, const std::string& reason,
               const std::string& later_labels = "") {
  return sample(exposition, metric + "{reason=\"" + reason + "\"" + later_labels + "}").value_or(0);
}

}  // namespace

TEST_CASE("garbage and absurd heartbeats on every balancer socket are counted and dropped, routing unchanged") {
  Cluster cluster;
  cluster.start_balancer();
  cluster.add_substation("north", 100);
  cluster.add_substation("south", 50);
  zmq::context_t context;
  GridClient client(context, cluster.frontend());
  REQUIRE(wait_until([&] { return client.live_substations() == 2u; }));

  zmq::socket_t frontend = transport::make_socket(context, zmq::socket_type::dealer);
  frontend.connect(cluster.frontend());
  const auto metrics_text = [&] { return http_get(cluster.balancer_metrics_port(), "/metrics").value().body; };

  for (const auto& message : garbage()) send_frames(frontend, message);
  send_frames(frontend, frames_of(proto::ChargeJob{1, "r", "EV", 11, 20}));  // a substation's message, wrong socket

  // Absurd heartbeats, and one whose seq goes backwards.
  zmq::socket_t heartbeats = transport::make_socket(context, zmq::socket_type::pub);
  heartbeats.connect(cluster.heartbeats_endpoint());
  zmq::socket_t backend = transport::make_socket(context, zmq::socket_type::dealer, {.routing_id = "intruder"});
  backend.connect(cluster.backend_endpoint());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const std::vector<proto::Heartbeat> absurd{
      {"ghost", 1, 1, nan, 0, 0},     {"ghost", 1, 1, -100, 0, 0},
      {"ghost", 1, 1, 1e12, 0, 0},    {std::string(65, 'g'), 1, 1, 100, 0, 0},
      {"ghost", 1, 1, 100, -5, 0},
  };
  // A PUB drops until the subscription has reached it: repeat until the balancer has counted them.
  REQUIRE(wait_until(
      [&] {
        for (const auto& heartbeat : absurd) send_frames(heartbeats, frames_of(heartbeat));
        return dropped(metrics_text(), "balancer_messages_dropped_total", "invalid_value") >= 5;
      },
      10s, 50ms));
  // "ghost" is full, so never a candidate; then its seq goes backwards.
  send_frames(heartbeats, frames_of(proto::Heartbeat{"ghost", 1, 5, 10, 10, 1}));
  send_frames(heartbeats, frames_of(proto::Heartbeat{"ghost", 1, 3, 10, 10, 1}));
  for (const auto& message : garbage()) send_frames(heartbeats, message);
  for (const auto& message : garbage()) send_frames(backend, message);
  // Answers for jobs nobody sent: ids of this boot's range (job ids start at its start time in
  // microseconds), and an acceptance with an id below it, as if an earlier boot had sent it.
  constexpr std::uint64_t ours = std::uint64_t{1} << 62;
  send_frames(backend, frames_of(proto::JobResult{ours, "nobody-asked", true, "s-x", "", 1, 1, 1, 1}));
  send_frames(backend, frames_of(proto::JobResult{ours + 1, "nobody-asked", false, "", "capacity", 1, 1, 1, 1}));
  send_frames(backend, frames_of(proto::JobResult{987654, "nobody-asked", true, "s-y", "", 1, 1, 1, 1}));

  std::string text;
  REQUIRE(wait_until([&] {
    text = metrics_text();
    return dropped(text, "balancer_messages_dropped_total", "unknown_job") >= 1 &&
           dropped(text, "balancer_messages_dropped_total", "late_acceptance") >= 1 &&
           dropped(text, "balancer_messages_dropped_total", "previous_boot") >= 1 &&
           dropped(text, "balancer_messages_dropped_total", "stale_seq") >= 1;
  }));
  for (const std::string reason : {"malformed", "bad_protocol", "unknown_command", "frame_count", "trailing_bytes",
                             "unexpected_command", "invalid_value"}) {
    CAPTURE(reason);
    CHECK(dropped(text, "balancer_messages_dropped_total", reason) >= 1);
  }
  CHECK(cluster.balancer().running());

  // Routing is unchanged: only the real substations get work.
  for (int i = 0; i < 10; ++i) {
    const auto reply = client.charge({"after-" + std::to_string(i), "EV", 5, 20});
    REQUIRE(reply);
    CHECK(reply->outcome == proto::Outcome::charging);
    CHECK((reply->substation_id == "north" || reply->substation_id == "south"));
  }
}

TEST_CASE("a substation and an edge shrug off garbage from a hostile balancer") {
  zmq::context_t context;
  zmq::socket_t backend = transport::make_socket(context, zmq::socket_type::router, {.router_mandatory = true});
  zmq::socket_t heartbeats = transport::make_socket(context, zmq::socket_type::sub);
  zmq::socket_t frontend = transport::make_socket(context, zmq::socket_type::router, {.router_mandatory = true});
  backend.bind("tcp://127.0.0.1:*");
  heartbeats.bind("tcp://127.0.0.1:*");
  frontend.bind("tcp://127.0.0.1:*");
  const int substation_metrics = free_port();
  ChildProcess substation("substation", {GRID_SUBSTATION_BIN, "--id", "north", "--capacity-kw", "100", "--balancer",
                                         transport::last_endpoint(backend), "--heartbeats",
                                         transport::last_endpoint(heartbeats), "--metrics",
                                         "127.0.0.1:" + std::to_string(substation_metrics)});
  REQUIRE(wait_for_port(substation_metrics));

  // The substation is reachable once a send to its id stops being unroutable.
  REQUIRE(wait_until([&] {
    return transport::send_message(backend, proto::Ping{1}, "north") == transport::SendResult::sent;
  }));
  for (auto message : garbage()) {
    message.insert(message.begin(), "north");
    send_frames(backend, message);
  }
  auto nan_job = frames_of(proto::ChargeJob{1, "r", "EV", 11, 20});
  send_frames(backend, {"north", nan_job[0], nan_job[1], frames_of(proto::Heartbeat{"x", 1, 1, 1, 0, 0})[2]});
  // Still admits a real job correctly afterwards.
  REQUIRE(transport::send_message(backend, proto::ChargeJob{2, "real", "EV-1", 11, 20}, "north") ==
          transport::SendResult::sent);
  std::optional<proto::JobResult> result;
  REQUIRE(wait_until([&] {
    auto inbound = transport::receive_message(backend, true);
    if (inbound && std::holds_alternative<proto::Message>(inbound->message)) {
      if (auto* r = std::get_if<proto::JobResult>(&std::get<proto::Message>(inbound->message))) result = *r;
    }
    return result.has_value();
  }));
  CHECK(result->accepted);
  CHECK(result->request_id == "real");
  const auto substation_text = http_get(substation_metrics, "/metrics").value().body;
  for (const std::string reason : {"malformed", "bad_protocol", "unknown_command", "frame_count", "unexpected_command"}) {
    CAPTURE(reason);
    CHECK(dropped(substation_text, "substation_messages_dropped_total", reason, ",substation=\"north\"") >= 1);
  }
  CHECK(substation.running());

#ifdef GRID_EDGE_BIN
  const int edge_port = free_port();
  ChildProcess edge("edge", {GRID_EDGE_BIN, "--listen", "127.0.0.1:" + std::to_string(edge_port), "--balancer",
                             transport::last_endpoint(frontend)});
  REQUIRE(wait_for_port(edge_port));
  // The edge pings its balancer: that tells us its routing id.
  std::string edge_id;
  REQUIRE(wait_until([&] {
    auto inbound = transport::receive_message(frontend, true);
    if (inbound) edge_id = inbound->routing_id;
    return !edge_id.empty();
  }));
  for (auto message : garbage()) {
    message.insert(message.begin(), edge_id);
    send_frames(frontend, message);
  }
  transport::send_message(frontend, proto::ChargeReply{"never-asked", proto::Outcome::charging, "s", "north", 11, ""},
                          edge_id);
  std::string edge_text;
  REQUIRE(wait_until([&] {
    edge_text = http_get(edge_port, "/metrics").value().body;
    return dropped(edge_text, "edge_messages_dropped_total", "unknown_request") >= 1;
  }));
  for (const std::string reason : {"malformed", "bad_protocol", "unknown_command", "frame_count"}) {
    CAPTURE(reason);
    CHECK(dropped(edge_text, "edge_messages_dropped_total", reason) >= 1);
  }
  CHECK(edge.running());
  const auto health = http_get(edge_port, "/healthz");
  REQUIRE(health);  // still serving HTTP
#endif
}
