// POST /charge validation: every way a body can be wrong, as a table of cases with the status and
// the words the error must contain, plus what must be accepted.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "charge_request.h"

using namespace grid::edge;

namespace {

constexpr const char* json_type = "application/json";

struct Rejected {
  const char* name;
  std::string content_type;
  std::string body;
  int status;
  std::string must_mention;  // the field (or the problem) the message names
};

const ChargeRejection* rejection_of(const ChargeParse& parse) { return std::get_if<ChargeRejection>(&parse); }

std::string nested_arrays(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

TEST_CASE("every malformed or out-of-range charge request is refused with a status and the field at fault") {
  const std::vector<Rejected> table{
      {"no content type", "", R"({"vehicle_id":"EV-1"})", 415, "application/json"},
      {"form content type", "application/x-www-form-urlencoded", "vehicle_id=EV-1", 415, "application/json"},
      {"text/plain", "text/plain", R"({"vehicle_id":"EV-1"})", 415, "application/json"},
      {"json-like suffix", "application/merge-patch+json", R"({"vehicle_id":"EV-1"})", 415, "application/json"},
      {"json prefix only", "application/jsonx", R"({"vehicle_id":"EV-1"})", 415, "application/json"},
      {"latin-1 charset", "application/json; charset=iso-8859-1", R"({"vehicle_id":"EV-1"})", 415, "application/json"},
      {"empty body", json_type, "", 400, "empty"},
      {"blank body", json_type, " \r\n", 400, "empty"},
      {"truncated", json_type, R"({"vehicle_id":"EV-1")", 400, "malformed JSON"},
      {"trailing garbage", json_type, R"({"vehicle_id":"EV-1"} x)", 400, "malformed JSON"},
      {"two objects", json_type, R"({"vehicle_id":"EV-1"}{"vehicle_id":"EV-2"})", 400, "malformed JSON"},
      {"single quotes", json_type, R"({'vehicle_id':'EV-1'})", 400, "malformed JSON"},
      {"comment", json_type, "{\"vehicle_id\":\"EV-1\" /* hi */}", 400, "malformed JSON"},
      {"array top level", json_type, R"([{"vehicle_id":"EV-1"}])", 400, "JSON object"},
      {"string top level", json_type, R"("EV-1")", 400, "JSON object"},
      {"number top level", json_type, "42", 400, "JSON object"},
      {"null top level", json_type, "null", 400, "JSON object"},
      {"missing vehicle_id", json_type, R"({"power_kw":11})", 400, "vehicle_id is required"},
      {"empty object", json_type, "{}", 400, "vehicle_id is required"},
      {"empty vehicle_id", json_type, R"({"vehicle_id":""})", 400, "vehicle_id"},
      {"vehicle_id of 65 chars", json_type, "{\"vehicle_id\":\"" + std::string(65, 'V') + "\"}", 400, "vehicle_id"},
      {"vehicle_id with a newline", json_type, R"({"vehicle_id":"EV\n1"})", 400, "vehicle_id"},
      {"vehicle_id not ASCII", json_type, "{\"vehicle_id\":\"\xc3\xa9V\"}", 400, "vehicle_id"},
      {"vehicle_id a number", json_type, R"({"vehicle_id":42})", 400, "vehicle_id must be a string"},
      {"vehicle_id null", json_type, R"({"vehicle_id":null})", 400, "vehicle_id must be a string"},
      {"vehicle_id an object", json_type, R"({"vehicle_id":{"id":"EV-1"}})", 400, "vehicle_id must be a string"},
      {"power_kw a string", json_type, R"({"vehicle_id":"EV-1","power_kw":"11"})", 400, "power_kw must be a number"},
      {"power_kw true", json_type, R"({"vehicle_id":"EV-1","power_kw":true})", 400, "power_kw must be a number"},
      {"power_kw null", json_type, R"({"vehicle_id":"EV-1","power_kw":null})", 400, "power_kw must be a number"},
      {"power_kw an array", json_type, R"({"vehicle_id":"EV-1","power_kw":[11]})", 400, "power_kw must be a number"},
      {"power_kw zero", json_type, R"({"vehicle_id":"EV-1","power_kw":0})", 400, "power_kw"},
      {"power_kw negative", json_type, R"({"vehicle_id":"EV-1","power_kw":-11})", 400, "power_kw"},
      {"power_kw just above 350", json_type, R"({"vehicle_id":"EV-1","power_kw":350.001})", 400, "power_kw"},
      {"power_kw huge integer", json_type, R"({"vehicle_id":"EV-1","power_kw":18446744073709551616})", 400, "power_kw"},
      {"power_kw 1e309", json_type, R"({"vehicle_id":"EV-1","power_kw":1e309})", 400, "power_kw must be a finite"},
      {"power_kw NaN", json_type, R"({"vehicle_id":"EV-1","power_kw":NaN})", 400, "power_kw"},
      {"power_kw Infinity", json_type, R"({"vehicle_id":"EV-1","power_kw":Infinity})", 400, "power_kw"},
      {"power_kw underflows to 0", json_type, R"({"vehicle_id":"EV-1","power_kw":1e-400})", 400, "power_kw"},
      {"issue 9.1: power_kw tiny but positive", json_type, R"({"vehicle_id":"EV-1","power_kw":1e-20})", 400,
       "power_kw must be at least 0.1"},
      {"issue 9.1: power_kw just below 0.1", json_type, R"({"vehicle_id":"EV-1","power_kw":0.0999})", 400,
       "power_kw must be at least 0.1"},
      {"energy_kwh zero", json_type, R"({"vehicle_id":"EV-1","energy_kwh":0})", 400, "energy_kwh"},
      {"energy_kwh just above 200", json_type, R"({"vehicle_id":"EV-1","energy_kwh":200.0001})", 400, "energy_kwh"},
      {"energy_kwh a string", json_type, R"({"vehicle_id":"EV-1","energy_kwh":"20"})", 400, "energy_kwh must be a number"},
      {"energy_kwh false", json_type, R"({"vehicle_id":"EV-1","energy_kwh":false})", 400, "energy_kwh must be a number"},
      {"energy_kwh -1e309", json_type, R"({"vehicle_id":"EV-1","energy_kwh":-1e309})", 400, "energy_kwh must be a finite"},
      {"duplicate vehicle_id", json_type, R"({"vehicle_id":"EV-1","vehicle_id":"EV-2"})", 400, "duplicate field 'vehicle_id'"},
      {"duplicate power_kw", json_type, R"({"vehicle_id":"EV-1","power_kw":11,"power_kw":22})", 400, "duplicate field 'power_kw'"},
      {"unknown field", json_type, R"({"vehicle_id":"EV-1","power_kW":22})", 400, "unknown field 'power_kW'"},
      {"unknown unprintable field", json_type, "{\"vehicle_id\":\"EV-1\",\"\\u0001\":1}", 400, "unknown field"},
      {"invalid UTF-8 in a value", json_type, "{\"vehicle_id\":\"EV\xff\"}", 400, "UTF-8"},
      {"invalid UTF-8 in a key", json_type, "{\"vehicle\xc3\":\"EV-1\"}", 400, "UTF-8"},
      {"raw control character", json_type, "{\"vehicle_id\":\"EV\x01\"}", 400, "malformed JSON"},
      {"deep arrays", json_type, nested_arrays(100'000), 400, "JSON object"},
      {"deep objects under a field", json_type,
       "{\"vehicle_id\":" + std::string(100'000, '[') + std::string(100'000, ']') + "}", 400,
       "vehicle_id must be a string"},
  };
  for (const auto& row : table) {
    CAPTURE(row.name);
    const auto parse = parse_charge_request(row.content_type, row.body);
    const auto* rejection = rejection_of(parse);
    REQUIRE_MESSAGE(rejection != nullptr, "accepted: ", row.name);
    CHECK(rejection->status == row.status);
    CAPTURE(rejection->message);
    CHECK(rejection->message.find(row.must_mention) != std::string::npos);
    // Messages are for humans and go back inside JSON: printable ASCII only, never raw input.
    for (const char c : rejection->message) CHECK((c >= 0x20 && c < 0x7f));
  }
}

TEST_CASE("valid charge requests: defaults, bounds included, whitespace, integers and decimals") {
  struct Accepted {
    const char* name;
    std::string content_type;
    std::string body;
    ChargeInput expected;
  };
  const std::vector<Accepted> table{
      {"defaults", json_type, R"({"vehicle_id":"EV-42"})", {"EV-42", 11, 20}},
      {"all fields", json_type, R"({"vehicle_id": "EV-42", "power_kw": 22, "energy_kwh": 40})", {"EV-42", 22, 40}},
      {"upper bounds exactly", json_type, R"({"vehicle_id":"EV-1","power_kw":350,"energy_kwh":200})", {"EV-1", 350, 200}},
      {"decimals", json_type, R"({"vehicle_id":"EV-1","power_kw":7.4,"energy_kwh":0.5})", {"EV-1", 7.4, 0.5}},
      {"exponent form", json_type, R"({"vehicle_id":"EV-1","power_kw":3.5e2})", {"EV-1", 350, 20}},
      {"the grid's minimum power", json_type, R"({"vehicle_id":"EV-1","power_kw":0.1})", {"EV-1", 0.1, 20}},
      {"any order, whitespace", json_type, "\n { \"energy_kwh\" : 10 ,\t\"vehicle_id\" : \"EV 1\" } \n", {"EV 1", 11, 10}},
      {"64-character id", json_type, "{\"vehicle_id\":\"" + std::string(64, 'x') + "\"}", {std::string(64, 'x'), 11, 20}},
      {"escaped ASCII id", json_type, R"({"vehicle_id":"EV\u002d1"})", {"EV-1", 11, 20}},
      {"charset parameter", "application/json; charset=utf-8", R"({"vehicle_id":"EV-1"})", {"EV-1", 11, 20}},
      {"quoted charset, odd case", "Application/JSON;Charset=\"UTF-8\"", R"({"vehicle_id":"EV-1"})", {"EV-1", 11, 20}},
      {"other parameter", "application/json; foo=bar", R"({"vehicle_id":"EV-1"})", {"EV-1", 11, 20}},
      {"UTF-8 byte order mark", json_type, "\xef\xbb\xbf{\"vehicle_id\":\"EV-1\"}", {"EV-1", 11, 20}},
  };
  for (const auto& row : table) {
    CAPTURE(row.name);
    const auto parse = parse_charge_request(row.content_type, row.body);
    if (const auto* rejection = rejection_of(parse)) FAIL_CHECK(rejection->message);
    const auto* input = std::get_if<ChargeInput>(&parse);
    REQUIRE(input != nullptr);
    CHECK(input->vehicle_id == row.expected.vehicle_id);
    CHECK(input->power_kw == doctest::Approx(row.expected.power_kw));
    CHECK(input->energy_kwh == doctest::Approx(row.expected.energy_kwh));
  }
}

TEST_CASE("content types") {
  CHECK(is_json_content_type("application/json"));
  CHECK(is_json_content_type("APPLICATION/JSON"));
  CHECK(is_json_content_type(" application/json ; charset=utf8"));
  CHECK(is_json_content_type("application/json;"));
  CHECK_FALSE(is_json_content_type(""));
  CHECK_FALSE(is_json_content_type("application/json5"));
  CHECK_FALSE(is_json_content_type("application/json; charset=utf-16"));
  CHECK_FALSE(is_json_content_type("application/json; charset="));
  CHECK_FALSE(is_json_content_type("text/json"));
}

TEST_CASE("issue 9.9: a leading zero is invalid JSON, not a number out of range") {
  for (const std::string value : {"01", "00", "-01", "0 1"}) {
    CAPTURE(value);
    const auto parse = parse_charge_request(json_type, R"({"vehicle_id":"EV-1","power_kw":)" + value + "}");
    const auto* rejection = rejection_of(parse);
    REQUIRE(rejection != nullptr);
    CHECK(rejection->status == 400);
    CAPTURE(rejection->message);
    CHECK(rejection->message.find("malformed JSON") != std::string::npos);
    CHECK(rejection->message.find("power_kw") != std::string::npos);
    CHECK(rejection->message.find("greater than 0") == std::string::npos);
  }
  // A value out of range is still refused as such, wherever it stands in the object.
  for (const std::string body : {R"({"vehicle_id":"EV-1","power_kw":0})", R"({"power_kw":0,"vehicle_id":"EV-1"})",
                                 R"({"energy_kwh":-1,"power_kw":0})"}) {
    CAPTURE(body);
    const auto parse = parse_charge_request(json_type, body);
    const auto* rejection = rejection_of(parse);
    REQUIRE(rejection != nullptr);
    CAPTURE(rejection->message);
    // power_kw's floor is the grid's minimum session power (issue 9.1), energy_kwh's is 0.
    CHECK(rejection->message.find("and at most") != std::string::npos);
  }
}

TEST_CASE("issue 9.9: a charset refusal names the charset it refused") {
  const auto latin_parse = parse_charge_request("application/json; charset=iso-8859-1", "{}");
  const auto* latin = rejection_of(latin_parse);
  REQUIRE(latin != nullptr);
  CHECK(latin->status == 415);
  CHECK(latin->message == "Content-Type must be application/json with charset UTF-8, not charset iso-8859-1");
  const auto empty_parse = parse_charge_request("application/json; charset=", "{}");
  const auto* empty = rejection_of(empty_parse);
  REQUIRE(empty != nullptr);
  CHECK(empty->message.find("an empty charset") != std::string::npos);
  // Raw bytes of any length are not echoed.
  const auto odd_parse = parse_charge_request("application/json; charset=" + std::string(300, 'x'), "{}");
  const auto* odd = rejection_of(odd_parse);
  REQUIRE(odd != nullptr);
  CHECK(odd->message == "Content-Type must be application/json with charset UTF-8, not that charset");
  const auto text_parse = parse_charge_request("text/plain", "{}");
  const auto* text = rejection_of(text_parse);
  REQUIRE(text != nullptr);
  CHECK(text->message == "Content-Type must be application/json");
}

TEST_CASE("parse_charge: the headers a charge request depends on, each at most once") {
  const auto request = [](std::vector<grid::http::Header> headers) {
    grid::http::Request made{"POST", "/charge", "", R"({"vehicle_id":"EV-1"})", std::move(headers), {}};
    if (const auto type = made.header("Content-Type")) made.content_type = std::string(*type);
    return made;
  };
  const auto keyed = parse_charge(request({{"Content-Type", "application/json"}, {"idempotency-key", "abc"}}));
  REQUIRE(std::holds_alternative<ChargeInput>(keyed));
  CHECK(std::get<ChargeInput>(keyed).request_id == "k-abc");
  const auto unkeyed = parse_charge(request({{"content-type", "application/json"}}));
  REQUIRE(std::holds_alternative<ChargeInput>(unkeyed));
  CHECK(std::get<ChargeInput>(unkeyed).request_id.empty());

  const auto empty_parse = parse_charge(request({{"Content-Type", "application/json"}, {"Idempotency-Key", ""}}));
  const auto* empty = rejection_of(empty_parse);
  REQUIRE(empty != nullptr);
  CHECK(empty->status == 400);
  CHECK(empty->message.find("Idempotency-Key is empty") != std::string::npos);
  const auto twice_parse = parse_charge(request({{"Content-Type", "application/json"}, {"Idempotency-Key", "a"}, {"IDEMPOTENCY-KEY", "a"}}));
  const auto* twice = rejection_of(twice_parse);
  REQUIRE(twice != nullptr);
  CHECK(twice->message == "Idempotency-Key must be sent once, not 2 times");
  const auto types_parse = parse_charge(request({{"Content-Type", "application/json"}, {"content-type", "application/json"}}));
  const auto* types = rejection_of(types_parse);
  REQUIRE(types != nullptr);
  CHECK(types->message == "Content-Type must be sent once, not 2 times");
}
