#pragma once
// The small HTTP/1.1 server every node runs for /metrics and /healthz, and the edge runs for its
// public API. Asynchronous (Boost.Beast, kept out of this header), one request at a time per
// connection, with limits and timeouts enforced before a handler ever sees a request.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace grid::http {

// One header field as received. Names keep the client's spelling: compare them without case.
using Header = std::pair<std::string, std::string>;

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, as sent
  std::string content_type;  // the first Content-Type header, empty when absent
  std::string body;
  // Every header field in the order received, duplicates included, so a handler can refuse a
  // header given twice. Bounded by ServerOptions::header_limit.
  std::vector<Header> headers;
  // The path parameters a Router matched ({id} in "/sessions/{id}"), in pattern order.
  std::vector<std::pair<std::string, std::string>> params;
  // The TCP peer's IP address ("127.0.0.1", "::1"), without the port; empty if the socket could
  // not say. Proxy headers (X-Forwarded-For) are not consulted: a client can write any of them.
  std::string remote_address;

  // The first value of header `name` (any letter case); empty when absent. A header sent with
  // an empty value is present: an empty string_view inside the optional.
  std::optional<std::string_view> header(std::string_view name) const;
  // How many times header `name` was sent.
  std::size_t header_count(std::string_view name) const;
  // The value of path parameter `name`; empty when the route has no such parameter.
  std::string_view param(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";  // empty: no Content-Type header
  std::string body;
  // Extra headers. Server, Content-Length, Connection and Transfer-Encoding belong to the server
  // and are ignored here; so is any header with a CR or LF in it.
  std::vector<std::pair<std::string, std::string>> headers;
};

// {"error": message} with the given status: the shape of every error this project answers.
Response json_error(int status, std::string_view message);

// Sends the response. Callable from any thread, later than the handler's return (the edge answers
// when the broker does); calls after the first are ignored, as are calls after Server::stop().
// Dropping it uncalled closes the connection.
using Respond = std::function<void(Response)>;

// Called on a server thread, concurrently when ServerOptions::threads > 1. Must not block: answer
// through `respond`, now or later. An exception from it becomes a 500.
using Handler = std::function<void(Request, Respond)>;

// A certificate and its private key, as PEM files: the server then speaks HTTPS only.
struct TlsFiles {
  std::string certificate_chain;  // the server's certificate first, then any intermediates
  std::string private_key;
};

struct ServerOptions {
  std::string host = "0.0.0.0";
  std::uint16_t port = 0;  // 0: any free port, see Server::port()
  int threads = 1;
  std::size_t body_limit = 64 * 1024;   // larger bodies get 413
  std::size_t header_limit = 8 * 1024;  // larger headers get 431
  // From the connection (or a request's first byte) to the end of its headers; stops slowloris.
  std::chrono::milliseconds header_timeout{5000};
  // Keep-alive connections with no request in flight close after this; also bounds a body read
  // and a response write.
  std::chrono::milliseconds idle_timeout{30000};
  std::size_t max_connections = 1024;  // above this, new connections are accepted and closed
  // HTTPS only (TLS 1.2 and later) when set; a client that does not complete the TLS handshake
  // within header_timeout (plain HTTP, an old TLS version) is closed without an answer.
  std::optional<TlsFiles> tls;
};

// Thread-safety: construct, start() and stop() from one owner thread; port() from any thread
// after start(). The handler runs on the server's threads.
class Server {
public:
  // Throws std::invalid_argument on options that cannot work (no threads, zero limits), and
  // std::runtime_error naming the file when the TLS certificate or key cannot be loaded or do
  // not match.
  Server(ServerOptions options, Handler handler);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the threads. Throws std::runtime_error naming the address when the
  // address cannot be resolved or bound, std::logic_error when called twice.
  void start();
  // The bound port, which is the useful one when the options asked for port 0.
  std::uint16_t port() const;
  // Closes the listener and every connection and joins the threads. Quick, idempotent.
  void stop();

private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace grid::http
