#pragma once
// A deliberately small blocking HTTP/1.1 client for tests: one request per connection
// (Connection: close), reads to EOF. Not for production: nodes use Beast.

#include <map>
#include <optional>
#include <string>

namespace grid::test {

struct HttpReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

// Empty when the connection fails or the reply is not HTTP; every wait is bounded by timeout_ms.
std::optional<HttpReply> http_request(int port, const std::string& method, const std::string& target,
                                      const std::string& body = "", const std::string& content_type = "",
                                      int timeout_ms = 5000);
// The same with any headers (Authorization, Idempotency-Key...).
struct HttpCall {
  std::string method = "GET";
  std::string target;
  std::string body;
  std::string content_type;
  std::map<std::string, std::string> headers;
  int timeout_ms = 5000;
};
std::optional<HttpReply> http_call(int port, const HttpCall& call);
inline std::optional<HttpReply> http_get(int port, const std::string& target) {
  return http_request(port, "GET", target);
}

// Sends raw bytes on a new connection and reads until the server closes it or timeout_ms passes.
struct RawExchange {
  std::string received;
  bool closed_by_server = false;  // false: still open when the time ran out
};
RawExchange raw_exchange(int port, const std::string& bytes, int timeout_ms = 5000);

// The value of one sample in a Prometheus text exposition, e.g. sample(text, "x_total{a=\"b\"}").
std::optional<double> sample(const std::string& exposition, const std::string& series);

// Runs `promtool check metrics` on the text; returns promtool's output, empty when it passed.
std::string promtool_check_metrics(const std::string& exposition);

}  // namespace grid::test
