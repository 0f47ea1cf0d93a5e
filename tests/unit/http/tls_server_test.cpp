// The Server with ServerOptions::tls: the same HTTP handling over TLS, plain HTTP refused at the
// handshake without disturbing other clients, and certificates that cannot be used refused at
// construction. curl is the client, trusting only the test's own certificate.
#include <doctest/doctest.h>

#include <fstream>
#include <stdexcept>

#include "grid/http/server.h"
#include "support/http_get.h"
#include "support/self_signed.h"

using namespace grid::http;
using grid::test::curl;
using grid::test::SelfSigned;
using grid::test::TempDir;

namespace {

ServerOptions tls_on_loopback(const SelfSigned& certificate) {
  ServerOptions options;
  options.host = "127.0.0.1";
  options.tls = TlsFiles{certificate.cert, certificate.key};
  return options;
}

void echo(Request request, Respond respond) {
  respond(Response{200, "text/plain", request.method + " " + request.target + " " + request.body, {}});
}

std::string https(const Server& server, const std::string& path) {
  return "https://localhost:" + std::to_string(server.port()) + path;
}

}  // namespace

TEST_CASE("tls: a request over HTTPS gets the same handling as over HTTP, keep-alive included") {
  SelfSigned certificate;
  Server server(tls_on_loopback(certificate), echo);
  server.start();
  const auto post = curl(certificate.cert, {"-X", "POST", "-d", "hello", https(server, "/charge")});
  CHECK(post.exit_code == 0);
  CHECK(post.status() == 200);
  CHECK(post.body() == "POST /charge hello");
  // Two URLs in one curl run share one kept-alive TLS connection.
  const auto two = curl(certificate.cert, {https(server, "/a"), https(server, "/b")});
  CHECK(two.exit_code == 0);
  CHECK(two.output.find("GET /a") != std::string::npos);
  CHECK(two.output.find("GET /b") != std::string::npos);
}

TEST_CASE("tls: plain HTTP to the HTTPS port is closed without an answer, and TLS clients are still served") {
  SelfSigned certificate;
  Server server(tls_on_loopback(certificate), echo);
  server.start();
  const auto plain = grid::test::raw_exchange(server.port(), "GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(plain.closed_by_server);
  CHECK(plain.received.find("HTTP/") == std::string::npos);
  const auto old = curl(certificate.cert, {"--tlsv1.1", "--tls-max", "1.1", https(server, "/old")});
  CHECK(old.exit_code != 0);
  const auto after = curl(certificate.cert, {https(server, "/after")});
  CHECK(after.status() == 200);
  CHECK(after.body() == "GET /after ");
}

TEST_CASE("tls: a certificate or key that cannot be used is refused when the server is built") {
  SelfSigned certificate;
  SelfSigned other;
  TempDir dir;
  const auto garbage = (dir.path / "garbage.pem").string();
  std::ofstream(garbage) << "not PEM\n";
  const auto missing = (dir.path / "missing.pem").string();
  struct Row {
    std::string cert;
    std::string key;
    std::string says;
  };
  const std::vector<Row> table{{garbage, certificate.key, "cannot load TLS certificate " + garbage},
                               {missing, certificate.key, "cannot load TLS certificate " + missing},
                               {certificate.cert, garbage, "cannot load TLS private key " + garbage},
                               {certificate.cert, other.key, other.key}};
  for (const auto& row : table) {
    CAPTURE(row.cert);
    CAPTURE(row.key);
    ServerOptions options;
    options.tls = TlsFiles{row.cert, row.key};
    try {
      Server server(options, echo);
      FAIL("no exception");
    } catch (const std::runtime_error& error) {
      CHECK_MESSAGE(std::string(error.what()).find(row.says) != std::string::npos, error.what());
    }
  }
}
