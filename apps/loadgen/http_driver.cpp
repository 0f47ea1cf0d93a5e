// The HTTP driver: POST /charge through grid-edge, as EVs would. One io_context thread; each of
// the --concurrency keep-alive connections carries one request at a time and reconnects when its
// connection is lost. With several edges (--target repeated) connection i keeps to edge i mod n,
// so the load is spread as evenly as the connections are used. Beast stays in this file.
#include <atomic>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "driver.h"
#include "grid/util/logging.h"
#include "pacer.h"

namespace grid::loadgen {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::size_t response_body_limit = 64 * 1024;  // the edge's answers are a few hundred bytes
// A keep-alive connection idle for longer is replaced before use rather than reused: the edge
// closes idle connections (after 30 s by default), and a request written into a connection the
// server is closing fails through no fault of the grid. Slow open-loop runs hit this.
constexpr auto max_idle_reuse = std::chrono::seconds(5);

class HttpDriver;

// One edge to send to: where it is, and what its requests say in their Host header.
struct Edge {
  std::string text;  // the --target, as the summary names it
  tcp::resolver::results_type endpoints;
  std::string host_header;
};

// One keep-alive connection to an edge. Owned by the driver; used on the io_context thread only.
class Connection {
public:
  Connection(HttpDriver& driver, asio::io_context& io, const Edge& edge) : driver_(driver), edge_(edge), stream_(io) {}
  void start(std::size_t n);

private:
  void send();
  void on_response();
  void fail(beast::error_code ec, const char* during);
  void close();

  HttpDriver& driver_;
  const Edge& edge_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_{response_body_limit};
  http::request<http::string_body> request_;
  std::optional<http::response_parser<http::string_body>> parser_;
  bool connected_ = false;
  std::size_t n_ = 0;
  Clock::time_point sent_at_;
  Clock::time_point idle_since_;
};

class HttpDriver final : public Driver {
public:
  explicit HttpDriver(const LoadgenConfig& config)
      : config_(config),
        io_(1),
        pace_timer_(io_),
        pacer_({config.vehicles, config.concurrency, config.rate, config.ramp_s}, config.seed) {
    tcp::resolver resolver(io_);
    for (const auto& target : config.targets) {
      beast::error_code ec;
      auto endpoints = resolver.resolve(target.host, std::to_string(target.port), ec);
      if (ec || endpoints.empty()) throw std::runtime_error("cannot resolve " + target.host + ": " + ec.message());
      edges_.push_back({target.text(), std::move(endpoints), target.host + ":" + std::to_string(target.port)});
      tally_.targets[target.text()];  // every edge in the summary, even one that got nothing
    }
    tally_.planned = config.vehicles;
    for (std::size_t i = 0; i < config.concurrency; ++i) {
      connections_.push_back(std::make_unique<Connection>(*this, io_, edges_[i % edges_.size()]));
    }
    for (auto& connection : connections_) idle_.push_back(connection.get());
  }

  RunTally run() override {
    start_ = last_finish_ = Clock::now();
    pump();
    if (!stopped_) io_.run();  // returns when every request has finished (no work left) or on stop()
    tally_.wall_s = std::chrono::duration<double>(last_finish_ - start_).count();
    tally_.interrupted = stopped_.load() && tally_.finished() < tally_.planned;
    return tally_;
  }

  void stop() override {
    stopped_ = true;
    io_.stop();
  }

  // For the connections.
  const LoadgenConfig& config() const { return config_; }
  ProblemLog& problems() { return problems_; }
  TargetCount& count(const Edge& edge) { return tally_.targets[edge.text]; }

  void finish(Connection* connection, RequestOutcome outcome, std::optional<double> latency_ms,
              const std::string& substation = {}) {
    tally_.record(outcome, latency_ms, substation);
    last_finish_ = Clock::now();
    --in_flight_;
    idle_.push_back(connection);
    pump();
  }

private:
  // Starts every request the pacer allows now, then sleeps until it allows the next (a finished
  // request calls this again).
  void pump() {
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    // The pacer never allows more in flight than --concurrency, which is the number of connections.
    while (!idle_.empty() && pacer_.may_start(elapsed, in_flight_)) {
      Connection* connection = idle_.back();
      idle_.pop_back();
      pacer_.started();
      ++in_flight_;
      connection->start(pacer_.started_count());
    }
    if (const auto at = pacer_.next_wake_s(elapsed, in_flight_)) {
      pace_timer_.expires_at(start_ + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(*at)));
      pace_timer_.async_wait([this](beast::error_code ec) {
        if (!ec) pump();
      });
    } else {
      // A wait left pending would keep io_context::run() from returning after the last answer.
      pace_timer_.cancel();
    }
  }

