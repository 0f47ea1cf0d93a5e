// grid_relay_floor: the floor the balancer path is measured against. It has the grid's shape (a
// broker process with a ROUTER for clients and a ROUTER for workers, and worker processes whose
// DEALERs connect to it over loopback) and does the least any broker of that shape must do: move
// frames. No decoding, no policy, no bookkeeping on the request path.
//
//   grid_relay_floor broker --frontend tcp://127.0.0.1:P --backend tcp://127.0.0.1:Q
//   grid_relay_floor worker --backend tcp://127.0.0.1:Q --id sub-1
//
// The client is the same grid-loadgen that drives the real balancer, so both sides speak our
// frames: the broker forwards a request's frames untouched, prefixed with the client's routing
// id, to the next worker (round robin); the worker answers with a ChargeReply encoded once at
// start, into which it copies the request id's bytes from the request (msgpack strings are
// length-prefixed, so that is a slice, not a decode). The broker relays the answer back. Pings
// are the exception: the broker decodes them and answers a pong, so grid-loadgen starts at once.
//
// Stops on SIGINT/SIGTERM. Bench tool: not part of the grid.
#include <csignal>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>
#include <zmq.hpp>

#include "grid/proto/codec.h"
#include "grid/transport/poll_loop.h"
#include "grid/transport/sockets.h"
#include "grid/transport/wire.h"
#include "grid/util/logging.h"
#include "grid/util/shutdown.h"

namespace {

using grid::transport::make_socket;

constexpr int batch = 256;  // per wake-up, as the balancer does
constexpr std::string_view ready = "READY";
constexpr std::size_t max_frames = 8;

// Reads one multipart message without blocking into `frames`; returns the frame count (0: none).
// Frames past max_frames are read and dropped (the count says so).
std::size_t receive_frames(zmq::socket_t& socket, std::array<zmq::message_t, max_frames>& frames) {
  std::size_t count = 0;
  zmq::message_t frame;
  if (!socket.recv(frame, zmq::recv_flags::dontwait)) return 0;
  while (true) {
    const bool more = frame.more();
    if (count < max_frames) frames[count] = std::move(frame);
    ++count;
    if (!more) return count;
    frame = zmq::message_t();
    if (!socket.recv(frame, zmq::recv_flags::none)) return count;
  }
}

// Sends frames [first, count) as one message; false when the peer cannot be reached.
bool send_frames(zmq::socket_t& socket, std::array<zmq::message_t, max_frames>& frames, std::size_t first,
                 std::size_t count, zmq::message_t* prefix = nullptr) {
  try {
    if (prefix != nullptr && !socket.send(*prefix, zmq::send_flags::dontwait | zmq::send_flags::sndmore)) return false;
    for (std::size_t i = first; i < count; ++i) {
      auto flags = zmq::send_flags::dontwait;
      if (i + 1 < count) flags = flags | zmq::send_flags::sndmore;
      if (!socket.send(frames[i], flags)) return false;
    }
  } catch (const zmq::error_t& error) {
    if (error.num() == EHOSTUNREACH) return false;
    throw;
  }
  return true;
}

class Broker {
public:
  Broker(zmq::context_t& context, const std::string& frontend_endpoint, const std::string& backend_endpoint)
      : frontend_(make_socket(context, zmq::socket_type::router, {.router_mandatory = true})),
        backend_(make_socket(context, zmq::socket_type::router, {.router_mandatory = true})),
        loop_(context, grid::steady_clock()) {
    frontend_.bind(frontend_endpoint);
    backend_.bind(backend_endpoint);
    loop_.add(frontend_, [this] { on_frontend(); });
    loop_.add(backend_, [this] { on_backend(); });
  }
  void run() { loop_.run(); }
  void stop() { loop_.stop(); }

private:
  void on_frontend() {
    for (int i = 0; i < batch; ++i) {
      const std::size_t count = receive_frames(frontend_, frames_);
      if (count == 0) return;
      if (count != 4) continue;  // [client][GRID1][command][body]
      if (frames_[2].size() == 1 && *frames_[2].data<std::uint8_t>() == static_cast<std::uint8_t>(grid::proto::Command::ping)) {
        answer_ping();
        continue;
      }
      if (workers_.empty()) continue;
      zmq::message_t worker(workers_[next_].data(), workers_[next_].size());
      next_ = (next_ + 1) % workers_.size();
      send_frames(backend_, frames_, 0, count, &worker);
    }
  }

  void on_backend() {
    for (int i = 0; i < batch; ++i) {
      const std::size_t count = receive_frames(backend_, frames_);
      if (count == 0) return;
      if (count == 2 && frames_[1].to_string_view() == ready) {
        workers_.push_back(frames_[0].to_string());
        spdlog::info("worker '{}' ready ({} in all)", workers_.back(), workers_.size());
        continue;
      }
      if (count != 5) continue;  // [worker][client][GRID1][command][body]
      send_frames(frontend_, frames_, 1, count);
    }
  }

