#pragma once
// Before a ZeroMQ run: wait for the balancer to answer a ping, so the DEALER's connection is up
// and the first requests are not failed by `immediate`. Shared by the rush-hour driver and the
// trace replay. Thread-safety: the socket's owner thread; `stopped` may be set from any thread.

#include <atomic>
#include <chrono>
#include <string>

#include <zmq.hpp>

namespace grid::loadgen {

// Pings every 50 ms for up to `patience`; true once the balancer answers. No answer is not fatal
// for the caller: the run then records what happens (errors, timeouts), which is what the user
// asked to measure; a warning says so.
bool wait_for_balancer(zmq::socket_t& socket, const std::string& endpoint, std::chrono::milliseconds patience,
                       const std::atomic<bool>& stopped);

}  // namespace grid::loadgen
