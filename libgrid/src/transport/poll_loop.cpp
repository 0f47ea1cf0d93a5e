#include "grid/transport/poll_loop.h"

#include <algorithm>
#include <stdexcept>

#include "grid/transport/sockets.h"

namespace grid::transport {
namespace {

std::string unique_control_endpoint(const void* owner) {
  static std::atomic<unsigned long> counter{0};
  return "inproc://grid-loop-control-" + std::to_string(reinterpret_cast<std::uintptr_t>(owner)) + "-" +
         std::to_string(counter++);
}

}  // namespace

PollLoop::PollLoop(zmq::context_t& context, const Clock& clock)
    : context_(context),
      clock_(clock),
      control_endpoint_(unique_control_endpoint(this)),
      control_(make_socket(context, zmq::socket_type::pull)) {
  transport::bind(control_, control_endpoint_);
}

void PollLoop::refuse_after_run(const char* what) const {
  // run() polls a copy of the items taken when it starts: a later addition would never be polled.
  if (running_.load()) throw std::logic_error(std::string("PollLoop::") + what + " after run(): it would never be polled");
}

void PollLoop::add(zmq::socket_t& socket, std::function<void()> on_readable) {
  refuse_after_run("add");
  items_.push_back({socket.handle(), 0, ZMQ_POLLIN, 0});
  handlers_.push_back(std::move(on_readable));
}

void PollLoop::add_fd(int fd, std::function<void()> on_readable) {
  refuse_after_run("add_fd");
  items_.push_back({nullptr, fd, ZMQ_POLLIN, 0});
  handlers_.push_back(std::move(on_readable));
}

void PollLoop::run() {
  refuse_after_run("run");
  running_ = true;
  std::vector<zmq::pollitem_t> items;
  items.push_back({control_.handle(), 0, ZMQ_POLLIN, 0});
  items.insert(items.end(), items_.begin(), items_.end());

  std::optional<TimePoint> next_timer = timers_ ? timers_(clock_.now()) : std::nullopt;
  while (!stop_requested_.load()) {
    auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(max_wait);
    if (next_timer) {
      const auto until = std::chrono::ceil<std::chrono::milliseconds>(*next_timer - clock_.now());
      wait = std::clamp(until, std::chrono::milliseconds(0), wait);
    }
    zmq::poll(items, wait);
    if (items[0].revents & ZMQ_POLLIN) break;
    for (std::size_t i = 1; i < items.size(); ++i) {
      if (items[i].revents & ZMQ_POLLIN) handlers_[i - 1]();
    }
    if (timers_) next_timer = timers_(clock_.now());
  }
}

void PollLoop::stop() {
  stop_requested_ = true;
  zmq::socket_t poke = make_socket(context_, zmq::socket_type::push);
  poke.set(zmq::sockopt::linger, 0);
  poke.connect(control_endpoint_);
  poke.send(zmq::str_buffer("stop"), zmq::send_flags::dontwait);
}

}  // namespace grid::transport
