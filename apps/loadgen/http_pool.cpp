#include "http_pool.h"

#include <optional>
#include <stdexcept>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace grid::loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {
// The edge's answers are small; GET /substations lists up to a few thousand substations.
constexpr std::size_t body_limit = 16 * 1024 * 1024;
// The edge closes idle connections after a while: reusing one that sat idle this long risks
// writing into a connection the server is closing, so it is replaced first.
constexpr auto max_idle_reuse = std::chrono::seconds(5);
}  // namespace

struct HttpPool::Shared {
  tcp::resolver::results_type endpoints;
  std::string host_header;
  std::chrono::milliseconds timeout;
};

class HttpPool::Connection {
public:
  Connection(HttpPool& pool, asio::io_context& io) : pool_(pool), stream_(io) {}

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
    stream_.expires_after(pool_.shared_->timeout);
    if (connected_) return send();
    stream_.async_connect(pool_.shared_->endpoints, [this](beast::error_code ec, const tcp::endpoint&) {
      if (ec) return fail(ec, "connect");
      connected_ = true;
      beast::error_code ignored;
      stream_.socket().set_option(tcp::no_delay(true), ignored);
      send();
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    buffer_.clear();
    connected_ = false;
  }

private:
  void send() {
    http::async_write(stream_, request_, [this](beast::error_code ec, std::size_t) {
      if (ec) return fail(ec, "write");
      parser_.emplace();
      parser_->body_limit(body_limit);
      http::async_read(stream_, buffer_, *parser_, [this](beast::error_code read_ec, std::size_t) {
        if (read_ec) return fail(read_ec, "read");
        answered();
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
      stream_.expires_never();
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
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  std::optional<http::response_parser<http::string_body>> parser_;
  HttpCall call_;
  bool connected_ = false;
  Clock::time_point sent_at_;
  Clock::time_point idle_since_;
};

HttpPool::HttpPool(asio::io_context& io, const std::string& host, std::uint16_t port, std::size_t connections,
                   std::chrono::milliseconds timeout)
    : shared_(std::make_unique<Shared>()) {
  beast::error_code ec;
  tcp::resolver resolver(io);
  shared_->endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec || shared_->endpoints.empty()) throw std::runtime_error("cannot resolve " + host + ": " + ec.message());
  const bool bracket = host.find(':') != std::string::npos;
  shared_->host_header = (bracket ? "[" + host + "]" : host) + ":" + std::to_string(port);
  shared_->timeout = timeout;
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
