#pragma once
// What the broker tests share: a scripted balancer frontend (a ROUTER on loopback the test drives
// by hand), the broker thread run and joined, and the answers it gives, collected by key.

#include <doctest/doctest.h>

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include "broker_client.h"
#include "grid/metrics/exposition.h"
#include "grid/transport/sockets.h"
#include "grid/transport/wire.h"
#include "support/http_get.h"
#include "support/wait.h"

namespace grid::edge::testing {

using namespace std::chrono_literals;

// Answers collected from the broker thread, keyed by the vehicle id of the request.
class Answers {
public:
  OnAnswer recorder(const std::string& vehicle) {
    return [this, vehicle](BrokerAnswer answer) {
      std::lock_guard lock(mutex_);
      answers_.emplace(vehicle, std::move(answer));
    };
  }
  std::optional<BrokerAnswer> get(const std::string& vehicle) {
    std::lock_guard lock(mutex_);
    const auto found = answers_.find(vehicle);
    if (found == answers_.end()) return std::nullopt;
    return found->second;
  }
  bool has(const std::string& vehicle) { return get(vehicle).has_value(); }
  std::size_t count(const std::string& vehicle) {
    std::lock_guard lock(mutex_);
    return answers_.count(vehicle);
  }
  std::size_t size() {
    std::lock_guard lock(mutex_);
    return answers_.size();
  }

private:
  std::mutex mutex_;
  std::multimap<std::string, BrokerAnswer> answers_;
};

// A balancer frontend the test scripts: receives on its own (the test's) thread.
struct FakeBalancer {
  explicit FakeBalancer(zmq::context_t& context)
      : router(transport::make_socket(context, zmq::socket_type::router, {.router_mandatory = true})) {
    router.bind("tcp://127.0.0.1:*");
    endpoint = transport::last_endpoint(router);
  }
  // The next message that is not a Ping (pings are answered with `live` substations if `pong`).
  std::optional<std::pair<std::string, proto::Message>> next(std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      zmq::pollitem_t item{router.handle(), 0, ZMQ_POLLIN, 0};
      zmq::poll(&item, 1, 10ms);
      auto inbound = transport::receive_message(router, true);
      if (!inbound || !std::holds_alternative<proto::Message>(inbound->message)) continue;
      auto& message = std::get<proto::Message>(inbound->message);
      if (const auto* ping = std::get_if<proto::Ping>(&message)) {
        if (pong) transport::send_message(router, proto::Pong{ping->nonce, live}, inbound->routing_id);
        continue;
      }
      return std::pair{inbound->routing_id, std::move(message)};
    }
    return std::nullopt;
  }
  proto::ChargeRequest next_request() {
    auto message = next();
    REQUIRE(message);
    auto* request = std::get_if<proto::ChargeRequest>(&message->second);
    REQUIRE(request);
    client = message->first;
    return *request;
  }
  // Any message to the last client, e.g. a SessionState or a SubstationInfo.
  template <typename Message>
  void answer(const Message& message) {
    // A long burst (a list of 10,000 substations) may fill the pipe for a moment: wait for room.
    REQUIRE(test::wait_until(
        [&] { return transport::send_message(router, message, client) == transport::SendResult::sent; }, 5s, 1ms));
  }
  // The next message, which must be a `Message` (a query the edge asked); remembers its sender.
  template <typename Message>
  Message next_of() {
    auto message = next();
    REQUIRE(message);
    auto* typed = std::get_if<Message>(&message->second);
    REQUIRE(typed);
    client = message->first;
    return *typed;
  }
  void reply(const proto::ChargeReply& reply) { REQUIRE(transport::send_message(router, reply, client) == transport::SendResult::sent); }
  // Serves pings until `done` holds or the limit runs out.
  bool serve_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      next(20ms);
    }
    return true;
  }

  // Reads what has come without waiting: pings answered (while `pong`), the rest kept in `inbox`
  // with its sender, so one test thread can play several balancers.
  void pump() {
    while (auto inbound = transport::receive_message(router, true)) {
      if (!std::holds_alternative<proto::Message>(inbound->message)) continue;
      auto& message = std::get<proto::Message>(inbound->message);
      if (const auto* ping = std::get_if<proto::Ping>(&message)) {
        if (pong) transport::send_message(router, proto::Pong{ping->nonce, live}, inbound->routing_id);
        continue;
      }
      inbox.emplace_back(inbound->routing_id, std::move(message));
    }
  }
  // The requests of kind `Message` in the inbox, with their senders, taken out of it.
  template <typename Message>
  std::vector<std::pair<std::string, Message>> take() {
    std::vector<std::pair<std::string, Message>> taken;
    for (auto at = inbox.begin(); at != inbox.end();) {
      if (auto* typed = std::get_if<Message>(&at->second)) {
        taken.emplace_back(at->first, *typed);
        at = inbox.erase(at);
      } else {
        ++at;
      }
    }
    return taken;
  }

  zmq::socket_t router;
  std::string endpoint;
  std::string client;
  bool pong = true;
  std::uint32_t live = 3;
  std::deque<std::pair<std::string, proto::Message>> inbox;
};

// Plays every balancer in `balancers` (pump()) until `done` holds or the limit runs out.
inline bool serve_all(const std::vector<FakeBalancer*>& balancers, const std::function<bool()>& done,
                      std::chrono::milliseconds limit = 5s) {
  return test::wait_until(
      [&] {
        for (auto* balancer : balancers) balancer->pump();
        return done();
      },
      limit, 2ms);
}

// The broker thread, stopped and joined on destruction.
struct RunningBroker {
  RunningBroker(zmq::context_t& context, BrokerConfig config)
      : metrics(registry.registry()), broker(context, std::move(config), metrics), thread([this] { broker.run(); }) {}
  ~RunningBroker() { stop(); }
  void stop() {
    broker.stop();
    if (thread.joinable()) thread.join();
  }
  std::optional<double> metric(const std::string& series) {
    return test::sample(registry.text(), series);
  }

  metrics::Exposition registry;
  EdgeMetrics metrics;
  BrokerClient broker;
  std::thread thread;
};

inline BrokerConfig config_for(const std::string& endpoint, std::chrono::milliseconds timeout = 2s) {
  return {.balancer_endpoints = {endpoint}, .timeout = timeout, .ping_interval = 50ms, .health_window = 300ms,
          .id_prefix = 0xabcdef};
}

inline const proto::ChargeReply* reply_of(const std::optional<BrokerAnswer>& answer) {
  return answer ? std::get_if<proto::ChargeReply>(&*answer) : nullptr;
}

inline std::optional<BrokerFailure> failure_of(const std::optional<BrokerAnswer>& answer) {
  if (!answer || !std::holds_alternative<BrokerFailure>(*answer)) return std::nullopt;
  return std::get<BrokerFailure>(*answer);
}


}  // namespace grid::edge::testing
