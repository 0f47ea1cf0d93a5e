// Dividing a feeder's budget: table cases, then a property test over random nested topologies.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "grid/feeders/budget.h"

using grid::feeders::divide;
using grid::feeders::SubstationNeed;
using grid::feeders::Topology;

namespace {

const Topology one_feeder = Topology::parse(R"({"feeders": [
  {"id": "f", "limit_kw": 100, "substations": ["a", "b", "c"]}]})");

SubstationNeed need(const char* id, double min_kw, double demand_kw, double capacity_kw = 100, double limit_kw = 100) {
  return {.id = id, .live = true, .min_kw = min_kw, .demand_kw = demand_kw, .capacity_kw = capacity_kw,
          .limit_kw = limit_kw, .held_kw = 0};
}

}  // namespace

TEST_CASE("division table: minimums first, then demand by water-filling, then the rest by capacity") {
  struct Row {
    const char* name;
    double limit_kw;
    std::vector<SubstationNeed> needs;
    std::map<std::string, double> expected;
  };
  SubstationNeed dead = need("c", 0, 0);
  dead.live = false;
  dead.held_kw = 30;
  const std::vector<Row> rows = {
      {"all demand fits, the rest by capacity", 100, {need("a", 5, 20, 100), need("b", 5, 20, 300), need("c", 0, 0, 100)},
       {{"a", 32}, {"b", 56}, {"c", 12}}},
      {"demand beyond the budget is water-filled", 100, {need("a", 10, 90), need("b", 10, 20), need("c", 10, 90)},
       {{"a", 40}, {"b", 20}, {"c", 40}}},
      {"minimums beyond the budget are scaled down alike", 30, {need("a", 20, 20), need("b", 20, 20), need("c", 20, 20)},
       {{"a", 10}, {"b", 10}, {"c", 10}}},
      {"capped at a substation's own limit", 100, {need("a", 0, 90, 100, 20), need("b", 0, 90, 100, 100)},
       {{"a", 20}, {"b", 80}}},
      {"a substation not live keeps what it holds", 100, {need("a", 0, 90), need("b", 0, 90), dead},
       {{"a", 35}, {"b", 35}}},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    const auto division = divide(one_feeder, {row.limit_kw}, row.needs);
    CHECK(division.grant_kw.size() == row.expected.size());
    for (const auto& [id, kw] : row.expected) {
      CAPTURE(id);
      REQUIRE(division.grant_kw.count(id) == 1);
      CHECK(division.grant_kw.at(id) == doctest::Approx(kw).epsilon(0.001));
    }
  }
}

TEST_CASE("a child feeder's grant is what its parent gives it") {
  const auto topology = Topology::parse(R"({"feeders": [
    {"id": "root", "limit_kw": 100, "substations": ["a"]},
    {"id": "child", "parent": "root", "limit_kw": 30, "substations": ["b", "c"]}]})");
  const auto division = divide(topology, {100, 30}, {need("a", 0, 100), need("b", 0, 100), need("c", 0, 100)});
  CHECK(division.grant_kw.at("a") == doctest::Approx(70));
  CHECK(division.grant_kw.at("b") == doctest::Approx(15));
  CHECK(division.grant_kw.at("c") == doctest::Approx(15));
  CHECK(division.feeder_budget_kw[1] == doctest::Approx(30));
}

