// The balancer over real sockets, in one process, with a fake smart-charging substation that
// speaks the issue-12 messages (the real one is not merged yet): its heartbeats reach the table,
// a charge request's job carries the new fields and its reply the allocation, session and limit
// queries are forwarded and answered (or answered for on a timeout), and the substations list
// comes from the table. Every step waits for its message; nothing sleeps and hopes.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "inproc_grid.h"
#include "grid/transport/sockets.h"
#include "grid/transport/wire.h"
#include "support/wait.h"

using namespace grid;
using namespace std::chrono_literals;

namespace {

std::optional<proto::Message> next(zmq::socket_t& socket, std::chrono::milliseconds limit = 5s) {
  zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
  if (zmq::poll(&item, 1, limit) == 0) return std::nullopt;
  auto inbound = transport::receive_message(socket, false);
  if (!inbound || !std::holds_alternative<proto::Message>(inbound->message)) return std::nullopt;
  return std::get<proto::Message>(std::move(inbound->message));
}

// The next message of type M. A balancer asks a substation that joins which requests it holds
// (IndexQuery): answered here as a real substation with no admissions yet would, then skipped.
template <class M>
std::optional<M> next_of(zmq::socket_t& socket) {
  while (true) {
    auto message = next(socket);
    if (message && std::holds_alternative<proto::IndexQuery>(*message)) {
      const auto& query = std::get<proto::IndexQuery>(*message);
      transport::send_message(socket, proto::AdmissionIndex{.token = query.token, .page = query.page, .pages = 1});
      continue;
    }
    if (!message || !std::holds_alternative<M>(*message)) return std::nullopt;
    return std::get<M>(std::move(*message));
  }
}

// Heartbeats of a smart substation "north" (100 kW, limit 60) from a thread of its own, which owns
// its PUB socket, until destroyed.
class Heartbeats {
public:
  Heartbeats(zmq::context_t& context, const std::string& endpoint)
      : thread_([this, &context, endpoint] {
          auto pub = transport::make_socket(context, zmq::socket_type::pub);
          pub.connect(endpoint);
          for (std::uint64_t seq = 1; !stop_; ++seq) {
            proto::Heartbeat heartbeat{"north", 0x1f, seq, 100, 40, 3};
            heartbeat.limit_kw = 60;
            heartbeat.min_kw = 12;
            heartbeat.demand_kw = 55;
            heartbeat.paused_sessions = 1;
            transport::send_message(pub, heartbeat);
            std::this_thread::sleep_for(10ms);  // the substation's own interval, not a wait for an event
          }
        }) {}
  ~Heartbeats() {
    stop_ = true;
    thread_.join();
  }

private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("in one process: a fake smart substation's limit, jobs, replies and forwarded queries") {
  balancer::BalancerConfig config;
  config.dispatch.dispatch_timeout = 300ms;
  test::InprocGrid grid("smart-a", config);
  auto substation = transport::make_socket(grid.context, zmq::socket_type::dealer, {.routing_id = "north"});
  substation.connect(grid.balancer().backend_endpoint());
  Heartbeats heartbeats(grid.context, grid.balancer().heartbeats_endpoint());
  auto client = transport::make_socket(grid.context, zmq::socket_type::dealer);
  client.connect(grid.balancer().frontend_endpoint());

  // The list shows north with its limit once a heartbeat has arrived.
  std::optional<proto::SubstationInfo> info;
  REQUIRE(test::wait_until([&] {
    transport::send_message(client, proto::SubstationsQuery{"list"});
    info = next_of<proto::SubstationInfo>(client);
    return info && info->total == 1 && info->live;
  }));
  CHECK(info->substation_id == "north");
  CHECK(info->limit_kw == 60);
  CHECK(info->allocated_kw == 40);
  CHECK(info->paused_sessions == 1);

  // A charge request: the job carries the new fields, the reply the allocation now.
  proto::ChargeRequest request{"r1", "EV-1", 11, 30, 2.3, 3600, 4};
  transport::send_message(client, request);
  const auto job = next_of<proto::ChargeJob>(substation);
  REQUIRE(job);
  CHECK(job->min_power_kw == 2.3);
  CHECK(job->departs_in_s == 3600);
  CHECK(job->priority == 4);
  proto::JobResult result{job->job_id, "r1", true, "north.0000001f-1", "", 40, 4, 1, 0x1f};
  result.power_kw = 0;  // admitted, paused for now
  result.min_power_kw = 2.3;
  transport::send_message(substation, result);
  const auto reply = next_of<proto::ChargeReply>(client);
  REQUIRE(reply);
  CHECK(reply->outcome == proto::Outcome::charging);
  CHECK(reply->power_kw == 0);
  CHECK(reply->min_power_kw == 2.3);
  CHECK(reply->departs_in_s == 3600);

  // A session query goes to north and its answer comes back with the asker's id.
  transport::send_message(client, proto::SessionQuery{"q1", "north.0000001f-1", true});
  const auto query = next_of<proto::SessionQuery>(substation);
  REQUIRE(query);
  CHECK(query->stop);
  CHECK(query->session_id == "north.0000001f-1");
  proto::SessionState state{.request_id = query->request_id, .found = true, .session_id = query->session_id,
                            .status = proto::SessionStatus::stopped, .delivered_kwh = 1.5, .substation_id = "north"};
  transport::send_message(substation, state);
  const auto relayed = next_of<proto::SessionState>(client);
  REQUIRE(relayed);
  CHECK(relayed->request_id == "q1");
  CHECK(relayed->status == proto::SessionStatus::stopped);
  CHECK(relayed->delivered_kwh == 1.5);

  // A limit goes the same way.
  transport::send_message(client, proto::SetLimit{"L1", "north", 30, 0});
  const auto limit = next_of<proto::SetLimit>(substation);
  REQUIRE(limit);
  transport::send_message(substation, proto::LimitAck{limit->request_id, "north", true, 30, 100, 0, ""});
  const auto ack = next_of<proto::LimitAck>(client);
  REQUIRE(ack);
  CHECK(ack->request_id == "L1");
  CHECK(ack->applied);

  // North keeps silent: the asker is answered when the dispatch timeout runs out.
  transport::send_message(client, proto::SessionQuery{"q2", "north.0000001f-1", false});
  REQUIRE(next_of<proto::SessionQuery>(substation));
  const auto unanswered = next_of<proto::SessionState>(client);
  REQUIRE(unanswered);
  CHECK(unanswered->request_id == "q2");
  CHECK_FALSE(unanswered->found);
  CHECK(unanswered->reason == "substation north did not answer");

  // A session on a substation nobody knows: not found, no reason.
  transport::send_message(client, proto::SessionQuery{"q3", "west.00000001-1", false});
  const auto unknown = next_of<proto::SessionState>(client);
  REQUIRE(unknown);
  CHECK_FALSE(unknown->found);
  CHECK(unknown->reason.empty());
}
