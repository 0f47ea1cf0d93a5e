#pragma once
// A small client of the Chrome DevTools Protocol, for tests that look at a page as a person
// would: it drives one page of a headless Chromium (HeadlessBrowser) over the browser's
// WebSocket, with Boost.Beast and nlohmann-json. Calls block until their answer or a deadline;
// the events that arrive meanwhile are kept, and every JavaScript error the page reports (an
// uncaught exception, console.error, a browser log entry at level error) is collected for the
// test to check. Nothing waits on time alone: wait_for polls a condition in the page until it
// holds or its limit runs out.
// Thread-safety: none; one test thread owns a client.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "support/process.h"

namespace grid::test {

// Chromium started headless in a process group of its own (a browser is many processes), on a
// DevTools port it chooses, with a throw-away profile. Killed, group and all, on destruction.
class HeadlessBrowser {
public:
  // Throws std::runtime_error with a clear message when `binary` is missing or never says where
  // its DevTools listen within `limit`.
  explicit HeadlessBrowser(const std::string& binary = "chromium",
                           std::chrono::milliseconds limit = std::chrono::seconds(30));
  ~HeadlessBrowser();
  HeadlessBrowser(const HeadlessBrowser&) = delete;
  HeadlessBrowser& operator=(const HeadlessBrowser&) = delete;

  // "ws://127.0.0.1:PORT/devtools/browser/ID", from the browser's "DevTools listening on" line.
  const std::string& websocket_url() const { return websocket_url_; }
  std::string log() const { return process_->log(); }

private:
  std::string profile_dir_;
  std::unique_ptr<ChildProcess> process_;
  std::string websocket_url_;
};

class DevToolsPage {
public:
  // Connects to the browser at `websocket_url` and opens a new page (about:blank) of
  // width x height CSS pixels, with the Runtime, Log and Page domains enabled.
  DevToolsPage(const std::string& websocket_url, int width = 1280, int height = 800);
  ~DevToolsPage();
  DevToolsPage(const DevToolsPage&) = delete;
  DevToolsPage& operator=(const DevToolsPage&) = delete;

  // Calls `method` on the page and returns its "result"; throws std::runtime_error on a protocol
  // error or when no answer comes within `limit`.
  nlohmann::json call(const std::string& method, const nlohmann::json& params = nlohmann::json::object(),
                      std::chrono::milliseconds limit = std::chrono::seconds(10));

  // Navigates and waits (up to `limit`) until the document and its scripts have loaded.
  void navigate(const std::string& url, std::chrono::milliseconds limit = std::chrono::seconds(10));
  // The value of a JavaScript expression in the page (promises awaited); throws with the
  // exception's text when the expression throws.
  nlohmann::json evaluate(const std::string& expression);
  // Evaluates `expression` until it is true, up to `limit`; false when the time ran out.
  bool wait_for(const std::string& expression, std::chrono::milliseconds limit = std::chrono::seconds(10));
  // The page as PNG bytes.
  std::string screenshot_png();

  // Every error the page has reported so far, one line each.
  const std::vector<std::string>& errors() const { return errors_; }

private:
  struct Connection;
  // Sends one command (on the page's session unless `browser_level`) and reads until its answer.
  nlohmann::json send(const std::string& method, const nlohmann::json& params, bool browser_level,
                      std::chrono::milliseconds limit);
  void observe(const nlohmann::json& event);

  std::unique_ptr<Connection> connection_;
  std::string session_id_;
  int next_id_ = 1;
  std::vector<std::string> errors_;
  bool loaded_ = false;
};

// RFC 4648 base64 (the screenshot's encoding); throws std::invalid_argument on other text.
std::string base64_decode(const std::string& text);

}  // namespace grid::test
