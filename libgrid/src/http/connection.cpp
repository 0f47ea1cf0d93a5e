#include "connection.h"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl.hpp>

namespace grid::http::detail {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {

// The server owns framing and connection management; a handler must not be able to contradict it
// or split the response with an embedded CR/LF.
bool allowed_header(const std::string& name, const std::string& value) {
  if (name.empty() || name.find_first_of("\r\n:") != std::string::npos ||
      value.find_first_of("\r\n") != std::string::npos) {
    return false;
  }
  for (const char* reserved : {"server", "content-length", "connection", "transfer-encoding"}) {
    if (beast::iequals(name, reserved)) {
      return false;
    }
  }
  return true;
}

bool is_parse_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

// The stream of an accepted socket: as it is, or wrapped in TLS with the server's context.
template <class Stream>
Stream make_stream(tcp::socket socket, ServerCore& core) {
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    return Stream(beast::tcp_stream(std::move(socket)), *core.tls);
  } else {
    return Stream(std::move(socket));
  }
}

}  // namespace

template <class Stream>
Connection<Stream>::Connection(std::shared_ptr<ServerCore> core, tcp::socket socket, std::uint64_t id)
    : core_(std::move(core)), stream_(make_stream<Stream>(std::move(socket), *core_)), id_(id), accepted_at_(Clock::now()) {
  beast::error_code ec;
  const auto peer = lowest().socket().remote_endpoint(ec);
  if (ec) return;
  // A dual-stack listener sees IPv4 clients as ::ffff:a.b.c.d; name them as IPv4 clients.
  const auto address = peer.address();
  const bool mapped = address.is_v6() && address.to_v6().is_v4_mapped();
  remote_address_ = mapped ? asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string()
                           : address.to_string();
}

template <class Stream>
Connection<Stream>::~Connection() {
  std::lock_guard lock(core_->mutex);
  core_->connections.erase(id_);
}

template <class Stream>
void Connection<Stream>::start() {
  asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
    if constexpr (is_tls) {
      self->handshake();
    } else {
      self->read_request();
    }
  });
}

template <class Stream>
void Connection<Stream>::handshake() {
  if constexpr (is_tls) {
    // The handshake counts against the first request's header timeout: a client that opens a
    // connection and says nothing is closed just as with plain HTTP.
    lowest().expires_at(accepted_at_ + core_->options.header_timeout);
    stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
      if (ec) {
        // Plain HTTP on this port, an old TLS version, a client that gave up: nothing to answer
        // in HTTP, since the client does not speak it to us. Close, and keep serving the rest.
        spdlog::debug("http: connection {}: TLS handshake failed: {}", self->id_, ec.message());
        self->lowest().close();
        return;
      }
      self->read_request();
    });
  }
}

template <class Stream>
void Connection<Stream>::close() {
  asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
    self->closed_ = true;
    if (self->response_) {
      // An answer is being written: let it finish (the write's completion closes), but within a
      // second, so a client that stops reading cannot hold up a stopping server.
      self->lowest().expires_after(std::chrono::seconds(1));
      return;
    }
    self->lowest().close();
  });
}

template <class Stream>
void Connection<Stream>::read_request() {
  if (closed_) {
    return;
  }
  const auto& options = core_->options;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(std::min<std::size_t>(options.header_limit, UINT32_MAX)));
  parser_->body_limit(options.body_limit);
  if (first_request_) {
    // A new connection gets header_timeout in all to send its first headers.
    read_header(accepted_at_ + options.header_timeout);
    return;
  }
  if (buffer_.size() > 0) {  // a pipelined request is already here
    read_header(Clock::now() + options.header_timeout);
    return;
  }
  // Idle keep-alive: wait for a first byte with the (long) idle timeout, then give the rest of the
  // headers the (short) header timeout, so a slow sender cannot hold the connection for longer.
  lowest().expires_after(options.idle_timeout);
  stream_.async_read_some(buffer_.prepare(4096), [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
    self->buffer_.commit(n);
    if (ec) {
      self->on_read_error(ec);
      return;
    }
    self->read_header(Clock::now() + self->core_->options.header_timeout);
  });
}

