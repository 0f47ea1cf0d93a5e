#include "support/http_get.h"

#include <arpa/inet.h>
#include <cstdio>
#include <netinet/in.h>
#include <poll.h>
#include <sstream>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <fstream>

namespace grid::test {
namespace {

// A TCP connection to 127.0.0.1:port, or -1.
int connect_loopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Appends what arrives to `into` until the peer closes (true) or timeout_ms passes (false).
bool read_until_closed(int fd, std::string& into, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  std::array<char, 16384> buffer{};
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd item{fd, POLLIN, 0};
    if (left.count() <= 0 || poll(&item, 1, static_cast<int>(left.count())) <= 0) return false;
    const auto got = recv(fd, buffer.data(), buffer.size(), 0);
    if (got <= 0) return true;
    into.append(buffer.data(), static_cast<std::size_t>(got));
  }
}

// The body of a chunked reply (Prometheus sends larger answers that way): size lines in hex,
// each followed by that many bytes, until a zero size.
std::string dechunk(const std::string& chunked) {
  std::string body;
  std::size_t at = 0;
  while (at < chunked.size()) {
    const auto line_end = chunked.find("\r\n", at);
    if (line_end == std::string::npos) break;
    const std::size_t size = std::stoul(chunked.substr(at, line_end - at), nullptr, 16);
    if (size == 0) break;
    body.append(chunked, line_end + 2, size);
    at = line_end + 2 + size + 2;
  }
  return body;
}

}  // namespace

std::optional<HttpReply> http_request(int port, const std::string& method, const std::string& target,
                                      const std::string& body, const std::string& content_type, int timeout_ms) {
  return http_call(port, {.method = method, .target = target, .body = body, .content_type = content_type,
                          .timeout_ms = timeout_ms});
}

std::optional<HttpReply> http_call(int port, const HttpCall& call) {
  const auto& [method, target, body, content_type, headers, timeout_ms] = call;
  const int fd = connect_loopback(port);
  if (fd < 0) return std::nullopt;
  std::string request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
  if (!content_type.empty()) request += "Content-Type: " + content_type + "\r\n";
  for (const auto& [name, value] : headers) request += name + ": " + value + "\r\n";
  if (!body.empty() || method == "POST") request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "\r\n" + body;
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) {
    close(fd);
    return std::nullopt;
  }

  std::string raw;
  read_until_closed(fd, raw, timeout_ms);
  close(fd);

  const auto head_end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos) return std::nullopt;
  HttpReply reply;
  reply.status = std::atoi(raw.c_str() + 9);
  std::istringstream head(raw.substr(0, head_end));
  std::string line;
  std::getline(head, line);
  while (std::getline(head, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    if (!value.empty() && value.back() == '\r') value.pop_back();
    reply.headers[name] = value;
  }
  reply.body = raw.substr(head_end + 4);
  if (reply.headers["transfer-encoding"] == "chunked") reply.body = dechunk(reply.body);
  return reply;
}

RawExchange raw_exchange(int port, const std::string& bytes, int timeout_ms) {
  RawExchange exchange;
  const int fd = connect_loopback(port);
  if (fd < 0) {
    exchange.closed_by_server = true;
    return exchange;
  }
  send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  exchange.closed_by_server = read_until_closed(fd, exchange.received, timeout_ms);
  close(fd);
  return exchange;
}

std::optional<double> sample(const std::string& exposition, const std::string& series) {
  std::istringstream lines(exposition);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nullopt;
}

std::string promtool_check_metrics(const std::string& exposition) {
  char path[] = "/tmp/grid-metrics-XXXXXX";
  const int fd = mkstemp(path);
  close(fd);
  std::ofstream(path) << exposition;
  const std::string command = std::string("promtool check metrics < ") + path + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string output;
  std::array<char, 4096> buffer{};
  while (pipe && fgets(buffer.data(), static_cast<int>(buffer.size()), pipe)) output += buffer.data();
  const int status = pipe ? pclose(pipe) : -1;
  unlink(path);
  if (status == 0) return "";
  return output.empty() ? "promtool failed (is it installed?)" : output;
}

}  // namespace grid::test