TEST_CASE("property: random nested topologies never overspend a feeder, keep minimums, and conserve work") {
  std::mt19937 random(20240614);
  for (int trial = 0; trial < 300; ++trial) {
    CAPTURE(trial);
    // 1 to 5 feeders, each with a random earlier parent (or none) up to 3 levels, 0 to 4 substations each.
    const int feeders = 1 + static_cast<int>(random() % 5);
    std::vector<int> depth(static_cast<std::size_t>(feeders), 1);
    std::string text = R"({"feeders": [)";
    std::vector<SubstationNeed> needs;
    int sub = 0;
    for (int f = 0; f < feeders; ++f) {
      int parent = f == 0 ? -1 : static_cast<int>(random() % static_cast<unsigned>(f + 1)) - 1;
      if (parent >= 0 && depth[static_cast<std::size_t>(parent)] >= 3) parent = -1;
      if (parent >= 0) depth[static_cast<std::size_t>(f)] = depth[static_cast<std::size_t>(parent)] + 1;
      const int limit = 20 + static_cast<int>(random() % 400);
      text += (f ? "," : "") + std::string(R"({"id": "f)") + std::to_string(f) + R"(", "limit_kw": )" +
              std::to_string(limit) + (parent >= 0 ? R"(, "parent": "f)" + std::to_string(parent) + "\"" : "") +
              R"(, "substations": [)";
      const int count = static_cast<int>(random() % 5);
      for (int s = 0; s < count; ++s, ++sub) {
        const std::string id = "s" + std::to_string(sub);
        text += (s ? ",\"" : "\"") + id + "\"";
        SubstationNeed n;
        n.id = id;
        n.capacity_kw = 20 + static_cast<double>(random() % 200);
        n.limit_kw = n.capacity_kw * (random() % 2 ? 1.0 : 0.5);
        n.min_kw = static_cast<double>(random() % 30) * 1.4;
        n.min_kw = std::min(n.min_kw, n.limit_kw);
        n.demand_kw = n.min_kw + static_cast<double>(random() % 100);
        n.live = random() % 8 != 0;
        n.held_kw = n.live ? 0 : static_cast<double>(random() % 20);
        needs.push_back(n);
      }
      text += "]}";
    }
    text += "]}";
    const auto topology = Topology::parse(text);
    std::vector<double> limits;
    for (const auto& feeder : topology.feeders()) limits.push_back(feeder.limit_kw * (random() % 3 ? 1.0 : 0.3));
    const auto division = divide(topology, limits, needs);

    // Under every feeder: grants + held <= limit (when the held alone fit).
    std::vector<double> granted(topology.feeders().size(), 0), held(topology.feeders().size(), 0),
        minimums(topology.feeders().size(), 0), heads(topology.feeders().size(), 0);
    for (const auto& n : needs) {
      const double grant = n.live ? division.grant_kw.at(n.id) : 0;
      for (const auto f : topology.path_of(n.id)) {
        granted[f] += grant;
        held[f] += n.held_kw;
        minimums[f] += n.live ? std::max(n.min_kw, 0.001) : 0;
        heads[f] += n.live ? n.limit_kw : n.held_kw;
      }
    }
    for (std::size_t f = 0; f < topology.feeders().size(); ++f) {
      double tightest = limits[f];
      for (auto at = topology.feeders()[f].parent; at != grid::feeders::no_parent; at = topology.feeders()[at].parent) {
        tightest = std::min(tightest, limits[at]);
      }
      CAPTURE(f);
      if (held[f] <= tightest) CHECK(granted[f] + held[f] <= tightest + 1e-9);
    }
    for (const auto& n : needs) {
      if (!n.live) continue;
      CAPTURE(n.id);
      // The minimums are met wherever every feeder on the path could give all of its minimums.
      bool room = true;
      for (const auto f : topology.path_of(n.id)) room = room && minimums[f] + held[f] <= limits[f];
      if (room) CHECK(division.grant_kw.at(n.id) >= std::max(n.min_kw, 0.001) - 1e-9);
      CHECK(division.grant_kw.at(n.id) <= std::max(n.limit_kw, std::max(n.min_kw, 0.001)) + 1e-9);
    }
    // Work conserving at a root without nested feeders: it hands out min(limit, sum of heads), to a watt each.
    for (std::size_t f = 0; f < topology.feeders().size(); ++f) {
      const auto& feeder = topology.feeders()[f];
      if (feeder.parent != grid::feeders::no_parent || !feeder.children.empty()) continue;
      const double expected = std::min(limits[f], heads[f]);
      if (minimums[f] + held[f] > limits[f]) continue;  // scaled minimums round down
      CHECK(granted[f] + held[f] >= expected - 0.001 * static_cast<double>(feeder.substations.size()) - 1e-9);
    }
  }
}
