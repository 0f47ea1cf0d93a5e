#pragma once
// One accepted HTTP connection and the state it shares with its server. Private to libgrid/http.
// The connection is a template on its stream so plain HTTP and HTTPS share every line of the HTTP
// handling; only the start (a TLS handshake) and the end (a TLS close_notify) differ.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <type_traits>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "grid/http/server.h"

namespace grid::http::detail {

// What the server needs of any connection, whatever its stream: start it, close it on stop().
class ConnectionBase {
public:
  virtual ~ConnectionBase() = default;
  virtual void start() = 0;
  virtual void close() = 0;
};

// The TLS context of TlsFiles (tls_context.cpp): TLS 1.2 and later, no compression, the server's
// cipher order. Throws std::runtime_error naming the file that cannot be loaded.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const TlsFiles& files);

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// Shared by the server and its connections. A connection keeps it alive because a Respond held by
// application code can outlive the Server, and its socket must not outlive the io_context.
struct ServerCore {
  ServerCore(ServerOptions o, Handler h, std::shared_ptr<boost::asio::ssl::context> t)
      : options(std::move(o)), handler(std::move(h)), tls(std::move(t)), io(options.threads) {}

  const ServerOptions options;
  const Handler handler;
  // Set when the server speaks HTTPS only; shared by every TLS connection (OpenSSL's SSL_CTX is
  // safe to share once configured).
  const std::shared_ptr<boost::asio::ssl::context> tls;
  boost::asio::io_context io;

  std::mutex mutex;  // guards what follows
  bool stopping = false;
  std::uint64_t next_id = 0;
  std::map<std::uint64_t, std::weak_ptr<ConnectionBase>> connections;
};

// Thread-safety: start() and close() from any thread (they post to the connection's strand);
// everything else runs on that strand. Stream is PlainStream or TlsStream (instantiated in
// connection.cpp).
template <class Stream>
class Connection final : public ConnectionBase, public std::enable_shared_from_this<Connection<Stream>> {
public:
  Connection(std::shared_ptr<ServerCore> core, boost::asio::ip::tcp::socket socket, std::uint64_t id);
  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start() override;
  void close() override;

private:
  using Clock = std::chrono::steady_clock;
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

  static constexpr bool is_tls = std::is_same_v<Stream, TlsStream>;

  boost::beast::tcp_stream& lowest() { return boost::beast::get_lowest_layer(stream_); }
  // HTTPS: the handshake, within the header timeout, before the first request is read.
  void handshake();
  void read_request();
  void read_header(Clock::time_point deadline);
  void on_header(boost::beast::error_code ec);
  void read_body();
  void on_body(boost::beast::error_code ec);
  // Maps a read error to an answer (413, 431, 400) or a silent close.
  void on_read_error(boost::beast::error_code ec);
  void dispatch();
  void deliver(Response response);
  void send(Response response, bool close_after);
  void send_error(int status, std::string_view message);
  void linger_close();
  void drain();

  std::shared_ptr<ServerCore> core_;  // first member: destroyed last, after the stream
  Stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  std::optional<boost::beast::http::response<boost::beast::http::string_body>> response_;
  std::array<char, 4096> discard_{};
  std::uint64_t id_;
  std::string remote_address_;  // read once: after a reset the socket can no longer say
  Clock::time_point accepted_at_;
  unsigned version_ = 11;
  bool keep_alive_ = false;
  bool first_request_ = true;
  bool closed_ = false;
};

extern template class Connection<PlainStream>;
extern template class Connection<TlsStream>;

}  // namespace grid::http::detail
