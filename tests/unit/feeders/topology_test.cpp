// The topology file: what it declares, and that every rule it breaks is reported with its line.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "grid/feeders/topology.h"

using grid::feeders::Topology;
using grid::feeders::TopologyError;

namespace {

std::string error_of(const std::string& text) {
  try {
    Topology::parse(text, "t.json");
  } catch (const TopologyError& error) {
    return error.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("a nested topology lists parents before children and knows each substation's path") {
  const auto topology = Topology::parse(R"({"feeders": [
    {"id": "leaf", "parent": "mid", "limit_kw": 100, "substations": ["s3"]},
    {"id": "root", "limit_kw": 500, "substations": ["s1"]},
    {"id": "mid", "parent": "root", "limit_kw": 300, "substations": ["s2"]}
  ]})");
  REQUIRE(topology.feeders().size() == 3);
  CHECK(topology.feeders()[0].id == "root");
  CHECK(topology.feeders()[1].id == "mid");
  CHECK(topology.feeders()[2].id == "leaf");
  CHECK(topology.feeders()[2].depth == 3);
  const auto path = topology.path_of("s3");
  REQUIRE(path.size() == 3);
  CHECK(topology.feeders()[path[0]].id == "leaf");
  CHECK(topology.feeders()[path[2]].id == "root");
  CHECK(topology.path_of("nowhere").empty());
  CHECK(topology.feeders()[0].children == std::vector<std::size_t>{1});
}

TEST_CASE("every broken rule names its line") {
  struct Row {
    const char* text;
    const char* expected;
  };
  const Row rows[] = {
      {"{\"feeders\": [\n  {\"id\": \"a\", \"limit_kw\": 10,\n}\n]}", "t.json line 3: not valid JSON"},
      {"{\"feeders\": [\n {\"id\": \"a\", \"limit_kw\": 10},\n {\"id\": \"a\", \"limit_kw\": 20}\n]}",
       "t.json line 3: feeder \"a\" is declared twice"},
      {"{\"feeders\": [\n {\"id\": \"a\",\n  \"limit_kw\": 0}\n]}", "t.json line 3: feeder \"a\" needs \"limit_kw\""},
      {"{\"feeders\": [\n {\"id\": \"a\", \"limit_kw\": 5,\n  \"parent\": \"zz\"}\n]}",
       "t.json line 3: feeder \"a\" names an unknown parent \"zz\""},
      {"{\"feeders\": [\n {\"id\": \"a\", \"limit_kw\": 5, \"parent\": \"b\"},\n"
       " {\"id\": \"b\", \"limit_kw\": 5, \"parent\": \"a\"}\n]}",
       "t.json line 2: feeder \"a\" is its own ancestor"},
      {"{\"feeders\": [\n {\"id\": \"a\", \"limit_kw\": 5, \"substations\": [\"s1\"]},\n"
       " {\"id\": \"b\", \"limit_kw\": 5,\n  \"substations\": [\"s1\"]}\n]}",
       "t.json line 4: substation \"s1\" is already on feeder \"a\""},
      {"{\"feeders\": [\n {\"id\": \"a\", \"limit_kw\": 5, \"substations\": [\"s1\",\n \"s1\"]}\n]}",
       "t.json line 3: substation \"s1\" is already on feeder \"a\""},
      {"{\"feeders\": [\n {\"id\": \"a\", \"limit_kw\": 5},\n {\"id\": \"b\", \"limit_kw\": 5, \"parent\": \"a\"},\n"
       " {\"id\": \"c\", \"limit_kw\": 5, \"parent\": \"b\"},\n {\"id\": \"d\", \"limit_kw\": 5, \"parent\": \"c\"},\n"
       " {\"id\": \"e\", \"limit_kw\": 5, \"parent\": \"d\"}\n]}",
       "t.json line 6: feeder \"e\" is 5 levels deep"},
      {"{\"feeders\": [\n {\"id\": \"a\",\n  \"limit_KW\": 5}\n]}", "t.json line 3: unknown key \"limit_KW\""},
      {"{\"feeders\": {}}", "t.json line 1: \"feeders\" must be an array"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.text);
    const std::string error = error_of(row.text);
    CHECK_MESSAGE(error.rfind(row.expected, 0) == 0, error);
  }
}

TEST_CASE("a missing file is a topology error naming the path") {
  CHECK_THROWS_WITH_AS(Topology::load("/nonexistent/topology.json"),
                       doctest::Contains("/nonexistent/topology.json"), TopologyError);
}

TEST_CASE("safe shares split each feeder equally over all its substations, nested ones included, the tightest wins") {
  const auto topology = Topology::parse(R"({"feeders": [
    {"id": "main", "limit_kw": 100, "substations": ["s1"]},
    {"id": "depot", "parent": "main", "limit_kw": 30, "substations": ["s2", "s3", "s4"]},
    {"id": "south", "limit_kw": 100, "substations": ["s5", "s6", "s7"]}
  ]})");
  CHECK(topology.safe_share_kw("s1") == doctest::Approx(25));  // 100 kW over 4 under main
  CHECK(topology.safe_share_kw("s2") == doctest::Approx(10));  // 30 kW over 3 under depot beats 25
  CHECK(topology.safe_share_kw("s4") == doctest::Approx(10));
  CHECK(topology.safe_share_kw("s5") == doctest::Approx(33.333));  // whole watts, rounded down
  CHECK(topology.safe_share_kw("nowhere") == 0);
  // Whatever mix of balancers sent them, the shares sum within every limit.
  const std::vector<std::string> main_tree{"s1", "s2", "s3", "s4"};
  double sum = 0;
  for (const auto& id : main_tree) sum += topology.safe_share_kw(id);
  CHECK(sum <= 100);
  CHECK(3 * topology.safe_share_kw("s5") <= 100);
  // Effective limits (demand response) replace the topology's, by feeder index.
  std::vector<double> limits(topology.feeders().size());
  for (std::size_t f = 0; f < limits.size(); ++f) limits[f] = topology.feeders()[f].limit_kw;
  limits[*topology.feeder_index("main")] = 20;
  CHECK(topology.safe_share_kw("s1", limits) == doctest::Approx(5));
  CHECK(topology.safe_share_kw("s2", limits) == doctest::Approx(5));
  CHECK(topology.feeders()[*topology.feeder_index("main")].substations_under == 4);
}
