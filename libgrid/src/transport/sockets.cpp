#include "grid/transport/sockets.h"

#include <stdexcept>

namespace grid::transport {

zmq::socket_t make_socket(zmq::context_t& context, zmq::socket_type type, const SocketSettings& settings) {
  zmq::socket_t socket(context, type);
  socket.set(zmq::sockopt::linger, static_cast<int>(linger.count()));
  socket.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(max_frame_bytes));
  socket.set(zmq::sockopt::sndhwm, settings.high_water_mark);
  socket.set(zmq::sockopt::rcvhwm, settings.high_water_mark);
  // A restarted balancer is found again within a few hundred milliseconds.
  socket.set(zmq::sockopt::reconnect_ivl, 100);
  socket.set(zmq::sockopt::reconnect_ivl_max, 1000);
  // ZMTP pings notice a peer whose TCP connection vanished without a FIN (a killed host).
  socket.set(zmq::sockopt::heartbeat_ivl, 1000);
  socket.set(zmq::sockopt::heartbeat_timeout, 3000);
  if (settings.router_mandatory) socket.set(zmq::sockopt::router_mandatory, 1);
  if (settings.router_handover) socket.set(zmq::sockopt::router_handover, 1);
  if (settings.immediate) socket.set(zmq::sockopt::immediate, 1);
  if (!settings.routing_id.empty()) socket.set(zmq::sockopt::routing_id, settings.routing_id);
  if (settings.curve_server) {
    socket.set(zmq::sockopt::curve_server, 1);
    socket.set(zmq::sockopt::curve_secretkey, settings.curve_server->secret_key);
    socket.set(zmq::sockopt::zap_domain, settings.curve_server->zap_domain);
  }
  if (settings.curve_client) {
    socket.set(zmq::sockopt::curve_serverkey, settings.curve_client->server_key);
    socket.set(zmq::sockopt::curve_publickey, settings.curve_client->own.public_key);
    socket.set(zmq::sockopt::curve_secretkey, settings.curve_client->own.secret_key);
  }
  return socket;
}

void bind(zmq::socket_t& socket, const std::string& endpoint) {
  try {
    socket.bind(endpoint);
  } catch (const zmq::error_t& error) {
    throw std::runtime_error("cannot bind " + endpoint + ": " + error.what());
  }
}

std::string last_endpoint(const zmq::socket_t& socket) {
  return socket.get(zmq::sockopt::last_endpoint);
}

std::string endpoint_error(std::string_view endpoint) {
  for (const std::string_view scheme : {"tcp://", "ipc://", "inproc://"}) {
    if (endpoint.substr(0, scheme.size()) == scheme && endpoint.size() > scheme.size()) return "";
  }
  return "expected a ZeroMQ endpoint such as tcp://127.0.0.1:5555, got '" + std::string(endpoint) + "'";
}

}  // namespace grid::transport
