#include "http_pool.h"

#include <optional>
#include <stdexcept>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace grid::loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using Clock = std::chrono::steady_clock;

namespace {
// The edge's answers are small; GET /substations lists up to a few thousand substations.
constexpr std::size_t body_limit = 16 * 1024 * 1024;
// The edge closes idle connections after a while: reusing one that sat idle this long risks
// writing into a connection the server is closing, so it is replaced first.
constexpr auto max_idle_reuse = std::chrono::seconds(5);
}  // namespace

std::shared_ptr<ssl::context> make_client_tls_context(const std::string& ca_file, bool insecure) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::no_compression);
  if (SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION) != 1) {
    throw std::runtime_error("cannot set TLS 1.2 as the minimum version");
  }
  if (insecure) {
    context->set_verify_mode(ssl::verify_none);
    return context;
  }
  context->set_verify_mode(ssl::verify_peer);
  beast::error_code ec;
  context->set_default_verify_paths(ec);  // the system's CAs; a machine without them still has --ca-file
  if (!ca_file.empty()) {
    context->load_verify_file(ca_file, ec);
    if (ec) throw std::runtime_error("cannot load the CA file " + ca_file + ": " + ec.message());
  }
  return context;
}

struct HttpPool::Shared {
  tcp::resolver::results_type endpoints;
  std::string host;  // as given: the name the edge's certificate must carry
  std::string host_header;
  std::chrono::milliseconds timeout;
  std::shared_ptr<ssl::context> tls;  // null: plain HTTP
};

// One keep-alive connection, over a plain TCP stream or a TLS stream on one: the HTTP exchange is
// the same code for both (with_stream), only connecting differs.
class HttpPool::Connection {
public:
  Connection(HttpPool& pool, asio::io_context& io) : pool_(pool), io_(io) {}

  void start(HttpCall call) {
    call_ = std::move(call);
    request_ = {};
    request_.method_string(call_.method);
    request_.target(call_.target);
    request_.version(11);
    request_.set(http::field::host, pool_.shared_->host_header);
    for (const auto& [name, value] : call_.headers) request_.set(name, value);
    if (!call_.body.empty()) {
      request_.set(http::field::content_type, "application/json");
      request_.body() = call_.body;
    }
    request_.prepare_payload();
    sent_at_ = Clock::now();
    if (connected_ && sent_at_ - idle_since_ > max_idle_reuse) close();
    if (connected_) {
      lowest().expires_after(pool_.shared_->timeout);
      return send();
    }
    connect();
  }

  void close() {
    if (!plain_ && !tls_) return;
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
    buffer_.clear();
    connected_ = false;
  }

private:
  beast::tcp_stream& lowest() { return tls_ ? beast::get_lowest_layer(*tls_) : *plain_; }

  template <class Operation>
  void with_stream(Operation operation) {
    if (tls_) {
      operation(*tls_);
    } else {
      operation(*plain_);
    }
  }

  void connect() {
    if (!pool_.shared_->tls) {
      if (!plain_) plain_.emplace(io_);
      return open();
    }
    // A TLS stream cannot be used again once its connection has closed: a fresh one, made after
    // the handler that may still be returning through the old one's operation has finished.
    asio::post(io_, [this] {
      tls_.emplace(io_, *pool_.shared_->tls);
      open();
    });
  }

  void open() {
    lowest().expires_after(pool_.shared_->timeout);  // one deadline for connect, handshake and exchange
    lowest().async_connect(pool_.shared_->endpoints, [this](beast::error_code ec, const tcp::endpoint&) {
      if (ec) return fail(ec, "connect");
      beast::error_code ignored;
      lowest().socket().set_option(tcp::no_delay(true), ignored);
      if (!tls_) {
        connected_ = true;
        return send();
      }
      handshake();
    });
  }