template <class Stream>
void Connection<Stream>::read_header(Clock::time_point deadline) {
  lowest().expires_at(deadline);
  bhttp::async_read_header(stream_, buffer_, *parser_,
                           [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

template <class Stream>
void Connection<Stream>::on_header(beast::error_code ec) {
  if (ec) {
    on_read_error(ec);
    return;
  }
  first_request_ = false;
  version_ = parser_->get().version();
  if (parser_->is_done()) {
    dispatch();
    return;
  }
  if (!beast::iequals(parser_->get()[bhttp::field::expect], "100-continue")) {
    read_body();
    return;
  }
  // curl and others wait (a second, or forever) for this before sending a body.
  static constexpr std::string_view go_on = "HTTP/1.1 100 Continue\r\n\r\n";
  lowest().expires_after(core_->options.idle_timeout);
  asio::async_write(stream_, asio::buffer(go_on.data(), go_on.size()),
                    [self = this->shared_from_this()](beast::error_code write_ec, std::size_t) {
                      if (write_ec) {
                        self->lowest().close();
                        return;
                      }
                      self->read_body();
                    });
}

template <class Stream>
void Connection<Stream>::read_body() {
  lowest().expires_after(core_->options.idle_timeout);
  bhttp::async_read(stream_, buffer_, *parser_,
                    [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_body(ec); });
}

template <class Stream>
void Connection<Stream>::on_body(beast::error_code ec) {
  if (ec) {
    on_read_error(ec);
    return;
  }
  dispatch();
}

template <class Stream>
void Connection<Stream>::on_read_error(beast::error_code ec) {
  const auto& options = core_->options;
  if (ec == bhttp::error::body_limit) {
    send_error(413, "body too large (limit " + std::to_string(options.body_limit) + " bytes)");
  } else if (ec == bhttp::error::header_limit) {
    send_error(431, "header too large (limit " + std::to_string(options.header_limit) + " bytes)");
  } else if (is_parse_error(ec)) {
    send_error(400, "bad request: " + ec.message());
  } else {
    // End of stream, a reset, a timeout (the stream has closed the socket already) or stop().
    spdlog::debug("http: connection {} closed: {}", id_, ec.message());
    lowest().close();
  }
}

template <class Stream>
void Connection<Stream>::dispatch() {
  auto& message = parser_->get();
  keep_alive_ = message.keep_alive();
  Request request{std::string(message.method_string()), std::string(message.target()),
                  std::string(message[bhttp::field::content_type]), std::move(message.body()), {}, {}, remote_address_};
  for (const auto& field : message) {
    request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  parser_.reset();
  auto answered = std::make_shared<std::atomic<bool>>(false);
  Respond respond = [self = this->shared_from_this(), answered](Response response) {
    if (!answered->exchange(true)) {
      self->deliver(std::move(response));
    }
  };
  try {
    core_->handler(std::move(request), respond);
  } catch (const std::exception& e) {
    spdlog::error("http: handler failed: {}", e.what());
    respond(json_error(500, "internal error"));
  } catch (...) {
    spdlog::error("http: handler failed with a non-standard exception");
    respond(json_error(500, "internal error"));
  }
}

template <class Stream>
void Connection<Stream>::deliver(Response response) {
  // Under the core's lock so stop() cannot finish between the check and the post: once stopping,
  // the io_context may have no threads left and the answer has nowhere to go.
  std::lock_guard lock(core_->mutex);
  if (core_->stopping) {
    return;
  }
  asio::post(stream_.get_executor(), [self = this->shared_from_this(), response = std::move(response)]() mutable {
    self->send(std::move(response), !self->keep_alive_);
  });
}

template <class Stream>
void Connection<Stream>::send(Response response, bool close_after) {
  if (closed_) {
    return;
  }
  if (response.status < 200 || response.status > 599) {
    spdlog::error("http: handler answered with status {}; sending 500", response.status);
    response = json_error(500, "internal error");
  }
  auto& out = response_.emplace();
  out.version(version_);
  out.result(static_cast<unsigned>(response.status));
  out.set(bhttp::field::server, "grid");
  if (!response.content_type.empty()) {
    out.set(bhttp::field::content_type, response.content_type);
  }
  for (const auto& [name, value] : response.headers) {
    if (allowed_header(name, value)) {
      out.set(name, value);
    }
  }
  // 204 and 304 must not carry a body; Beast would throw rather than send one.
  if (response.status != 204 && response.status != 304) {
    out.body() = std::move(response.body);
  }
  out.keep_alive(!close_after);
  out.prepare_payload();
  lowest().expires_after(core_->options.idle_timeout);
  bhttp::async_write(stream_, out, [self = this->shared_from_this(), close_after](beast::error_code ec, std::size_t) {
    self->response_.reset();
    if (ec || self->closed_) {
      self->lowest().close();
    } else if (close_after) {
      self->linger_close();
    } else {
      self->read_request();
    }
  });
}

template <class Stream>
void Connection<Stream>::send_error(int status, std::string_view message) {
  keep_alive_ = false;
  send(json_error(status, message), true);
}

// Closing a socket with unread input makes the kernel send a reset, which can destroy our error
// response in the client's receive buffer before it reads it. So: stop sending, read and discard
// what the client still sends, and close on its EOF or after a short grace period.
template <class Stream>
void Connection<Stream>::linger_close() {
  if constexpr (is_tls) {
    // TLS ends with close_notify, so the client can tell the end of the answer from a cut
    // connection; the TCP close follows when the client answers it, or after a second.
    lowest().expires_after(std::chrono::seconds(1));
    stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->lowest().close(); });
    return;
  }
  beast::error_code ignored;
  lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
  lowest().expires_after(std::chrono::seconds(1));
  drain();
}

template <class Stream>
void Connection<Stream>::drain() {
  stream_.async_read_some(asio::buffer(discard_), [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
    if (ec) {
      self->lowest().close();
      return;
    }
    self->drain();
  });
}

template class Connection<PlainStream>;
template class Connection<TlsStream>;

}  // namespace grid::http::detail
