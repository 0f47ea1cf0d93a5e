#include "loadgen_config.h"

#include <charconv>
#include <cmath>

#include <spdlog/fmt/fmt.h>

#include "grid/power/admission.h"
#include "grid/proto/codec.h"
#include "grid/proto/limits.h"
#include "grid/util/host_port.h"
#include "node_cli.h"

namespace grid::loadgen {
namespace {

bool starts_with(const std::string& text, std::string_view prefix) { return text.rfind(prefix, 0) == 0; }

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

// Trace replay: the sessions, their times and sizes come from the file, so the rush-hour flags
// that would say otherwise are refused next to --trace rather than silently ignored.
void add_trace_flags(CLI::App& app, LoadgenConfig& config) {
  auto* trace = app.add_option("--trace", config.trace_path,
                               "Replay the sessions of this CSV (arrival_s,departure_s,energy_kwh,max_power_kw"
                               "[,min_power_kw][,priority][,vehicle_id]): each car asks at its arrival and unplugs at "
                               "its departure, through the edge (http:// target: POST /charge, DELETE /sessions/ID) "
                               "or straight to the balancer's frontend (tcp:// target: ChargeRequest, SessionQuery "
                               "with stop); the summary adds energy delivered, demand met, peaks and limit violations");
  for (const char* name : {"--vehicles", "--rate", "--ramp-s", "--power-kw", "--energy-kwh", "--seed"}) {
    trace->excludes(app.get_option(name));
  }
  app.add_option("--time-scale", config.time_scale,
                 "Trace seconds per real second; give the substations the same --time-scale")
      ->check(app::finite_range(0.001, 1e6))
      ->capture_default_str()
      ->needs(trace);
  app.add_option_function<int>(
         "--sample-ms", [&config](int ms) { config.sample_interval = std::chrono::milliseconds(ms); },
         "During a replay, look at the grid (GET /substations, or a SubstationsQuery over ZeroMQ) this often, in "
         "real milliseconds: the time series of the report and the limit check")
      ->check(CLI::Range(10, 60'000))
      ->default_str(std::to_string(config.sample_interval.count()))
      ->needs(trace);
  app.add_option("--report", config.report_path,
                 "Also write a self-contained HTML report (charts of power against limits, sessions, latency, "
                 "spread, and the summary) to this file")
      ->needs(trace);
}

}  // namespace

std::string Target::text() const {
  const bool bracket = host.find(':') != std::string::npos;  // IPv6 literal
  const std::string shown = bracket ? "[" + host + "]" : host;
  const char* scheme = mode == Mode::zmq ? "tcp://" : tls ? "https://" : "http://";
  return scheme + shown + ":" + std::to_string(port);
}

std::optional<Target> parse_target(const std::string& text) {
  Target target;
  std::string rest;
  if (starts_with(text, "http://") || starts_with(text, "https://")) {
    target.mode = Target::Mode::http;
    target.tls = starts_with(text, "https://");
    rest = text.substr(target.tls ? 8 : 7);
    if (!rest.empty() && rest.back() == '/') rest.pop_back();
  } else if (starts_with(text, "tcp://")) {
    target.mode = Target::Mode::zmq;
    rest = text.substr(6);
  } else {
    return std::nullopt;
  }
  // A target must name its host: ":port" means 0.0.0.0 to parse_host_port, which is a listen
  // address, not somewhere to send traffic.
  if (rest.empty() || rest.front() == ':') return std::nullopt;
  const auto host_port = parse_host_port(rest);
  if (!host_port || host_port->port == 0 || host_port->host.empty()) return std::nullopt;
  target.host = host_port->host;
  target.port = host_port->port;
  return target;
}

std::optional<std::pair<std::string, double>> parse_capacity(const std::string& text) {
  const auto equals = text.rfind('=');
  if (equals == std::string::npos) return std::nullopt;
  std::string id = text.substr(0, equals);
  const auto kw = parse_number(std::string_view(text).substr(equals + 1));
  if (!proto::valid_id(id) || !kw || *kw <= 0 || *kw > proto::limits::max_capacity_kw) return std::nullopt;
  return std::pair{std::move(id), *kw};
}

void add_loadgen_flags(CLI::App& app, LoadgenConfig& config) {
  app.add_option_function<std::vector<std::string>>(
         "--target",
         [&config](const std::vector<std::string>& texts) {
           // The validator below already rejected anything parse_target refuses.
           config.targets.clear();
           for (const auto& text : texts) {
             const Target target = *parse_target(text);
             for (const auto& known : config.targets) {
               if (known.text() == target.text()) throw CLI::ValidationError("--target", "names " + text + " twice");
               if (known.mode != target.mode || known.tls != target.tls) {
                 throw CLI::ValidationError("--target", "mixes " + known.text() + " and " + target.text() +
                                                            ": every target must use the same scheme");
               }
             }
             config.targets.push_back(target);
           }
         },
         "Where to send the traffic: http://HOST:PORT (through grid-edge's POST /charge), https://HOST:PORT "
         "(the same through an edge with --tls-cert; with --trace) or tcp://HOST:PORT (straight to the balancer's "
         "frontend over ZeroMQ, as an edge would). Repeat the flag or give a comma list for several balancers "
         "(tcp://) or several edges (http://) of one grid: the requests are spread over all of them and the summary "
         "counts each one's answers")
      ->required()
      ->delimiter(',')
      ->allow_extra_args(false)  // one value (or comma list) per --target, so it never swallows what follows
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            return parse_target(text) ? ""
                                      : "expected http://HOST:PORT, https://HOST:PORT or tcp://HOST:PORT, got '" +
                                            text + "'";
          },
          "URL"));
  app.add_option("--vehicles", config.vehicles, "Charge requests to send in total, one per vehicle (ids EV-1, EV-2...)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000'000}))
      ->capture_default_str();
  app.add_option("--concurrency", config.concurrency,
                 "Requests in flight at most (over HTTP: this many keep-alive connections, one request at a time "
                 "each)")
      ->check(CLI::Range(std::size_t{1}, std::size_t{10'000}))
      ->capture_default_str();
  app.add_option("--rate", config.rate,
                 "Open loop: vehicles arrive as a Poisson process at this many per second (still capped by "
                 "--concurrency); 0 = closed loop, each finished request starts the next at once")
      ->check(app::finite_range(0.0, 1e6))
      ->capture_default_str();
  app.add_option("--ramp-s", config.ramp_s,
                 "Rush hour: the arrival rate (closed loop: the concurrency) rises linearly from 10% to full over "
                 "this many seconds; 0 = full from the start")
      ->check(app::finite_range(0.0, 3600.0))
      ->capture_default_str();
  app.add_option("--power-kw", config.power_kw, "Charging power each vehicle asks for, in kW")
      ->check(app::finite_range(power::min_session_kw, proto::limits::max_power_kw))
      ->capture_default_str();
  app.add_option("--energy-kwh", config.energy_kwh, "Energy each vehicle asks for, in kWh")
      ->check(app::finite_range(0.001, proto::limits::max_energy_kwh))
      ->capture_default_str();
  app.add_option_function<int>(
         "--timeout-ms", [&config](int ms) { config.timeout = std::chrono::milliseconds(ms); },
         "Per-request deadline in milliseconds; an unanswered request then counts as a timeout")
      ->check(CLI::Range(1, 600'000))
      ->default_str(std::to_string(config.timeout.count()));
  app.add_option_function<std::vector<std::string>>(
         "--capacity",
         [&config](const std::vector<std::string>& values) {
           for (const auto& value : values) {
             auto [id, kw] = *parse_capacity(value);
             if (!config.capacities.emplace(id, kw).second) {
               throw CLI::ValidationError("--capacity", "substation '" + id + "' given twice");
             }
           }
         },
         "A substation's capacity as ID=KW (repeat per substation): the imbalance figure then compares each "
         "substation's share of the sessions with its share of the capacity")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            return parse_capacity(text) ? "" : "expected ID=KW with 0 < KW <= 1e6, got '" + text + "'";
          },
          "ID=KW"))
      ->allow_extra_args(false);  // one ID=KW per --capacity, so a value never swallows what follows
  app.add_option("--seed", config.seed, "Seed of the open-loop arrival times, so a run can be repeated")
      ->capture_default_str();
  auto* ca_file = app.add_option("--ca-file", config.ca_file,
                                 "With an https:// target: also trust the certificates in this PEM file (e.g. a "
                                 "self-signed edge's certificate) besides the system's CAs")
                      ->check(CLI::ExistingFile);
  app.add_flag("--insecure", config.insecure,
               "With an https:// target: do not verify the edge's certificate (encrypted, but anyone could be "
               "answering; for tests only)")
      ->excludes(ca_file);
  app.add_option("--json", config.json_path, "Also write the summary as JSON to this file");
  add_trace_flags(app, config);
  grid::app::add_log_level_flag(app, config.log_level);
  app.add_flag("--quiet", config.quiet, "Print no summary on stdout (use with --json)");
}

std::string tls_flags_problem(const LoadgenConfig& config) {
  if (!config.target().tls) {
    return config.ca_file.empty() && !config.insecure ? "" : "--ca-file and --insecure apply to an https:// target";
  }
  return config.trace_path.empty() ? "an https:// target replays a trace (--trace); the rush hour speaks plain HTTP"
                                   : "";
}

std::string targets_text(const LoadgenConfig& config) {
  std::string text;
  for (const auto& target : config.targets) text += (text.empty() ? "" : ",") + target.text();
  return text;
}

std::string targets_problem(const LoadgenConfig& config) {
  if (config.targets.size() < 2) return "";
  if (!config.trace_path.empty()) return "a trace replay (--trace) goes to one --target";
  if (config.target().mode == Target::Mode::http && config.concurrency < config.targets.size()) {
    return fmt::format("--concurrency {} is below the {} targets: each HTTP connection keeps to one edge",
                       config.concurrency, config.targets.size());
  }
  return "";
}

}  // namespace grid::loadgen
