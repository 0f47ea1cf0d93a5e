#include "loadgen_run.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "driver.h"
#include "summary.h"

namespace grid::loadgen {
namespace {

// Waits for SIGINT/SIGTERM (blocked in every thread by block_shutdown_signals) on its own thread
// and stops the driver; polls a flag so it can be told to go away when the run ends by itself.
class SignalWatcher {
public:
  explicit SignalWatcher(Driver& driver)
      : thread_([this, &driver] {
          sigset_t signals;
          sigemptyset(&signals);
          sigaddset(&signals, SIGINT);
          sigaddset(&signals, SIGTERM);
          const timespec tick{0, 50'000'000};
          while (!done_) {
            const int signal = sigtimedwait(&signals, nullptr, &tick);
            if (signal > 0) {
              signal_ = signal;
              spdlog::warn("{} received: stopping, the summary covers the requests finished so far",
                           signal == SIGINT ? "SIGINT" : "SIGTERM");
              driver.stop();
              return;
            }
          }
        }) {}
  ~SignalWatcher() {
    done_ = true;
    thread_.join();
  }
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;
  int signal() const { return signal_; }

private:
  std::atomic<bool> done_{false};
  std::atomic<int> signal_{0};
  std::thread thread_;  // last: starts once the flags above exist
};

bool write_json(const std::string& path, const nlohmann::json& json) {
  std::ofstream out(path, std::ios::trunc);
  out << json.dump(2) << '\n';
  out.close();
  return static_cast<bool>(out);
}

}  // namespace

std::string describe(const LoadgenConfig& config) {
  const bool http = config.target.mode == Target::Mode::http;
  std::string text = fmt::format("{} vehicles to {} ({}), {} in flight at most, ", config.vehicles,
                                 config.target.text(), http ? "HTTP through the edge" : "ZeroMQ to the balancer",
                                 config.concurrency);
  text += config.rate > 0 ? fmt::format("Poisson arrivals at {:g}/s", config.rate) : std::string("closed loop");
  if (config.ramp_s > 0) text += fmt::format(", ramp {:g} s", config.ramp_s);
  text += fmt::format(", {:g} kW / {:g} kWh each", config.power_kw, config.energy_kwh);
  return text;
}

int run_loadgen(const LoadgenConfig& config) {
  std::unique_ptr<Driver> driver;
  try {
    driver = make_driver(config);
  } catch (const std::exception& error) {
    spdlog::error("cannot start: {}", error.what());
    return 1;
  }
  RunTally tally;
  int signal = 0;
  {
    SignalWatcher watcher(*driver);
    tally = driver->run();
    signal = watcher.signal();
  }
  const Summary summary = summarize(tally, config.capacities);
  int code = exit_code(summary);
  if (!config.json_path.empty()) {
    auto json = to_json(summary);
    json["target"] = config.target.text();
    json["mode"] = config.target.mode == Target::Mode::http ? "http" : "zmq";
    if (!write_json(config.json_path, json)) {
      spdlog::error("cannot write the JSON summary to {}", config.json_path);
      code = 1;
    }
  }
  if (!config.quiet) {
    std::fputs(format_summary(summary, describe(config)).c_str(), stdout);
    std::fflush(stdout);
  }
  return tally.interrupted && signal != 0 ? 128 + signal : code;
}

}  // namespace grid::loadgen
