#include "grid/http/server.h"

#include <atomic>
#include <stdexcept>
#include <thread>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "connection.h"
#include "grid/util/logging.h"

namespace grid::http {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using detail::Connection;
using detail::ConnectionBase;
using detail::ServerCore;

struct Server::Impl {
  Impl(ServerOptions options, Handler handler, std::shared_ptr<asio::ssl::context> tls)
      : core(std::make_shared<ServerCore>(std::move(options), std::move(handler), std::move(tls))),
        acceptor(asio::make_strand(core->io)),
        retry(acceptor.get_executor()) {}

  void listen();
  void accept();
  void on_accept(boost::system::error_code ec, tcp::socket socket);
  void run_thread();

  std::shared_ptr<ServerCore> core;  // first member: outlives the acceptor and the timer
  tcp::acceptor acceptor;            // with `retry` and `accept_log`, used on the acceptor's strand
  asio::steady_timer retry;
  LogRateLimit accept_log;
  std::vector<std::thread> threads;
  std::atomic<std::uint16_t> port{0};
  bool started = false;
  bool stopped = false;
};

void Server::Impl::listen() {
  const auto& options = core->options;
  const std::string where = options.host + ":" + std::to_string(options.port);
  boost::system::error_code ec;
  tcp::resolver resolver(core->io);
  const auto results = resolver.resolve(options.host, std::to_string(options.port),
                                        tcp::resolver::passive | tcp::resolver::numeric_service, ec);
  if (ec || results.empty()) {
    throw std::runtime_error("http: cannot resolve listen address " + where + ": " + ec.message());
  }
  const tcp::endpoint endpoint = *results.begin();
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);  // restart despite TIME_WAIT
  }
  if (!ec) {
    acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    throw std::runtime_error("http: cannot listen on " + where + ": " + ec.message());
  }
  port = acceptor.local_endpoint().port();
}

void Server::Impl::accept() {
  acceptor.async_accept(asio::make_strand(core->io),
                        [this](boost::system::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void Server::Impl::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted) {
    return;
  }
  std::size_t suppressed = 0;
  if (ec) {
    // Typically out of file descriptors: pause instead of spinning on the failing accept.
    if (accept_log.allow(suppressed)) {
      spdlog::warn("http: accept failed on port {}: {} ({} more suppressed)", port.load(), ec.message(), suppressed);
    }
    retry.expires_after(std::chrono::milliseconds(100));
    retry.async_wait([this](boost::system::error_code wait_ec) {
      if (!wait_ec) {
        accept();
      }
    });
    return;
  }
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);  // small answers, often pipelined
  std::shared_ptr<ConnectionBase> connection;
  {
    std::lock_guard lock(core->mutex);
    if (core->stopping) {
      return;
    }
    if (core->connections.size() < core->options.max_connections) {
      const auto id = core->next_id++;
      if (core->tls) {
        connection = std::make_shared<Connection<detail::TlsStream>>(core, std::move(socket), id);
      } else {
        connection = std::make_shared<Connection<detail::PlainStream>>(core, std::move(socket), id);
      }
      core->connections.emplace(id, connection);
    }
  }
  if (connection) {
    connection->start();
  } else {
    if (accept_log.allow(suppressed)) {
      spdlog::warn("http: {} connections open on port {}, closing new ones ({} more suppressed)",
                   core->options.max_connections, port.load(), suppressed);
    }
    socket.close(ignored);
  }
  accept();
}

void Server::Impl::run_thread() {
  for (;;) {
    try {
      core->io.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("http: server thread: {}", e.what());
    }
  }
}

Server::Server(ServerOptions options, Handler handler) {
  if (options.threads < 1 || options.body_limit == 0 || options.header_limit == 0 || options.max_connections == 0 ||
      options.header_timeout.count() <= 0 || options.idle_timeout.count() <= 0) {
    throw std::invalid_argument("http: server options need threads >= 1 and positive limits and timeouts");
  }
  if (!handler) {
    throw std::invalid_argument("http: server needs a handler");
  }
  auto tls = options.tls ? detail::make_tls_context(*options.tls) : nullptr;
  impl_ = std::make_unique<Impl>(std::move(options), std::move(handler), std::move(tls));
}

Server::~Server() { stop(); }

void Server::start() {
  if (impl_->started) {
    throw std::logic_error("http: Server::start called twice");
  }
  impl_->listen();
  impl_->started = true;
  impl_->accept();
  for (int i = 0; i < impl_->core->options.threads; ++i) {
    impl_->threads.emplace_back([impl = impl_.get()] { impl->run_thread(); });
  }
}

std::uint16_t Server::port() const { return impl_->port.load(); }

void Server::stop() {
  if (!impl_->started || impl_->stopped) {
    return;
  }
  impl_->stopped = true;
  std::vector<std::shared_ptr<ConnectionBase>> open;
  {
    std::lock_guard lock(impl_->core->mutex);
    impl_->core->stopping = true;
    for (const auto& [id, weak] : impl_->core->connections) {
      if (auto connection = weak.lock()) {
        open.push_back(std::move(connection));
      }
    }
  }
  asio::post(impl_->acceptor.get_executor(), [impl = impl_.get()] {
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
    impl->retry.cancel();
  });
  for (const auto& connection : open) {
    connection->close();
  }
  open.clear();
  // Every operation now completes at once (aborted), so the threads run out of work and return.
  for (auto& thread : impl_->threads) {
    thread.join();
  }
  impl_->threads.clear();
  // A handler still queued here would hold its Connection, which holds the core and so the
  // io_context that holds the handler: run what is left so that cycle cannot outlive the server.
  impl_->core->io.restart();
  impl_->core->io.poll();
}

}  // namespace grid::http
