#pragma once
// A self-signed certificate for 127.0.0.1 and localhost, made per test run with the openssl CLI
// in a fresh directory that is removed however the test ends: no key material is committed.

#include <doctest/doctest.h>

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "support/process.h"

namespace grid::test {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char pattern[] = "/tmp/grid-tls-test-XXXXXX";
    if (mkdtemp(pattern) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

struct SelfSigned {
  TempDir dir;
  std::string cert = (dir.path / "cert.pem").string();
  std::string key = (dir.path / "key.pem").string();
  SelfSigned() {
    ChildProcess openssl("openssl", {"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                                     "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-days",
                                     "1", "-subj", "/CN=localhost", "-addext",
                                     "subjectAltName=IP:127.0.0.1,DNS:localhost"});
    REQUIRE_MESSAGE(openssl.wait(20000) == 0, openssl.log());
  }
};

// curl's answer: its exit code and what it printed (the body, then the status on a last line).
struct CurlResult {
  int exit_code = -1;
  std::string output;
  int status() const {
    const auto last = output.find_last_of('\n');
    return last == std::string::npos ? 0 : std::atoi(output.c_str() + last + 1);
  }
  std::string body() const { return output.substr(0, output.find_last_of('\n')); }
};

// curl trusting only `ca`, so the certificate's name and chain are checked as a real client
// would; every run is bounded (--max-time, and the wait).
inline CurlResult curl(const std::string& ca, const std::vector<std::string>& args) {
  std::vector<std::string> argv{"/usr/bin/curl", "-s", "--max-time", "5", "--cacert", ca, "-w", "\n%{http_code}"};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess process("curl", argv);
  const int code = process.wait(10000);
  return {code, process.log()};
}

}  // namespace grid::test
