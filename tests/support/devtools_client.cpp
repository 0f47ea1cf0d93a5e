#include "support/devtools_client.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

#include "support/wait.h"

namespace grid::test {

namespace net = boost::asio;
namespace websocket = boost::beast::websocket;
using nlohmann::json;
using Deadline = std::chrono::steady_clock::time_point;

namespace {

// The path of `binary` as the shell would find it, or empty.
std::string find_program(const std::string& binary) {
  if (binary.find('/') != std::string::npos) return access(binary.c_str(), X_OK) == 0 ? binary : "";
  const char* path = std::getenv("PATH");
  std::string directories = path ? path : "/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= directories.size()) {
    const auto end = std::min(directories.find(':', start), directories.size());
    const auto candidate = directories.substr(start, end - start) + "/" + binary;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

}  // namespace

HeadlessBrowser::HeadlessBrowser(const std::string& binary, std::chrono::milliseconds limit) {
  const auto program = find_program(binary);
  if (program.empty()) {
    throw std::runtime_error("no '" + binary + "' to run the browser test: install Debian's chromium "
                             "(scripts/install-deps does)");
  }
  char pattern[] = "/tmp/grid-browser-XXXXXX";
  if (mkdtemp(pattern) == nullptr) throw std::runtime_error("cannot create a browser profile directory");
  profile_dir_ = pattern;
  // A throw-away profile, no sandbox (tests run as root), no GPU, and none of the background
  // traffic a desktop browser starts: the test machine has no network to spare.
  process_ = std::make_unique<ChildProcess>(
      "chromium",
      std::vector<std::string>{program, "--headless=new", "--no-sandbox", "--disable-gpu", "--remote-debugging-port=0",
                               "--user-data-dir=" + profile_dir_, "--no-first-run", "--no-default-browser-check",
                               "--disable-extensions", "--disable-background-networking", "--disable-sync",
                               "--disable-component-update", "--disable-default-apps", "--mute-audio", "about:blank"},
      ChildProcess::Group::own);
  const std::string marker = "DevTools listening on ";
  const bool listening = wait_until(
      [&] {
        const auto text = process_->log();
        const auto at = text.find(marker);
        if (at == std::string::npos) return false;
        const auto end = text.find('\n', at);
        if (end == std::string::npos) return false;
        websocket_url_ = text.substr(at + marker.size(), end - at - marker.size());
        return true;
      },
      limit, std::chrono::milliseconds(20));
  if (!listening) {
    throw std::runtime_error("the browser (" + program + ") did not say where its DevTools listen:\n" + process_->log());
  }
}

HeadlessBrowser::~HeadlessBrowser() {
  process_.reset();  // kills the whole group first, so nothing writes into the profile any more
  std::error_code ignored;
  std::filesystem::remove_all(profile_dir_, ignored);
}

struct DevToolsPage::Connection {
  net::io_context io;
  websocket::stream<net::ip::tcp::socket> socket{io};
  boost::beast::flat_buffer buffer;

  // Runs the asynchronous operation started before until it sets `done` or the deadline passes;
  // then the socket is closed so that the operation ends, and the connection is of no more use.
  void finish(const bool& done, Deadline deadline, const std::string& what) {
    io.restart();
    while (!done && io.run_one_until(deadline) > 0) {
    }
    if (done) return;
    boost::system::error_code ignored;
    socket.next_layer().close(ignored);
    io.restart();
    io.run();
    throw std::runtime_error("DevTools: " + what + " took too long");
  }

  void open(const std::string& url, Deadline deadline) {
    // ws://HOST:PORT/PATH, as the browser printed it.
    const std::string scheme = "ws://";
    const auto host_end = url.find(':', scheme.size());
    const auto path_start = url.find('/', scheme.size());
    if (url.rfind(scheme, 0) != 0 || host_end == std::string::npos || path_start == std::string::npos) {
      throw std::runtime_error("DevTools: cannot read the address '" + url + "'");
    }
    const auto host = url.substr(scheme.size(), host_end - scheme.size());
    const auto port = static_cast<unsigned short>(std::stoi(url.substr(host_end + 1, path_start - host_end - 1)));
    bool done = false;
    boost::system::error_code error;
    socket.next_layer().async_connect({net::ip::make_address(host), port}, [&](boost::system::error_code e) {
      error = e;
      done = true;
    });
    finish(done, deadline, "connecting to " + url);
    if (error) throw std::runtime_error("DevTools: cannot connect to " + url + ": " + error.message());
    done = false;
    socket.async_handshake(host + ":" + std::to_string(port), url.substr(path_start), [&](boost::system::error_code e) {
      error = e;
      done = true;
    });
    finish(done, deadline, "the WebSocket handshake");
    if (error) throw std::runtime_error("DevTools: handshake with " + url + " failed: " + error.message());
    socket.read_message_max(64 * 1024 * 1024);  // a screenshot is a few hundred kB of base64
  }

  void write(const std::string& text, Deadline deadline) {
    bool done = false;
    boost::system::error_code error;
    socket.text(true);
    socket.async_write(net::buffer(text), [&](boost::system::error_code e, std::size_t) {
      error = e;
      done = true;
    });
    finish(done, deadline, "sending a command");
    if (error) throw std::runtime_error("DevTools: send failed: " + error.message());
  }

