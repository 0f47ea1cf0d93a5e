#pragma once
// The balancers one edge talks to, all active at once: one DEALER per configured endpoint, each
// with ZMQ_IMMEDIATE (a send to a balancer with no connection fails at once, so the request can go
// to the next one instead of queueing for a peer that may never come) and the same CurveZMQ
// client keys (every balancer of a grid shares one server key pair). A balancer is *answering*
// while its last pong is within the health window; the edge is healthy while at least one is.
// Thread-safety: healthy(), answering_count() and live_substations() from any thread (they read
// atomics); everything else on the broker thread that owns the sockets.

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "grid/transport/curve.h"
#include "grid/util/clock.h"

namespace grid::edge {

class BalancerSet {
public:
  // Creates and connects one DEALER per endpoint (a balancer may come later). Throws
  // std::invalid_argument for an empty or duplicated list, zmq::error_t for a bad endpoint.
  BalancerSet(zmq::context_t& context, const std::vector<std::string>& endpoints,
              const std::optional<transport::CurveClient>& curve, const Clock& clock, Duration health_window);

  std::size_t size() const { return balancers_.size(); }
  const std::vector<std::string>& endpoints() const { return endpoints_; }
  const std::string& endpoint(std::size_t index) const { return endpoints_[index]; }
  zmq::socket_t& socket(std::size_t index) { return balancers_[index]->dealer; }

  // A pong from balancer `index` saying it sees `live` substations.
  void pong(std::size_t index, std::uint32_t live, TimePoint now);
  bool answering(std::size_t index, TimePoint now) const;
  bool healthy() const { return answering_count() > 0; }
  std::size_t answering_count() const;
  // The most live substations any answering balancer reported (0 when none answers).
  std::uint32_t live_substations() const;
  // When the next answering balancer falls out of the health window, if any answers.
  std::optional<TimePoint> next_expiry() const;

  // The balancers whose answering changed since the last call, with their state now.
  struct Change {
    std::size_t index;
    bool answering;
  };
  std::vector<Change> changes(TimePoint now);

  // Where to try a request whose preference is `order` (every index once), best first: the
  // answering balancers in that order, then the others; `avoid` (the one it was last sent to)
  // comes last among those of its kind, so a retry goes elsewhere unless nowhere else answers.
  std::vector<std::size_t> candidates(const std::vector<std::size_t>& order, std::optional<std::size_t> avoid,
                                      TimePoint now) const;

private:
  struct Balancer {
    zmq::socket_t dealer;
    std::atomic<Duration::rep> last_pong;  // time_since_epoch; `never` before the first pong
    std::atomic<std::uint32_t> live{0};
    bool reported = false;                 // broker thread: answering as changes() last said
  };
  bool answering_at(const Balancer& balancer, TimePoint now) const;

  std::vector<std::string> endpoints_;
  std::vector<std::unique_ptr<Balancer>> balancers_;  // atomics do not move: held by pointer
  const Clock& clock_;
  Duration health_window_;
};

}  // namespace grid::edge
