// Reading a charging trace: columns in any order, optional columns, and every malformed row an
// error that names its line, so a bad trace fails before a replay starts.
#include <doctest/doctest.h>

#include <sstream>

#include "trace.h"

using namespace grid::loadgen;

namespace {

Trace read(const std::string& text) {
  std::istringstream in(text);
  return read_trace(in, "day.csv");
}

// The message of the TraceError that reading `text` throws; empty when it reads fine.
std::string error_of(const std::string& text) {
  try {
    read(text);
  } catch (const TraceError& error) {
    return error.what();
  }
  return {};
}

}  // namespace

TEST_CASE("trace: the four required columns, sorted by arrival, vehicle ids made when absent") {
  const auto trace = read(
      "arrival_s,departure_s,energy_kwh,max_power_kw\n"
      "3600,7200,10,11\n"
      "0,28800,20.5,7.4\n");
  REQUIRE(trace.sessions.size() == 2);
  CHECK(trace.sessions[0].arrival_s == 0);
  CHECK(trace.sessions[0].departure_s == 28800);
  CHECK(trace.sessions[0].energy_kwh == 20.5);
  CHECK(trace.sessions[0].max_power_kw == 7.4);
  CHECK(trace.sessions[0].line == 3);
  CHECK(trace.sessions[0].vehicle_id == "EV-2");
  CHECK_FALSE(trace.sessions[0].min_power_kw);
  CHECK_FALSE(trace.sessions[0].priority);
  CHECK(trace.sessions[1].vehicle_id == "EV-1");
  CHECK(trace.sessions[1].stay_s() == 3600);
  CHECK(trace.end_s() == 28800);
  CHECK(trace.source == "day.csv");
}

TEST_CASE("trace: optional and extra columns in any order, blanks, comments and CRLF") {
  const auto trace = read(
      "# a workplace morning\r\n"
      "site,vehicle_id,max_power_kw,arrival_s,priority,departure_s,energy_kwh,min_power_kw\r\n"
      "\r\n"
      "caltech,car-7,11,100,2,900,1.5,3\r\n"
      "caltech,car-8,11,200,,1000,1.5,\r\n");
  REQUIRE(trace.sessions.size() == 2);
  CHECK(trace.sessions[0].vehicle_id == "car-7");
  CHECK(trace.sessions[0].priority == 2u);
  CHECK(trace.sessions[0].min_power_kw == doctest::Approx(3));
  CHECK_FALSE(trace.sessions[1].priority);
  CHECK_FALSE(trace.sessions[1].min_power_kw);
}

TEST_CASE("trace: every malformed row is refused with its line named") {
  const std::string header = "arrival_s,departure_s,energy_kwh,max_power_kw,min_power_kw,priority,vehicle_id\n";
  const struct {
    const char* row;
    const char* says;
  } cases[] = {
      {"0,100,abc,11,,,", "energy_kwh is not a number"},
      {"0,100,5,11,,,\n100,50,5,11,,,", "day.csv:3: departure_s 50 is not after arrival_s 100"},
      {"10,10,5,11,,,", "is not after"},
      {"-1,100,5,11,,,", "arrival_s -1 is outside"},
      {"0,100,0,11,,,", "energy_kwh 0 is outside"},
      {"0,100,5,0.05,,,", "max_power_kw 0.05 is outside"},
      {"0,100,5,11,12,,", "min_power_kw 12 is above max_power_kw 11"},
      {"0,100,5,11,,1.5,", "priority 1.5 is not an integer"},
      {"0,100,5,11,,10,", "priority 10 is outside"},
      {"0,100,5,11,,,vehicle-with-a-name-longer-than-sixty-four-characters-is-not-an-id", "is not a valid id"},
      {"0,100,5", "too few fields"},
      {"0,100,nan,11,,,", "not a number"},
      {"0,100,,11,,,", "energy_kwh is empty"},
  };
  for (const auto& c : cases) {
    const std::string row = c.row;
    CAPTURE(row);
    const auto message = error_of(header + c.row + "\n");
    CHECK(message.find(c.says) != std::string::npos);
    CHECK(message.find("day.csv:") == 0);
  }
}

TEST_CASE("trace: a header without a required column, a repeated column, or no session is refused") {
  CHECK(error_of("arrival_s,departure_s,energy_kwh\n0,1,1\n").find("day.csv:1: the header needs") == 0);
  CHECK(error_of("arrival_s,arrival_s,departure_s,energy_kwh,max_power_kw\n").find("appears twice") !=
        std::string::npos);
  CHECK(error_of("arrival_s,departure_s,energy_kwh,max_power_kw\n").find("no session") != std::string::npos);
  CHECK(error_of("").find("no header") != std::string::npos);
  CHECK_THROWS_AS(load_trace("/nonexistent/trace.csv"), TraceError);
}

TEST_CASE("trace: the committed fixture and scripts/trace-synth's format read cleanly") {
  const auto trace = load_trace(std::string(GRID_SOURCE_DIR) + "/tests/fixtures/trace-workplace-day.csv");
  CHECK(trace.sessions.size() == 20);
  for (const auto& session : trace.sessions) {
    CHECK(session.stay_s() >= 2 * 3600 - 1);
    CHECK(session.energy_kwh <= 0.9 * session.max_power_kw * session.stay_s() / 3600 + 0.01);
  }
}
