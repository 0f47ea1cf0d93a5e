// grid-loadgen's flags: targets, capacities, ranges, and that bad values are refused, never
// replaced by a default.
#include <doctest/doctest.h>

#include <algorithm>

#include "loadgen_config.h"

using namespace grid::loadgen;

namespace {

// Parses argv (without the program name) into a fresh config; rethrows CLI11's errors.
LoadgenConfig parse(std::vector<std::string> args) {
  LoadgenConfig config;
  CLI::App app{"test"};
  add_loadgen_flags(app, config);
  std::reverse(args.begin(), args.end());  // CLI11 takes the vector back to front
  app.parse(args);
  return config;
}

}  // namespace

TEST_CASE("targets: http:// through the edge, tcp:// to the balancer") {
  const auto http = parse_target("http://127.0.0.1:8080");
  REQUIRE(http);
  CHECK(http->mode == Target::Mode::http);
  CHECK(http->host == "127.0.0.1");
  CHECK(http->port == 8080);
  CHECK(http->text() == "http://127.0.0.1:8080");
  CHECK(parse_target("http://localhost:8080/"));
  const auto zmq = parse_target("tcp://[::1]:5555");
  REQUIRE(zmq);
  CHECK(zmq->mode == Target::Mode::zmq);
  CHECK(zmq->host == "::1");
  CHECK(zmq->text() == "tcp://[::1]:5555");
  for (const char* bad : {"", "127.0.0.1:8080", "ftp://x:1", "http://x", "http://:8080", "tcp://x:0", "tcp://x:70000",
                          "http://x:8080/charge", "ipc:///tmp/x"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_target(bad));
  }
}

TEST_CASE("several targets: --target repeated or a comma list, one scheme, none twice") {
  const auto repeated = parse({"--target", "tcp://10.0.0.1:5555", "--target", "tcp://10.0.0.2:5555"});
  REQUIRE(repeated.targets.size() == 2);
  CHECK(repeated.targets[0].text() == "tcp://10.0.0.1:5555");
  CHECK(repeated.targets[1].text() == "tcp://10.0.0.2:5555");
  CHECK(repeated.target().text() == "tcp://10.0.0.1:5555");
  CHECK(targets_text(repeated) == "tcp://10.0.0.1:5555,tcp://10.0.0.2:5555");
  CHECK(targets_problem(repeated).empty());

  const auto listed = parse({"--target", "tcp://a:1,tcp://b:2,tcp://c:3", "--vehicles", "5"});
  CHECK(targets_text(listed) == "tcp://a:1,tcp://b:2,tcp://c:3");
  CHECK(listed.vehicles == 5);
  const auto edges = parse({"--target", "http://a:8080", "--target", "http://b:8080", "--concurrency", "4"});
  CHECK(edges.targets.size() == 2);
  CHECK(edges.target().mode == Target::Mode::http);
  CHECK(targets_problem(edges).empty());

  for (const auto& bad : std::vector<std::vector<std::string>>{
           {"--target", "tcp://a:1", "--target", "tcp://a:1"},        // one balancer counted twice
           {"--target", "tcp://a:1,tcp://a:1"},
           {"--target", "tcp://a:1", "--target", "http://b:8080"},    // a balancer and an edge
           {"--target", "http://a:1", "--target", "https://b:8443"},  // two schemes
           {"--target", "tcp://a:1,bogus"},
           {"--target", "tcp://a:1", "tcp://b:1"},                    // one value per --target
       }) {
    std::string shown;
    for (const auto& arg : bad) shown += arg + " ";
    CAPTURE(shown);
    CHECK_THROWS_AS(parse(bad), CLI::ParseError);
  }
  // Refused by main: a trace replays to one target; each HTTP connection keeps to one edge.
  CHECK_FALSE(targets_problem(parse({"--target", "tcp://a:1,tcp://b:1", "--trace", "day.csv"})).empty());
  CHECK_FALSE(targets_problem(parse({"--target", "http://a:1,http://b:1,http://c:1", "--concurrency", "2"})).empty());
  CHECK(targets_problem(parse({"--target", "http://a:1", "--trace", "day.csv"})).empty());
}

TEST_CASE("capacities: ID=KW") {
  CHECK(parse_capacity("north=150") == std::pair<std::string, double>{"north", 150});
  CHECK(parse_capacity("a=b=2.5") == std::pair<std::string, double>{"a=b", 2.5});
  for (const char* bad : {"north", "north=", "=5", "north=0", "north=-1", "north=abc", "north=1e9", "north=nan"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_capacity(bad));
  }
}

TEST_CASE("every flag lands in the config") {
  const auto config = parse({"--target", "tcp://127.0.0.1:5555", "--vehicles", "200", "--concurrency", "32", "--rate",
                             "50", "--ramp-s", "3", "--power-kw", "22", "--energy-kwh", "40", "--timeout-ms", "300",
                             "--capacity", "north=150", "--capacity", "south=100", "--seed", "7", "--json", "out.json",
                             "--log-level", "debug", "--quiet"});
  CHECK(config.target().mode == Target::Mode::zmq);
  CHECK(config.vehicles == 200);
  CHECK(config.concurrency == 32);
  CHECK(config.rate == 50);
  CHECK(config.ramp_s == 3);
  CHECK(config.power_kw == 22);
  CHECK(config.energy_kwh == 40);
  CHECK(config.timeout == std::chrono::milliseconds(300));
  CHECK(config.capacities == std::map<std::string, double>{{"north", 150}, {"south", 100}});
  CHECK(config.seed == 7);
  CHECK(config.json_path == "out.json");
  CHECK(config.log_level == "debug");
  CHECK(config.quiet);
}

