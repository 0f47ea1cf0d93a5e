#pragma once
// One accepted HTTP connection and the state it shares with its server. Private to libgrid/http.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "grid/http/server.h"

namespace grid::http::detail {

class Connection;

// Shared by the server and its connections. A connection keeps it alive because a Respond held by
// application code can outlive the Server, and its socket must not outlive the io_context.
struct ServerCore {
  ServerCore(ServerOptions o, Handler h) : options(std::move(o)), handler(std::move(h)), io(options.threads) {}

  const ServerOptions options;
  const Handler handler;
  boost::asio::io_context io;

  std::mutex mutex;  // guards what follows
  bool stopping = false;
  std::uint64_t next_id = 0;
  std::map<std::uint64_t, std::weak_ptr<Connection>> connections;
};

// Thread-safety: start() and close() from any thread (they post to the connection's strand);
// everything else runs on that strand.
class Connection : public std::enable_shared_from_this<Connection> {
public:
  Connection(std::shared_ptr<ServerCore> core, boost::asio::ip::tcp::socket socket, std::uint64_t id);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();
  void close();

private:
  using Clock = std::chrono::steady_clock;
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;

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
  boost::beast::tcp_stream stream_;
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

}  // namespace grid::http::detail
