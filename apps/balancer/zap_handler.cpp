#include "zap_handler.h"

#include <spdlog/spdlog.h>

#include "grid/transport/sockets.h"

namespace grid::balancer {
namespace {

constexpr const char* zap_endpoint = "inproc://zeromq.zap.01";
constexpr std::size_t max_request_frames = 8;  // RFC 27: six frames plus CURVE's one credential

transport::AllowLists read_lists(const AllowDirectories& directories) {
  return {transport::load_allow_list(directories.substations), transport::load_allow_list(directories.clients)};
}

}  // namespace

ZapHandler::ZapHandler(zmq::context_t& context, AllowDirectories directories, OnRefused on_refused)
    : directories_(std::move(directories)),
      lists_(read_lists(directories_)),
      on_refused_(std::move(on_refused)),
      socket_(transport::make_socket(context, zmq::socket_type::rep)) {
  transport::bind(socket_, zap_endpoint);
  spdlog::info("CURVE on: {} substation keys from {}, {} client keys from {}", lists_.substations.size(),
               directories_.substations, lists_.clients.size(), directories_.clients);
}

void ZapHandler::reload() {
  try {
    lists_ = read_lists(directories_);
    spdlog::info("allow lists reloaded: {} substation keys, {} client keys", lists_.substations.size(),
                 lists_.clients.size());
  } catch (const std::exception& error) {
    spdlog::error("allow lists not reloaded, the previous ones stay in force: {}", error.what());
  }
}

void ZapHandler::on_readable() {
  while (true) {
    std::vector<zmq::message_t> request;
    bool more = true;
    while (more) {
      zmq::message_t frame;
      if (!socket_.recv(frame, request.empty() ? zmq::recv_flags::dontwait : zmq::recv_flags::none)) return;
      more = frame.more();
      if (request.size() < max_request_frames) request.push_back(std::move(frame));
    }
    answer(request);
  }
}

// Request: version, request id, domain, address, identity, mechanism, credentials...
// Reply:   version, request id, status code, status text, user id, metadata.
void ZapHandler::answer(const std::vector<zmq::message_t>& request) {
  const auto frame = [&](std::size_t i) { return i < request.size() ? request[i].to_string_view() : std::string_view(); };
  transport::ZapDecision decision;
  if (request.size() < 6 || frame(0) != "1.0") {
    decision.reason = "malformed ZAP request";
  } else {
    decision = transport::decide_zap(lists_, frame(2), frame(5), transport::z85_of_binary_key(frame(6)));
  }
  if (!decision.allowed) {
    on_refused_(frame(2));
    std::size_t suppressed = 0;
    if (refusal_log_.allow(suppressed)) {
      spdlog::warn("refused a {} peer from {} on the {} socket: {} ({} similar suppressed)", frame(5), frame(3),
                   frame(2), decision.reason, suppressed);
    }
  }
  const std::string code = decision.allowed ? "200" : "400";
  const std::string text = decision.allowed ? "OK" : decision.reason;
  socket_.send(zmq::buffer(std::string_view("1.0")), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(frame(1)), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(code), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(text), zmq::send_flags::sndmore);
  socket_.send(zmq::buffer(decision.user_id), zmq::send_flags::sndmore);
  socket_.send(zmq::const_buffer(nullptr, 0), zmq::send_flags::none);
}

}  // namespace grid::balancer
