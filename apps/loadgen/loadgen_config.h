#pragma once
// What one grid-loadgen run does, as a plain validated struct, and the flags that fill it. The
// flag definitions live here rather than in main.cpp so unit tests can parse argv through them.
// Thread-safety: plain values and pure functions.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

#include "grid/transport/curve.h"

namespace grid::loadgen {

// Where the traffic goes: through an edge over HTTP, or straight to the balancer's frontend over
// ZeroMQ (as an edge would), which measures the grid without the HTTP layer.
struct Target {
  enum class Mode { http, zmq };
  Mode mode = Mode::http;
  bool tls = false;  // https:// (Mode::http only)
  std::string host;
  std::uint16_t port = 0;
  std::string text() const;  // "http://host:port", "https://host:port" or "tcp://host:port"
};

// "http://HOST:PORT", "https://HOST:PORT" or "tcp://HOST:PORT" (a trailing "/" is allowed after an
// http or https target).
std::optional<Target> parse_target(const std::string& text);
// "ID=KW" with a valid substation id and 0 < KW <= the codec's capacity limit.
std::optional<std::pair<std::string, double>> parse_capacity(const std::string& text);

struct LoadgenConfig {
  // --target, repeated or as a comma list: one or more, all of one scheme. Never empty once parsed
  // (the flag is required). Several tcp:// targets are several balancers of one grid; several
  // http:// targets are several edges.
  std::vector<Target> targets;
  const Target& target() const { return targets.front(); }
  std::size_t vehicles = 100;    // total requests, one per vehicle
  std::size_t concurrency = 8;   // requests in flight at most (HTTP: keep-alive connections)
  double rate = 0;               // open-loop arrivals per second; 0 = closed loop
  double ramp_s = 0;             // rush-hour ramp from ~10% to full over this many seconds
  double power_kw = 11;          // a typical AC wallbox
  double energy_kwh = 20;
  std::chrono::milliseconds timeout{5000};  // per request
  std::map<std::string, double> capacities;  // substation id -> kW, weights the imbalance figure
  std::uint64_t seed = 1;        // open-loop arrival times
  std::string json_path;         // empty: no JSON file
  // Trace replay (--trace): the sessions come from a CSV instead of the rush-hour flags above.
  std::string trace_path;        // empty: a rush hour
  double time_scale = 1;         // grid (trace) seconds per real second, as the substations run
  std::chrono::milliseconds sample_interval{250};  // how often a replay looks at the grid
  std::string report_path;       // empty: no HTML report
  std::string log_level = "warn";
  bool quiet = false;
  std::optional<transport::CurveClient> curve;  // CurveZMQ keys for a tcp:// target; empty: none
  std::string ca_file;    // https:// target: also trust this PEM file (a self-signed edge's certificate)
  bool insecure = false;  // https:// target: do not verify the edge's certificate
};

// Every target's text, comma-separated, in --target order ("tcp://a:5555,tcp://b:5555").
std::string targets_text(const LoadgenConfig& config);

// Why these flags do not go together (empty: they do): TLS flags without an https:// target, and
// an https:// target without --trace (the rush-hour driver speaks plain HTTP only).
std::string tls_flags_problem(const LoadgenConfig& config);
// Why these targets do not go with the other flags (empty: they do): a trace replay goes to one
// target, and over HTTP each connection keeps to one edge, so --concurrency must give every edge
// at least one.
std::string targets_problem(const LoadgenConfig& config);

// Declares every flag of grid-loadgen on `app`, writing into `config`. Out-of-range or malformed
// values are rejected by CLI11 while parsing (CLI::ValidationError / CLI::ParseError), never
// replaced by a default.
void add_loadgen_flags(CLI::App& app, LoadgenConfig& config);

}  // namespace grid::loadgen
