#pragma once
// A few keep-alive HTTP/1.1 connections to one edge, shared by every kind of request a trace
// replay makes (charge, unplug, look at the grid): a request waits in line for a free connection,
// and its callback gets the status and body, or the reason there was none. Plain HTTP, or HTTPS
// with a client TLS context. Beast stays in the .cpp. Thread-safety: everything on the
// io_context's one thread.

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

namespace boost::asio::ssl {
class context;
}

namespace grid::loadgen {

// A client context for HTTPS: TLS 1.2 or later; the edge's certificate is verified against the
// system's CAs plus `ca_file` (PEM; empty: none), or not at all when `insecure`. Throws
// std::runtime_error when `ca_file` cannot be loaded.
std::shared_ptr<boost::asio::ssl::context> make_client_tls_context(const std::string& ca_file, bool insecure);

struct HttpAnswer {
  int status = 0;  // 0: no answer (see error)
  std::string body;
  double latency_ms = 0;  // from writing the request to its answer (the wait in line excluded)
  bool timed_out = false;
  std::string error;  // why there was no answer
};

struct HttpCall {
  std::string method;  // "GET", "POST", "DELETE"
  std::string target;  // "/charge"
  std::string body;    // JSON, or empty
  std::vector<std::pair<std::string, std::string>> headers;
  std::function<void(const HttpAnswer&)> done;
};

class HttpPool {
public:
  // Throws std::runtime_error when the host does not resolve. With `tls`, every connection is
  // HTTPS, its certificate checked for `host` (a name or an IP address) unless the context skips
  // verification.
  HttpPool(boost::asio::io_context& io, const std::string& host, std::uint16_t port, std::size_t connections,
           std::chrono::milliseconds timeout, std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  ~HttpPool();
  HttpPool(const HttpPool&) = delete;
  HttpPool& operator=(const HttpPool&) = delete;

  void submit(HttpCall call);
  std::size_t waiting() const { return waiting_.size(); }
  // Closes every connection and drops the calls in line without calling them (shutting down).
  void close();

  class Connection;

private:
  void start_next(Connection& connection);

  struct Shared;
  std::unique_ptr<Shared> shared_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> idle_;
  std::deque<HttpCall> waiting_;
};

}  // namespace grid::loadgen
