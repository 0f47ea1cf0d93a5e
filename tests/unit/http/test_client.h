#pragma once
// A deliberately dumb blocking HTTP client over a raw POSIX socket, so the tests can send exactly
// the bytes they want (half a header, garbage, two pipelined requests) and wait for the server's
// reaction with a deadline instead of sleeping.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace grid::http::test {

using namespace std::chrono_literals;

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

class Client {
public:
  explicit Client(std::uint16_t port);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // False when the server has closed the connection already.
  bool send(std::string_view bytes);
  // One response (Content-Length framed); empty when the connection closed or the guard expired.
  std::optional<Reply> read_reply(std::chrono::milliseconds guard = 5s);
  // Reads and discards until the server closes; false if the guard expires first.
  bool wait_closed(std::chrono::milliseconds guard = 5s);

private:
  enum class Read { data, closed, timeout };
  Read read_more(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
};

// A GET with Host, optionally on a keep-alive connection.
std::string get(std::string_view target, bool close = false);

// Sends the request on a fresh connection and returns the reply.
std::optional<Reply> fetch(std::uint16_t port, const std::string& request);

// Pipes exposition text through `promtool check metrics`; exit code and combined output.
std::pair<int, std::string> promtool_check(const std::string& text);

}  // namespace grid::http::test
