#pragma once
// The balancer's ZAP handler (ZeroMQ RFC 27): a REP socket at inproc://zeromq.zap.01 in the
// balancer's context, polled in the balancer's loop. libzmq asks it about every CURVE handshake on
// the balancer's sockets; it answers 200 with the node id as User-Id, or 400, from the allow lists
// (transport::decide_zap). A refused peer never gets a message through.
// It must be bound before any CURVE server socket of the context binds: without a handler libzmq
// lets every handshake through.
// Thread-safety: one owner thread (the balancer's loop), like its socket.

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "grid/transport/curve.h"
#include "grid/util/logging.h"

namespace grid::balancer {

struct AllowDirectories {
  std::string substations;  // public keys of substations (backend and heartbeats)
  std::string clients;      // public keys of edges and load generators (frontend)
};

class ZapHandler {
public:
  using OnRefused = std::function<void(std::string_view domain)>;

  // Reads both directories (throws std::runtime_error on a bad one) and binds the handler socket.
  ZapHandler(zmq::context_t& context, AllowDirectories directories, OnRefused on_refused);

  zmq::socket_t& socket() { return socket_; }
  // Answers every request waiting on the socket.
  void on_readable();
  // Re-reads both directories (on SIGHUP). A bad directory keeps the lists in force and logs why.
  void reload();

private:
  void answer(const std::vector<zmq::message_t>& request);

  AllowDirectories directories_;
  transport::AllowLists lists_;
  OnRefused on_refused_;
  zmq::socket_t socket_;
  LogRateLimit refusal_log_;  // a refused peer retries every reconnect interval
};

}  // namespace grid::balancer
