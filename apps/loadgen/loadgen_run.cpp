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
#include "trace_replay.h"
#include "trace_run.h"

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

std::string describe(const LoadgenConfig& config, const Trace* trace) {
  const bool http = config.target().mode == Target::Mode::http;
  if (trace) {
    return fmt::format("trace {} ({} sessions over {:.1f} h) to {}, time scale {:g}, {}", trace->source,
                       trace->sessions.size(), trace->end_s() / 3600, config.target().text(), config.time_scale,
                       http ? fmt::format("{} connections", config.concurrency) : "ZeroMQ to the balancer");
  }
  const bool several = config.targets.size() > 1;
  std::string text = fmt::format("{} vehicles to {} ({}), {} in flight at most, ", config.vehicles,
                                 targets_text(config),
                                 http ? (several ? "HTTP through the edges" : "HTTP through the edge")
                                      : (several ? "ZeroMQ spread over the balancers" : "ZeroMQ to the balancer"),
                                 config.concurrency);
  text += config.rate > 0 ? fmt::format("Poisson arrivals at {:g}/s", config.rate) : std::string("closed loop");
  if (config.ramp_s > 0) text += fmt::format(", ramp {:g} s", config.ramp_s);
  text += fmt::format(", {:g} kW / {:g} kWh each", config.power_kw, config.energy_kwh);
  return text;
}

int run_loadgen(const LoadgenConfig& config) {
  std::optional<Trace> trace;
  if (!config.trace_path.empty()) {
    try {
      trace = load_trace(config.trace_path);
    } catch (const TraceError& error) {
      spdlog::error("bad trace: {}", error.what());
      return 2;
    }
  }
  std::unique_ptr<Driver> driver;
  TraceReplay* replay = nullptr;
  try {
    if (trace) {
      auto made = make_trace_replay(config, *trace);
      replay = made.get();
      driver = std::move(made);
    } else {
      driver = make_driver(config);
    }
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
  std::optional<TraceSummary> trace_summary;
  auto capacities = config.capacities;
  if (replay) {
    trace_summary = summarize_trace(replay->trace_tally());
    // A replay saw every substation's capacity: the spread is weighed by it unless told otherwise.
    if (capacities.empty()) {
      for (const auto& substation : trace_summary->substations) {
        if (substation.capacity_kw > 0) capacities[substation.id] = substation.capacity_kw;
      }
    }
  }
  const Summary summary = summarize(tally, capacities);
  int code = exit_code(summary);
  if (!config.json_path.empty()) {
    auto json = to_json(summary);
    json["target"] = targets_text(config);
    json["mode"] = config.target().mode == Target::Mode::http ? "http" : "zmq";
    if (trace_summary) json["trace"] = to_json(*trace_summary);
    if (!write_json(config.json_path, json)) {
      spdlog::error("cannot write the JSON summary to {}", config.json_path);
      code = 1;
    }
  }
  if (replay && !config.report_path.empty() &&
      !write_trace_report(config, *trace, replay->trace_tally(), *trace_summary, tally)) {
    spdlog::error("cannot write the report to {}", config.report_path);
    code = 1;
  }
  if (!config.quiet) {
    std::string text = format_summary(summary, describe(config, trace ? &*trace : nullptr));
    if (trace_summary) text += format_trace_summary(*trace_summary);
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
  }
  if (trace_summary && trace_summary->limit_violations > 0) code = 1;
  return tally.interrupted && signal != 0 ? 128 + signal : code;
}

}  // namespace grid::loadgen