  LoadgenConfig config_;
  asio::io_context io_;
  asio::steady_timer pace_timer_;
  Pacer pacer_;
  std::vector<Edge> edges_;  // filled before the connections, which keep references into it
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<Connection*> idle_;
  std::size_t in_flight_ = 0;
  RunTally tally_;
  Clock::time_point start_;
  Clock::time_point last_finish_;
  std::atomic<bool> stopped_{false};
  ProblemLog problems_;
};

void Connection::start(std::size_t n) {
  n_ = n;
  const auto& config = driver_.config();
  request_ = {};
  request_.method(http::verb::post);
  request_.target("/charge");
  request_.version(11);
  request_.set(http::field::host, edge_.host_header);
  request_.set(http::field::content_type, "application/json");
  request_.body() =
      nlohmann::json{{"vehicle_id", vehicle_id(n)}, {"power_kw", config.power_kw}, {"energy_kwh", config.energy_kwh}}
          .dump();
  request_.prepare_payload();
  sent_at_ = Clock::now();
  ++driver_.count(edge_).sent;
  if (connected_ && sent_at_ - idle_since_ > max_idle_reuse) close();
  // One deadline for the whole exchange, connect included: it is the user's per-request timeout.
  stream_.expires_after(config.timeout);
  if (connected_) {
    send();
    return;
  }
  stream_.async_connect(edge_.endpoints, [this](beast::error_code ec, const tcp::endpoint&) {
    if (ec) return fail(ec, "connect");
    connected_ = true;
    beast::error_code ignored;
    stream_.socket().set_option(tcp::no_delay(true), ignored);  // small requests, answered one by one
    send();
  });
}

void Connection::send() {
  http::async_write(stream_, request_, [this](beast::error_code ec, std::size_t) {
    if (ec) return fail(ec, "write");
    parser_.emplace();
    parser_->body_limit(response_body_limit);
    http::async_read(stream_, buffer_, *parser_, [this](beast::error_code read_ec, std::size_t) {
      if (read_ec) return fail(read_ec, "read");
      on_response();
    });
  });
}

void Connection::on_response() {
  const auto& response = parser_->get();
  const double latency = std::chrono::duration<double, std::milli>(Clock::now() - sent_at_).count();
  if (response.keep_alive()) {
    stream_.expires_never();
    idle_since_ = Clock::now();
  } else {
    close();  // the edge asked to close; the next request reconnects
  }
  const int status = static_cast<int>(response.result_int());
  ++driver_.count(edge_).answered;
  if (status == 200) {
    const auto body = nlohmann::json::parse(response.body(), nullptr, false);
    if (body.is_object() && body.contains("substation") && body["substation"].is_string()) {
      return driver_.finish(this, RequestOutcome::charging, latency, body["substation"].get<std::string>());
    }
    driver_.problems().warn("EV-{}: 200 without a substation in its body: {:.200}", n_, response.body());
    return driver_.finish(this, RequestOutcome::error, latency);
  }
  if (status == 503) return driver_.finish(this, RequestOutcome::no_capacity, latency);
  if (status == 504) return driver_.finish(this, RequestOutcome::timeout, latency);
  driver_.problems().warn("EV-{}: HTTP {}: {:.200}", n_, status, response.body());
  driver_.finish(this, RequestOutcome::error, latency);
}

void Connection::fail(beast::error_code ec, const char* during) {
  const bool timed_out = ec == beast::error::timeout;
  close();
  if (timed_out) {
    driver_.problems().warn("EV-{}: no answer within {} ms", n_, driver_.config().timeout.count());
    return driver_.finish(this, RequestOutcome::timeout, std::nullopt);
  }
  driver_.problems().warn("EV-{}: {} failed: {}", n_, during, ec.message());
  driver_.finish(this, RequestOutcome::error, std::nullopt);
}

void Connection::close() {
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.close();
  buffer_.clear();
  connected_ = false;
}

}  // namespace

std::unique_ptr<Driver> make_http_driver(const LoadgenConfig& config) { return std::make_unique<HttpDriver>(config); }

}  // namespace grid::loadgen