  json read(Deadline deadline) {
    bool done = false;
    boost::system::error_code error;
    socket.async_read(buffer, [&](boost::system::error_code e, std::size_t) {
      error = e;
      done = true;
    });
    finish(done, deadline, "waiting for the browser");
    if (error) throw std::runtime_error("DevTools: read failed: " + error.message());
    auto message = json::parse(boost::beast::buffers_to_string(buffer.data()));
    buffer.consume(buffer.size());
    return message;
  }
};

DevToolsPage::DevToolsPage(const std::string& websocket_url, int width, int height)
    : connection_(std::make_unique<Connection>()) {
  connection_->open(websocket_url, std::chrono::steady_clock::now() + std::chrono::seconds(10));
  // One page of the browser, spoken to through a session on the browser's own socket.
  const auto target = send("Target.createTarget", {{"url", "about:blank"}}, true, std::chrono::seconds(10));
  const auto attached = send("Target.attachToTarget", {{"targetId", target.at("targetId")}, {"flatten", true}}, true,
                             std::chrono::seconds(10));
  session_id_ = attached.at("sessionId").get<std::string>();
  call("Runtime.enable");
  call("Log.enable");
  call("Page.enable");
  call("Emulation.setDeviceMetricsOverride",
       {{"width", width}, {"height", height}, {"deviceScaleFactor", 1}, {"mobile", false}});
}

DevToolsPage::~DevToolsPage() = default;

json DevToolsPage::call(const std::string& method, const json& params, std::chrono::milliseconds limit) {
  return send(method, params, false, limit);
}

json DevToolsPage::send(const std::string& method, const json& params, bool browser_level,
                        std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  const int id = next_id_++;
  json command{{"id", id}, {"method", method}, {"params", params}};
  if (!browser_level) command["sessionId"] = session_id_;
  connection_->write(command.dump(), deadline);
  for (;;) {
    auto message = connection_->read(deadline);
    if (message.contains("method")) {
      observe(message);
      continue;
    }
    if (message.value("id", 0) != id) continue;
    if (message.contains("error")) throw std::runtime_error("DevTools: " + method + ": " + message["error"].dump());
    return message.value("result", json::object());
  }
}

void DevToolsPage::observe(const json& event) {
  if (event.value("sessionId", "") != session_id_) return;
  const auto& method = event.at("method").get_ref<const std::string&>();
  const auto& params = event.value("params", json::object());
  if (method == "Page.loadEventFired") {
    loaded_ = true;
  } else if (method == "Runtime.exceptionThrown") {
    const auto& details = params.value("exceptionDetails", json::object());
    const auto description = details.value("exception", json::object()).value("description", "");
    errors_.push_back("uncaught: " + details.value("text", "") + " " + description);
  } else if (method == "Runtime.consoleAPICalled") {
    const auto type = params.value("type", "");
    if (type != "error" && type != "assert") return;
    std::string text = "console." + type + ":";
    for (const auto& argument : params.value("args", json::array())) {
      text += " " + (argument.contains("value") ? argument["value"].dump() : argument.value("description", "?"));
    }
    errors_.push_back(text);
  } else if (method == "Log.entryAdded") {
    const auto& entry = params.value("entry", json::object());
    if (entry.value("level", "") == "error") {
      errors_.push_back("log (" + entry.value("source", "") + "): " + entry.value("text", "") + " " + entry.value("url", ""));
    }
  }
}

void DevToolsPage::navigate(const std::string& url, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  loaded_ = false;
  const auto result = call("Page.navigate", {{"url", url}}, limit);
  if (result.contains("errorText")) throw std::runtime_error("DevTools: cannot open " + url + ": " + result["errorText"].dump());
  while (!loaded_) {
    auto message = connection_->read(deadline);
    if (message.contains("method")) observe(message);
  }
}

json DevToolsPage::evaluate(const std::string& expression) {
  const auto result =
      call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}});
  if (result.contains("exceptionDetails")) {
    const auto& details = result["exceptionDetails"];
    throw std::runtime_error("JavaScript: " + expression + ": " +
                             details.value("exception", json::object()).value("description", details.value("text", "")));
  }
  return result.value("result", json::object()).value("value", json());
}

bool DevToolsPage::wait_for(const std::string& expression, std::chrono::milliseconds limit) {
  return wait_until([&] { return evaluate(expression) == true; }, limit, std::chrono::milliseconds(50));
}

std::string DevToolsPage::screenshot_png() {
  return base64_decode(call("Page.captureScreenshot", {{"format", "png"}}).at("data").get<std::string>());
}

std::string base64_decode(const std::string& text) {
  const auto value_of = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string bytes;
  bytes.reserve(text.size() / 4 * 3);
  unsigned bits = 0;
  int count = 0;
  for (const char c : text) {
    if (c == '=') break;
    const int value = value_of(c);
    if (value < 0) throw std::invalid_argument("base64: unexpected character");
    bits = (bits << 6) | static_cast<unsigned>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      bytes.push_back(static_cast<char>((bits >> count) & 0xffu));
    }
  }
  return bytes;
}

}  // namespace grid::test