  void answer_ping() {
    const std::array<std::string_view, 3> views{frames_[1].to_string_view(), frames_[2].to_string_view(),
                                                frames_[3].to_string_view()};
    const auto decoded = grid::proto::decode(views);
    const auto* message = std::get_if<grid::proto::Message>(&decoded);
    const auto* ping = message ? std::get_if<grid::proto::Ping>(message) : nullptr;
    if (ping == nullptr) return;
    const grid::proto::Pong pong{ping->nonce, static_cast<std::uint32_t>(workers_.size())};
    grid::transport::send_message(frontend_, pong, frames_[0].to_string_view());
  }

  zmq::socket_t frontend_;
  zmq::socket_t backend_;
  grid::transport::PollLoop loop_;
  std::array<zmq::message_t, max_frames> frames_;
  std::vector<std::string> workers_;
  std::size_t next_ = 0;
};

class Worker {
public:
  Worker(zmq::context_t& context, const std::string& backend_endpoint, const std::string& id)
      : socket_(make_socket(context, zmq::socket_type::dealer, {.routing_id = id})), loop_(context, grid::steady_clock()) {
    // A charging answer as a substation's would look, encoded once; only its request id changes.
    const grid::proto::ChargeReply reply{.request_id = "x",
                                         .outcome = grid::proto::Outcome::charging,
                                         .session_id = "s0badcafe-1000000",
                                         .substation_id = id,
                                         .power_kw = 11,
                                         .reason = ""};
    const auto encoded = grid::proto::encode(reply);
    // [0x96][0xa1 'x'][the other five fields]: keep the other five.
    tail_ = encoded.body.substr(3);
    socket_.connect(backend_endpoint);
    socket_.send(zmq::buffer(ready), zmq::send_flags::none);
    loop_.add(socket_, [this] { on_request(); });
  }
  void run() { loop_.run(); }
  void stop() { loop_.stop(); }

private:
  void on_request() {
    for (int i = 0; i < batch; ++i) {
      const std::size_t count = receive_frames(socket_, frames_);
      if (count == 0) return;
      if (count != 4) continue;  // [client][GRID1][command][body]
      // The ChargeRequest body is [request_id, ...]: a fixarray then a str8 or fixstr.
      const auto body = frames_[3].to_string_view();
      if (body.size() < 2) continue;
      const auto tag = static_cast<std::uint8_t>(body[1]);
      std::size_t header = 1, length = 0;
      if ((tag & 0xe0) == 0xa0) {
        length = tag & 0x1f;
      } else if (tag == 0xd9 && body.size() >= 3) {
        header = 2;
        length = static_cast<std::uint8_t>(body[2]);
      } else {
        continue;
      }
      if (body.size() < 1 + header + length) continue;
      reply_.assign("\x96");
      reply_.append(body.substr(1, header + length));
      reply_.append(tail_);
      frames_[2].rebuild(&command_, 1);
      frames_[3].rebuild(reply_.data(), reply_.size());
      send_frames(socket_, frames_, 0, count);
    }
  }

  zmq::socket_t socket_;
  grid::transport::PollLoop loop_;
  std::array<zmq::message_t, max_frames> frames_;
  std::string tail_;
  std::string reply_;
  const char command_ = static_cast<char>(grid::proto::Command::charge_reply);
};

template <class Node>
int run_until_signal(Node& node) {
  std::thread thread([&] { node.run(); });
  grid::wait_for_shutdown_signal();
  node.stop();
  thread.join();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"grid_relay_floor: the least a broker of the grid's shape must do (move frames), to measure the "
               "balancer against"};
  app.require_subcommand(1);
  std::string frontend, backend, id, log_level = "warn";
  auto* broker = app.add_subcommand("broker", "ROUTER for clients, ROUTER for workers, round robin between workers");
  broker->add_option("--frontend", frontend, "Endpoint to bind for clients")->required();
  broker->add_option("--backend", backend, "Endpoint to bind for workers")->required();
  auto* worker = app.add_subcommand("worker", "Answers every request with a pre-encoded charging reply");
  worker->add_option("--backend", backend, "The broker's backend endpoint")->required();
  worker->add_option("--id", id, "Routing id, shown as the substation in the replies")->required();
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  grid::setup_logging("relay-floor", log_level);
  grid::block_shutdown_signals();
  try {
    zmq::context_t context;
    if (*broker) {
      Broker node(context, frontend, backend);
      return run_until_signal(node);
    }
    Worker node(context, backend, id);
    return run_until_signal(node);
  } catch (const std::exception& error) {
    spdlog::critical("cannot start: {}", error.what());
    return 1;
  }
}
