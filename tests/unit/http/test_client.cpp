#include "test_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace grid::http::test {

Client::Client(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  if (fd_ < 0 || ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    throw std::runtime_error("test client: cannot connect to port " + std::to_string(port));
  }
}

Client::~Client() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

bool Client::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

Client::Read Client::read_more(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  if (left.count() <= 0) {
    return Read::timeout;
  }
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
    return Read::timeout;
  }
  char chunk[4096];
  const auto n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n <= 0) {
    return Read::closed;  // EOF, or a reset: the server is gone either way
  }
  buffer_.append(chunk, static_cast<std::size_t>(n));
  return Read::data;
}

std::optional<Reply> Client::read_reply(std::chrono::milliseconds guard) {
  const auto deadline = std::chrono::steady_clock::now() + guard;
  std::size_t end = 0;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (read_more(deadline) != Read::data) {
      return std::nullopt;
    }
  }
  Reply reply;
  const std::string head = buffer_.substr(0, end + 2);
  std::size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  reply.status = std::stoi(status_line.substr(status_line.find(' ') + 1, 3));
  for (std::size_t pos = line_end + 2; pos < head.size(); pos = line_end + 2) {
    line_end = head.find("\r\n", pos);
    const std::string line = head.substr(pos, line_end - pos);
    const auto colon = line.find(':');
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    reply.headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
  }
  buffer_.erase(0, end + 4);
  const auto length = static_cast<std::size_t>(
      std::stoul(reply.header("content-length").empty() ? "0" : reply.header("content-length")));
  while (buffer_.size() < length) {
    if (read_more(deadline) != Read::data) {
      return std::nullopt;
    }
  }
  reply.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return reply;
}

bool Client::wait_closed(std::chrono::milliseconds guard) {
  const auto deadline = std::chrono::steady_clock::now() + guard;
  for (;;) {
    switch (read_more(deadline)) {
      case Read::data:
        buffer_.clear();
        break;
      case Read::closed:
        return true;
      case Read::timeout:
        return false;
    }
  }
}

std::string get(std::string_view target, bool close) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n";
}

std::optional<Reply> fetch(std::uint16_t port, const std::string& request) {
  Client client(port);
  if (!client.send(request)) {
    return std::nullopt;
  }
  return client.read_reply();
}

std::pair<int, std::string> promtool_check(const std::string& text) {
  char path[] = "/tmp/grid-http-metrics-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) {
    return {-1, "mkstemp failed"};
  }
  ::close(fd);
  std::ofstream(path, std::ios::binary) << text;
  const std::string command = std::string("promtool check metrics < ") + path + " 2>&1";
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) {
    ::unlink(path);
    return {-1, "popen failed"};
  }
  char chunk[512];
  while (const auto n = std::fread(chunk, 1, sizeof chunk, pipe)) {
    output.append(chunk, n);
  }
  const int status = ::pclose(pipe);
  ::unlink(path);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace grid::http::test
