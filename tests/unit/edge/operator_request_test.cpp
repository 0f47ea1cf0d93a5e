// The operator side of the edge, without sockets: the bodies of PUT /substations/{id}/limit and
// PUT /feeders/{id}/limit as tables, the bearer-token check (missing, wrong, right, disabled) and
// the token file's errors.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "limit_request.h"
#include "operator_auth.h"

using namespace grid::edge;

namespace {

constexpr const char* json_type = "application/json";

// A file in a fresh temporary directory, removed with it.
struct TempFile {
  explicit TempFile(const std::string& contents) {
    dir = std::filesystem::temp_directory_path() /
          ("grid-edge-tokens-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir);
    path = (dir / "tokens").string();
    std::ofstream(path) << contents;
  }
  ~TempFile() { std::filesystem::remove_all(dir); }
  static inline int counter = 0;
  std::filesystem::path dir;
  std::string path;
};

}  // namespace

TEST_CASE("limit bodies: every malformed or out-of-range one is refused, naming the field") {
  struct Row {
    std::string content_type;
    std::string body;
    int status;
    const char* must_mention;
  };
  const std::vector<Row> table{
      {"text/plain", R"({"limit_kw":80})", 415, "application/json"},
      {json_type, "", 400, "empty"},
      {json_type, R"({"limit_kw":80)", 400, "malformed JSON"},
      {json_type, R"([80])", 400, "JSON object"},
      {json_type, "80", 400, "JSON object"},
      {json_type, "{}", 400, "limit_kw is required"},
      {json_type, R"({"duration_s":60})", 400, "limit_kw is required"},
      {json_type, R"({"limit_kw":0})", 400, "limit_kw must be greater than 0"},
      {json_type, R"({"limit_kw":-5})", 400, "limit_kw must be greater than 0"},
      {json_type, R"({"limit_kw":1000001})", 400, "limit_kw must be greater than 0 and at most 1000000"},
      {json_type, R"({"limit_kw":1e309})", 400, "limit_kw must be a finite number"},
      {json_type, R"({"limit_kw":NaN})", 400, "malformed JSON"},
      {json_type, R"({"limit_kw":"80"})", 400, "limit_kw must be a number, not a string"},
      {json_type, R"({"limit_kw":null})", 400, "limit_kw must be a number, not null"},
      {json_type, R"({"limit_kw":{"kw":80}})", 400, "limit_kw must be a number, not an object"},
      {json_type, R"({"limit_kw":[80]})", 400, "limit_kw must be a number, not an array"},
      {json_type, R"({"limit_kw":80,"limit_kw":90})", 400, "duplicate field 'limit_kw'"},
      {json_type, R"({"limit_kw":80,"duration_s":0})", 400, "duration_s must be greater than 0"},
      {json_type, R"({"limit_kw":80,"duration_s":-1})", 400, "duration_s must be greater than 0"},
      {json_type, R"({"limit_kw":80,"duration_s":1e10})", 400, "duration_s must be greater than 0 and at most"},
      {json_type, R"({"limit_kw":80,"duration_s":true})", 400, "duration_s must be a number, not a boolean"},
      {json_type, R"({"limit_kw":80,"duration":60})", 400, "unknown field 'duration'"},
      {json_type, R"({"limit_kw":01})", 400, "malformed JSON"},
  };
  for (const auto& row : table) {
    CAPTURE(row.body);
    const auto parse = parse_limit_request(row.content_type, row.body);
    const auto* rejection = std::get_if<LimitRejection>(&parse);
    REQUIRE_MESSAGE(rejection != nullptr, "accepted: ", row.body);
    CHECK(rejection->status == row.status);
    CAPTURE(rejection->message);
    CHECK(rejection->message.find(row.must_mention) != std::string::npos);
  }
}

TEST_CASE("limit bodies: accepted with and without a duration") {
  CHECK(std::get<LimitInput>(parse_limit_request(json_type, R"({"limit_kw": 80})")) == LimitInput{80, 0});
  CHECK(std::get<LimitInput>(parse_limit_request(json_type, R"({"duration_s":3600,"limit_kw":0.5})")) ==
        LimitInput{0.5, 3600});
  CHECK(std::get<LimitInput>(parse_limit_request("application/json; charset=utf-8", R"({"limit_kw":1e6})")) ==
        LimitInput{1e6, 0});
}

TEST_CASE("feeder limit bodies: starts_in_s is a feeder's only, from 0, and refused like the other fields") {
  struct Row {
    std::string body;
    const char* must_mention;
  };
  const std::vector<Row> table{
      {R"({"limit_kw":80,"starts_in_s":-1})", "starts_in_s must be at least 0"},
      {R"({"limit_kw":80,"starts_in_s":1e10})", "starts_in_s must be at least 0 and at most"},
      {R"({"limit_kw":80,"starts_in_s":"soon"})", "starts_in_s must be a number, not a string"},
      {R"({"limit_kw":80,"starts_in_s":1,"starts_in_s":2})", "duplicate field 'starts_in_s'"},
      {R"({"starts_in_s":60})", "limit_kw is required"},
      {R"({"limit_kw":0,"starts_in_s":60})", "limit_kw must be greater than 0"},
      {R"({"limit_kw":80,"start":60})", "unknown field 'start' (expected limit_kw, starts_in_s, duration_s)"},
  };
  for (const auto& row : table) {
    CAPTURE(row.body);
    const auto parse = parse_feeder_limit_request(json_type, row.body);
    const auto* rejection = std::get_if<LimitRejection>(&parse);
    REQUIRE_MESSAGE(rejection != nullptr, "accepted: ", row.body);
    CHECK(rejection->status == 400);
    CAPTURE(rejection->message);
    CHECK(rejection->message.find(row.must_mention) != std::string::npos);
  }
  // A substation's limit takes effect at once: it has no starts_in_s.
  const auto substation = parse_limit_request(json_type, R"({"limit_kw":80,"starts_in_s":60})");
  REQUIRE(std::holds_alternative<LimitRejection>(substation));
  CHECK(std::get<LimitRejection>(substation).message.find("unknown field 'starts_in_s'") != std::string::npos);
}

TEST_CASE("feeder limit bodies: accepted at once, scheduled, and for a while") {
  CHECK(std::get<LimitInput>(parse_feeder_limit_request(json_type, R"({"limit_kw":400})")) == LimitInput{400, 0, 0});
  CHECK(std::get<LimitInput>(parse_feeder_limit_request(json_type, R"({"limit_kw":400,"starts_in_s":0})")) ==
        LimitInput{400, 0, 0});
  CHECK(std::get<LimitInput>(parse_feeder_limit_request(
            json_type, R"({"duration_s":7200,"starts_in_s":1800,"limit_kw":250.5})")) == LimitInput{250.5, 7200, 1800});
}

TEST_CASE("operator tokens: disabled without tokens, 401 for missing or wrong, allowed for any accepted one") {
  const OperatorAuth disabled;
  CHECK_FALSE(disabled.enabled());
  CHECK(disabled.check(std::nullopt) == OperatorAuth::Verdict::disabled);
  CHECK(disabled.check("Bearer anything") == OperatorAuth::Verdict::disabled);

  const OperatorAuth auth(std::vector<std::string>{"s3cret-one", "s3cret-two"});
  CHECK(auth.check(std::nullopt) == OperatorAuth::Verdict::unauthorized);
  CHECK(auth.check("") == OperatorAuth::Verdict::unauthorized);
  CHECK(auth.check("Bearer") == OperatorAuth::Verdict::unauthorized);
  CHECK(auth.check("Bearer ") == OperatorAuth::Verdict::unauthorized);
  CHECK(auth.check("Basic s3cret-one") == OperatorAuth::Verdict::unauthorized);
  CHECK(auth.check("s3cret-one") == OperatorAuth::Verdict::unauthorized);
  CHECK(auth.check("Bearer s3cret-on") == OperatorAuth::Verdict::unauthorized);
  CHECK(auth.check("Bearer s3cret-one2") == OperatorAuth::Verdict::unauthorized);
  CHECK(auth.check("Bearer S3CRET-ONE") == OperatorAuth::Verdict::unauthorized);
  CHECK(auth.check("Bearer s3cret-one") == OperatorAuth::Verdict::allowed);
  CHECK(auth.check("bearer s3cret-two") == OperatorAuth::Verdict::allowed);
  CHECK_THROWS_AS(OperatorAuth(std::vector<std::string>{""}), std::invalid_argument);
}

TEST_CASE("the token file: one per line, comments and blanks ignored, and missing, unreadable or empty stops the start") {
  const TempFile file("# operators of the north feeder\n\n  token-a  \r\n#token-commented\ntoken-b\n");
  const auto auth = OperatorAuth::from_file(file.path);
  CHECK(auth.check("Bearer token-a") == OperatorAuth::Verdict::allowed);
  CHECK(auth.check("Bearer token-b") == OperatorAuth::Verdict::allowed);
  CHECK(auth.check("Bearer token-commented") == OperatorAuth::Verdict::unauthorized);
  CHECK(auth.check("Bearer #token-commented") == OperatorAuth::Verdict::unauthorized);

  const TempFile empty("# nothing but comments\n\n   \n");
  CHECK_THROWS_WITH_AS(OperatorAuth::from_file(empty.path), doctest::Contains("holds no token"), std::runtime_error);
  CHECK_THROWS_WITH_AS(OperatorAuth::from_file(empty.path + ".missing"), doctest::Contains("cannot be read"),
                       std::runtime_error);
  // A directory opens but cannot be read.
  CHECK_THROWS_WITH_AS(OperatorAuth::from_file(empty.dir.string()), doctest::Contains("--operator-token-file"),
                       std::runtime_error);
  // The message names the file, never a token.
  try {
    OperatorAuth::from_file(empty.path);
  } catch (const std::runtime_error& error) {
    CHECK(std::string(error.what()).find(empty.path) != std::string::npos);
  }
}
