// POST /charge's smart-charging fields (issue 12.7) and the power floor of issue 9.1: every bound,
// type and cross-field rule of min_power_kw, departs_in_s and priority, as tables.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "broker_client.h"
#include "charge_request.h"
#include "grid/power/admission.h"

using namespace grid;
using namespace grid::edge;

namespace {

constexpr const char* json_type = "application/json";

std::string body_with(const std::string& fields) { return R"({"vehicle_id":"EV-1",)" + fields + "}"; }

}  // namespace

TEST_CASE("the new fields are refused out of range, of the wrong type, or not finite, naming the field") {
  struct Row {
    const char* fields;
    const char* must_mention;
  };
  const std::vector<Row> table{
      {R"("min_power_kw":0)", "min_power_kw must be at least 0.1"},
      {R"("min_power_kw":0.05)", "min_power_kw must be at least 0.1"},
      {R"("min_power_kw":-1)", "min_power_kw must be at least"},
      {R"("min_power_kw":351)", "min_power_kw must be at least 0.1 and at most 350"},
      {R"("min_power_kw":1e309)", "min_power_kw must be a finite number"},
      {R"("min_power_kw":NaN)", "malformed JSON"},
      {R"("min_power_kw":"2")", "min_power_kw must be a number, not a string"},
      {R"("min_power_kw":null)", "min_power_kw must be a number, not null"},
      {R"("min_power_kw":[2])", "min_power_kw must be a number, not an array"},
      {R"("min_power_kw":12)", "min_power_kw must be at most power_kw (11)"},
      {R"("power_kw":7,"min_power_kw":7.5)", "min_power_kw must be at most power_kw (7)"},
      {R"("min_power_kw":7.5,"power_kw":7)", "min_power_kw must be at most power_kw (7)"},
      {R"("departs_in_s":0)", "departs_in_s must be greater than 0 and at most 1000000000"},
      {R"("departs_in_s":-3600)", "departs_in_s must be greater than 0"},
      {R"("departs_in_s":1000000001)", "departs_in_s must be greater than 0 and at most 1000000000"},
      {R"("departs_in_s":1e309)", "departs_in_s must be a finite number"},
      {R"("departs_in_s":-1e309)", "departs_in_s must be a finite number"},
      {R"("departs_in_s":"3600")", "departs_in_s must be a number, not a string"},
      {R"("departs_in_s":true)", "departs_in_s must be a number, not a boolean"},
      {R"("priority":10)", "priority must be an integer from 0 to 9"},
      {R"("priority":-1)", "priority must be an integer from 0 to 9"},
      {R"("priority":1.5)", "priority must be an integer from 0 to 9"},
      {R"("priority":1.0)", "priority must be an integer from 0 to 9"},
      {R"("priority":1e309)", "priority must be a finite number"},
      {R"("priority":18446744073709551616)", "priority must be an integer from 0 to 9"},
      {R"("priority":"high")", "priority must be an integer, not a string"},
      {R"("priority":{})", "priority must be an integer, not an object"},
      {R"("priority":1,"priority":2)", "duplicate field 'priority'"},
      {R"("departs_in":3600)", "unknown field 'departs_in' (expected vehicle_id, power_kw, energy_kwh, min_power_kw"},
      {R"("Priority":1)", "unknown field 'Priority'"},
  };
  for (const auto& row : table) {
    CAPTURE(row.fields);
    const auto parse = parse_charge_request(json_type, body_with(row.fields));
    const auto* rejection = std::get_if<ChargeRejection>(&parse);
    REQUIRE_MESSAGE(rejection != nullptr, "accepted: ", row.fields);
    CHECK(rejection->status == 400);
    CAPTURE(rejection->message);
    CHECK(rejection->message.find(row.must_mention) != std::string::npos);
  }
}

TEST_CASE("the new fields are accepted at their bounds and default to 'not given'") {
  struct Row {
    const char* fields;
    double power_kw;
    double min_power_kw;
    double departs_in_s;
    std::uint32_t priority;
  };
  const std::vector<Row> table{
      {R"("energy_kwh":20)", 11, 0, 0, 0},
      {R"("min_power_kw":0.1)", 11, 0.1, 0, 0},
      {R"("min_power_kw":11)", 11, 11, 0, 0},
      {R"("power_kw":0.1,"min_power_kw":0.1)", 0.1, 0.1, 0, 0},
      {R"("power_kw":350,"min_power_kw":350)", 350, 350, 0, 0},
      {R"("departs_in_s":0.5)", 11, 0, 0.5, 0},
      {R"("departs_in_s":1e9)", 11, 0, 1e9, 0},
      {R"("priority":0)", 11, 0, 0, 0},
      {R"("priority":9)", 11, 0, 0, 9},
      {R"("power_kw":22,"min_power_kw":4.2,"departs_in_s":7200,"priority":3)", 22, 4.2, 7200, 3},
  };
  for (const auto& row : table) {
    CAPTURE(row.fields);
    const auto parse = parse_charge_request(json_type, body_with(row.fields));
    if (const auto* rejection = std::get_if<ChargeRejection>(&parse)) FAIL_CHECK(rejection->message);
    const auto* input = std::get_if<ChargeInput>(&parse);
    REQUIRE(input != nullptr);
    CHECK(input->power_kw == row.power_kw);
    CHECK(input->min_power_kw == row.min_power_kw);
    CHECK(input->departs_in_s == row.departs_in_s);
    CHECK(input->priority == row.priority);
  }
}

TEST_CASE("issue 9.1: the floor of power_kw is the grid's minimum session power") {
  const auto at = parse_charge_request(json_type, body_with(R"("power_kw":)" + std::to_string(power::min_session_kw)));
  CHECK(std::holds_alternative<ChargeInput>(at));
  const auto below = parse_charge_request(json_type, body_with(R"("power_kw":)" +
                                                               std::to_string(power::min_session_kw * 0.99)));
  CHECK(std::holds_alternative<ChargeRejection>(below));
}

TEST_CASE("an Idempotency-Key reused with a different smart-charging field names that field") {
  const proto::ChargeRequest first{"k-1", "EV-1", 11, 20, 2, 3600, 4};
  CHECK(differing_field(first, ChargeInput{"EV-1", 11, 20, "k-1", 2, 3600, 4}).empty());
  CHECK(differing_field(first, ChargeInput{"EV-1", 11, 20, "k-1", 3, 3600, 4}) == "min_power_kw");
  CHECK(differing_field(first, ChargeInput{"EV-1", 11, 20, "k-1", 2, 3601, 4}) == "departs_in_s");
  CHECK(differing_field(first, ChargeInput{"EV-1", 11, 20, "k-1", 2, 3600, 5}) == "priority");
  CHECK(differing_field(first, ChargeInput{"EV-1", 11, 20, "k-1", 0, 0, 0}) == "min_power_kw");
}
