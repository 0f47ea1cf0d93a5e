// Exactly-once admission: a request is answered once and holds at most one session, even when a
// substation's answer is lost on the way back to the balancer.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "grid/transport/sockets.h"
#include "grid/transport/wire.h"
#include "inproc_grid.h"
#include "support/grid_client.h"
#include "support/wait.h"

using namespace grid;
using namespace std::chrono_literals;

namespace {

// Stands between one substation and the balancer's backend and loses the first job result the
// substation sends, as a network would.
class LossyLink {
public:
  LossyLink(zmq::context_t& context, const std::string& name, const std::string& substation_id,
            const std::string& backend)
      : endpoint_("inproc://" + name),
        to_substation_(transport::make_socket(context, zmq::socket_type::router)),
        to_balancer_(transport::make_socket(context, zmq::socket_type::dealer, {.routing_id = substation_id})) {
    to_substation_.bind(endpoint_);
    to_balancer_.connect(backend);
    thread_ = std::thread([this, substation_id] { run(substation_id); });
  }
  ~LossyLink() {
    stop_ = true;
    thread_.join();
  }
  const std::string& endpoint() const { return endpoint_; }
  int results_lost() const { return lost_; }

private:
  void run(const std::string& substation_id) {
    while (!stop_) {
      zmq::pollitem_t items[] = {{to_substation_.handle(), 0, ZMQ_POLLIN, 0}, {to_balancer_.handle(), 0, ZMQ_POLLIN, 0}};
      zmq::poll(items, 2, 20ms);
      if (items[0].revents & ZMQ_POLLIN) {
        auto inbound = transport::receive_message(to_substation_, true);
        if (inbound && std::holds_alternative<proto::Message>(inbound->message)) {
          const auto& message = std::get<proto::Message>(inbound->message);
          if (std::holds_alternative<proto::JobResult>(message) && lost_ == 0) {
            ++lost_;
          } else {
            transport::send_message(to_balancer_, message);
          }
        }
      }
      if (items[1].revents & ZMQ_POLLIN) {
        auto inbound = transport::receive_message(to_balancer_, false);
        if (inbound && std::holds_alternative<proto::Message>(inbound->message)) {
          transport::send_message(to_substation_, std::get<proto::Message>(inbound->message), substation_id);
        }
      }
    }
  }

  std::string endpoint_;
  zmq::socket_t to_substation_;
  zmq::socket_t to_balancer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int> lost_{0};
};

}  // namespace

TEST_CASE("a lost acceptance: the request is answered once, by one session, and a retry gets the same one") {
  test::InprocGrid grid("exactly-once", {.dispatch = {.dispatch_timeout = 200ms}});
  LossyLink link(grid.context, "exactly-once-north-link", "north", grid.balancer().backend_endpoint());
  grid.add_substation("north", 1000, link.endpoint());  // the emptiest: picked first
  grid.add_substation("south", 100);
  test::GridClient client(grid.context, grid.balancer().frontend_endpoint());
  REQUIRE(test::wait_until([&] { return client.live_substations() == 2u; }));

  const proto::ChargeRequest request{"req-lost-reply", "EV-7", 11, 20};
  const auto reply = client.charge(request, 5s);
  REQUIRE(reply);
  CHECK(link.results_lost() == 1);
  CHECK(reply->outcome == proto::Outcome::charging);
  CHECK(reply->substation_id == "south");  // north's answer never came; the request moved on

  // North did admit the job; the balancer's cancel ends that session, so the request holds one.
  CHECK(test::wait_until([&] { return grid.active_sessions(0) == 0; }));
  CHECK(grid.active_sessions(1) == 1);

  // The requester lost our answer and retries with the same id: same session, nothing new.
  const auto retry = client.charge(request, 5s);
  REQUIRE(retry);
  CHECK(retry->session_id == reply->session_id);
  CHECK(retry->substation_id == "south");
  CHECK(grid.active_sessions(1) == 1);
  CHECK_FALSE(client.receive(100ms).has_value());  // one answer per ask, no more
}

#ifdef GRID_EDGE_BIN
#include "cluster.h"
#include "support/http_get.h"

TEST_CASE("over HTTP: a client retrying with the same Idempotency-Key gets the same session") {
  test::Cluster cluster;
  cluster.start_balancer();
  cluster.add_substation("north", 100);
  const int edge = cluster.start_edge();
  REQUIRE(test::wait_until([&] {
    const auto health = test::http_get(edge, "/healthz");
    return health && health->status == 200;
  }));
  const auto ask = [&](const std::string& key) {
    return test::raw_exchange(edge, "POST /charge HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: "
                                    "application/json\r\nIdempotency-Key: " + key + "\r\nContent-Length: 23\r\n\r\n"
                                    "{\"vehicle_id\": \"EV-9\"}\n");
  };
  const auto session_of = [](const std::string& response) {
    const auto at = response.find("\"session_id\":\"");
    return at == std::string::npos ? std::string() : response.substr(at + 14, response.find('"', at + 14) - at - 14);
  };
  const auto first = ask("retry-me");
  const auto second = ask("retry-me");
  const auto other = ask("another");
  REQUIRE(first.received.rfind("HTTP/1.1 200", 0) == 0);
  REQUIRE(second.received.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(session_of(second.received) == session_of(first.received));
  CHECK(session_of(other.received) != session_of(first.received));
  const auto metrics = test::http_get(cluster.substation("north").metrics_port, "/metrics");
  CHECK(test::sample(metrics->body, "substation_current_load{substation=\"north\"}") == 2.0);
  CHECK(ask(std::string(80, 'k')).received.rfind("HTTP/1.1 400", 0) == 0);
}
#endif