TEST_CASE("defaults: closed loop, 5 s timeout, no capacities") {
  const auto config = parse({"--target", "http://127.0.0.1:8080"});
  CHECK(config.target().mode == Target::Mode::http);
  CHECK(config.rate == 0);
  CHECK(config.ramp_s == 0);
  CHECK(config.timeout == std::chrono::milliseconds(5000));
  CHECK(config.capacities.empty());
  CHECK_FALSE(config.quiet);
}

TEST_CASE("bad flags are refused") {
  const std::vector<std::vector<std::string>> bad{
      {},                                                    // --target is required
      {"--target", "8080"},
      {"--target", "http://x:1", "--vehicles", "0"},
      {"--target", "http://x:1", "--vehicles", "-5"},
      {"--target", "http://x:1", "--concurrency", "0"},
      {"--target", "http://x:1", "--rate", "-1"},
      {"--target", "http://x:1", "--ramp-s", "-1"},
      {"--target", "http://x:1", "--power-kw", "0"},
      {"--target", "http://x:1", "--energy-kwh", "1e9"},
      {"--target", "http://x:1", "--timeout-ms", "0"},
      {"--target", "http://x:1", "--capacity", "north"},
      {"--target", "http://x:1", "--capacity", "north=1", "--capacity", "north=2"},
      {"--target", "http://x:1", "--capacity", "north=1", "south=2"},  // one ID=KW per --capacity
      {"--target", "http://x:1", "--log-level", "loud"},
      {"--target", "http://x:1", "--bogus"},
  };
  for (const auto& args : bad) {
    std::string shown;
    for (const auto& arg : args) shown += arg + " ";
    CAPTURE(shown);
    CHECK_THROWS_AS(parse(args), CLI::ParseError);
  }
}

TEST_CASE("trace flags: --trace refuses the rush-hour flags, the replay flags need --trace") {
  const auto config = parse({"--target", "http://127.0.0.1:8080", "--trace", "day.csv", "--time-scale", "600",
                             "--sample-ms", "100", "--report", "r.html"});
  CHECK(config.trace_path == "day.csv");
  CHECK(config.time_scale == 600);
  CHECK(config.sample_interval == std::chrono::milliseconds(100));
  CHECK(config.report_path == "r.html");
  for (const char* flag : {"--vehicles", "--rate", "--ramp-s", "--power-kw", "--energy-kwh", "--seed"}) {
    CAPTURE(flag);
    CHECK_THROWS_AS(parse({"--target", "http://127.0.0.1:8080", "--trace", "day.csv", flag, "5"}), CLI::ExcludesError);
  }
  for (const char* flag : {"--time-scale", "--sample-ms", "--report"}) {
    CAPTURE(flag);
    CHECK_THROWS_AS(parse({"--target", "http://127.0.0.1:8080", flag, "100"}), CLI::RequiresError);
  }
  CHECK_THROWS(parse({"--target", "http://127.0.0.1:8080", "--trace", "d.csv", "--time-scale", "0"}));
  CHECK_THROWS(parse({"--target", "http://127.0.0.1:8080", "--trace", "d.csv", "--sample-ms", "5"}));
}

TEST_CASE("https targets: a trace replay through an edge with TLS, verified unless told otherwise") {
  const auto https = parse_target("https://localhost:8443/");
  REQUIRE(https);
  CHECK(https->mode == Target::Mode::http);
  CHECK(https->tls);
  CHECK(https->host == "localhost");
  CHECK(https->port == 8443);
  CHECK(https->text() == "https://localhost:8443");
  CHECK_FALSE(parse_target("http://localhost:8080")->tls);
  CHECK_FALSE(parse_target("https://:8443"));

  const auto verified = parse({"--target", "https://127.0.0.1:8443", "--trace", "day.csv", "--ca-file", "/etc/hostname"});
  CHECK(verified.ca_file == "/etc/hostname");
  CHECK_FALSE(verified.insecure);
  CHECK(tls_flags_problem(verified).empty());
  CHECK(parse({"--target", "https://127.0.0.1:8443", "--trace", "day.csv", "--insecure"}).insecure);
  // Both at once contradict each other; a CA file that is not there is refused at once.
  CHECK_THROWS_AS(parse({"--target", "https://127.0.0.1:8443", "--insecure", "--ca-file", "/etc/hostname"}),
                  CLI::ExcludesError);
  CHECK_THROWS(parse({"--target", "https://127.0.0.1:8443", "--ca-file", "/no/such/file.pem"}));
  // TLS flags without an https target, and an https target without a trace, are refused by main.
  CHECK_FALSE(tls_flags_problem(parse({"--target", "http://127.0.0.1:8080", "--insecure"})).empty());
  CHECK_FALSE(tls_flags_problem(parse({"--target", "https://127.0.0.1:8443"})).empty());
}
