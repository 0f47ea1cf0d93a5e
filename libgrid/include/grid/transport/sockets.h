#pragma once
// How every socket of ours is set up, in one place: the platform facts listed in docs/protocol.md
// ("Socket options"): ROUTER drops what it cannot route, a send can block forever, linger can
// hang shutdown, a peer can send a frame of any size. They are answered here once, not at each call
// site.
// Thread-safety: a socket belongs to one thread; these functions are called by its owner.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <zmq.hpp>

#include "grid/transport/curve.h"

namespace grid::transport {

inline constexpr int max_frame_bytes = 64 * 1024;  // ZMQ_MAXMSGSIZE on every network-facing socket
inline constexpr std::chrono::milliseconds linger{200};  // bounded: shutdown never hangs on a peer

struct SocketSettings {
  int high_water_mark = 10'000;  // messages queued per peer before sends fail or drop
  bool router_mandatory = false;  // ROUTER: fail a send to an unknown peer instead of dropping it
  bool router_handover = false;   // ROUTER: a reconnecting peer with a known id takes over its id
  bool immediate = false;          // queue only on completed connections (fail fast when none)
  std::string routing_id;          // DEALER: the id the ROUTER sees (a substation's own id)
  // CurveZMQ: a binding socket is a server (its peers checked by the ZAP handler of the context),
  // a connecting one a client. Neither: the NULL mechanism, unauthenticated and in clear text.
  std::optional<CurveServer> curve_server;
  std::optional<CurveClient> curve_client;
};

// Creates a socket with linger, the frame-size cap, high-water marks, fast reconnects and ZMTP
// heartbeats (so a vanished TCP peer is noticed) set, plus whatever `settings` asks for.
zmq::socket_t make_socket(zmq::context_t& context, zmq::socket_type type, const SocketSettings& settings = {});

// Binds `socket` to `endpoint`. On failure throws std::runtime_error naming the endpoint and
// ZeroMQ's reason ("cannot bind tcp://*:5555: Address already in use"): zmq::error_t alone says
// only the reason, which leaves an operator of a node with three endpoints guessing.
void bind(zmq::socket_t& socket, const std::string& endpoint);

// The endpoint a socket actually bound (tcp://127.0.0.1:* resolves to a real port).
std::string last_endpoint(const zmq::socket_t& socket);

// Empty when `endpoint` is one a node can connect to or bind (tcp://, ipc:// or inproc:// with
// something after the scheme), else why not: the one check behind every endpoint flag.
std::string endpoint_error(std::string_view endpoint);

}  // namespace grid::transport