  void handshake() {
    // The certificate must name the host we were given; OpenSSL checks it during the handshake.
    // SNI carries a host name only, never an address (RFC 6066).
    const std::string& host = pool_.shared_->host;
    beast::error_code not_an_address;
    asio::ip::make_address(host, not_an_address);
    X509_VERIFY_PARAM* param = SSL_get0_param(tls_->native_handle());
    if (!not_an_address) {
      X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    } else {
      X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
      SSL_set_tlsext_host_name(tls_->native_handle(), host.c_str());
    }
    tls_->async_handshake(ssl::stream_base::client, [this](beast::error_code ec) {
      if (ec) return fail(ec, "TLS handshake");
      connected_ = true;
      send();
    });
  }

  void send() {
    with_stream([this](auto& stream) {
      http::async_write(stream, request_, [this, &stream](beast::error_code ec, std::size_t) {
        if (ec) return fail(ec, "write");
        parser_.emplace();
        parser_->body_limit(body_limit);
        http::async_read(stream, buffer_, *parser_, [this](beast::error_code read_ec, std::size_t) {
          if (read_ec) return fail(read_ec, "read");
          answered();
        });
      });
    });
  }

  void answered() {
    auto& response = parser_->get();
    HttpAnswer answer;
    answer.status = static_cast<int>(response.result_int());
    answer.body = std::move(response.body());
    answer.latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - sent_at_).count();
    if (response.keep_alive()) {
      lowest().expires_never();
      idle_since_ = Clock::now();
    } else {
      close();
    }
    finish(answer);
  }

  void fail(beast::error_code ec, const char* during) {
    HttpAnswer answer;
    answer.timed_out = ec == beast::error::timeout;
    answer.error = answer.timed_out ? "no answer in time" : std::string(during) + ": " + ec.message();
    answer.latency_ms = std::chrono::duration<double, std::milli>(Clock::now() - sent_at_).count();
    close();
    finish(answer);
  }

  void finish(const HttpAnswer& answer) {
    auto done = std::move(call_.done);
    call_ = {};
    pool_.start_next(*this);  // before the callback, which may submit more
    if (done) done(answer);
  }

  HttpPool& pool_;
  asio::io_context& io_;
  std::optional<beast::tcp_stream> plain_;
  std::optional<TlsStream> tls_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  std::optional<http::response_parser<http::string_body>> parser_;
  HttpCall call_;
  bool connected_ = false;
  Clock::time_point sent_at_;
  Clock::time_point idle_since_;
};

HttpPool::HttpPool(asio::io_context& io, const std::string& host, std::uint16_t port, std::size_t connections,
                   std::chrono::milliseconds timeout, std::shared_ptr<ssl::context> tls)
    : shared_(std::make_unique<Shared>()) {
  beast::error_code ec;
  tcp::resolver resolver(io);
  shared_->endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec || shared_->endpoints.empty()) throw std::runtime_error("cannot resolve " + host + ": " + ec.message());
  const bool bracket = host.find(':') != std::string::npos;
  shared_->host_header = (bracket ? "[" + host + "]" : host) + ":" + std::to_string(port);
  shared_->host = host;
  shared_->timeout = timeout;
  shared_->tls = std::move(tls);
  for (std::size_t i = 0; i < connections; ++i) {
    connections_.push_back(std::make_unique<Connection>(*this, io));
    idle_.push_back(connections_.back().get());
  }
}

HttpPool::~HttpPool() = default;

void HttpPool::submit(HttpCall call) {
  if (idle_.empty()) {
    waiting_.push_back(std::move(call));
    return;
  }
  Connection* connection = idle_.back();
  idle_.pop_back();
  connection->start(std::move(call));
}

void HttpPool::start_next(Connection& connection) {
  if (waiting_.empty()) {
    idle_.push_back(&connection);
    return;
  }
  HttpCall next = std::move(waiting_.front());
  waiting_.pop_front();
  connection.start(std::move(next));
}

void HttpPool::close() {
  waiting_.clear();
  for (auto& connection : connections_) connection->close();
}

}  // namespace grid::loadgen
