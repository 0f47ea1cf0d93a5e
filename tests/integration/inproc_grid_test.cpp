// The whole grid in one process over inproc://: a balancer, three substations and a requester,
// each node on its own thread with its own sockets, as in separate processes.
#include <doctest/doctest.h>

#include <map>
#include "inproc_grid.h"
#include "support/grid_client.h"
#include "support/wait.h"

using namespace grid;
using namespace std::chrono_literals;

using grid::test::InprocGrid;

TEST_CASE("in one process: requests are admitted, spread by capacity, and refused once the grid is full") {
  InprocGrid grid("grid-a");
  grid.add_substation("north", 100);
  grid.add_substation("south", 50);
  grid.add_substation("east", 50);
  test::GridClient client(grid.context, grid.balancer().frontend_endpoint());
  REQUIRE(test::wait_until([&] { return client.live_substations() == 3u; }));

  std::map<std::string, int> per_substation;
  for (int i = 0; i < 20; ++i) {
    // Cars that charge only at their full 10 kW (minimum = maximum): the grid fills exactly.
    const auto reply = client.charge({"r" + std::to_string(i), "EV-" + std::to_string(i), 10, 20, 10});
    REQUIRE(reply);
    REQUIRE(reply->outcome == proto::Outcome::charging);
    CHECK(reply->request_id == "r" + std::to_string(i));
    ++per_substation[reply->substation_id];
  }
  // 200 kW of 200 kW: every substation exactly full, in proportion to its capacity.
  CHECK(per_substation["north"] == 10);
  CHECK(per_substation["south"] == 5);
  CHECK(per_substation["east"] == 5);

  const auto refused = client.charge({"r-full", "EV-full", 10, 20, 10});
  REQUIRE(refused);
  CHECK(refused->outcome == proto::Outcome::no_capacity);
}

TEST_CASE("in one process: many requests in flight at once each get exactly one answer") {
  InprocGrid grid("grid-b");
  grid.add_substation("north", 1000);
  grid.add_substation("south", 1000);
  test::GridClient client(grid.context, grid.balancer().frontend_endpoint());
  REQUIRE(test::wait_until([&] { return client.live_substations() == 2u; }));

  constexpr int count = 150;
  for (int i = 0; i < count; ++i) client.send({"r" + std::to_string(i), "EV", 11, 20});
  std::map<std::string, int> answers;
  for (int i = 0; i < count; ++i) {
    const auto reply = client.receive();
    REQUIRE(reply);
    CHECK(reply->outcome == proto::Outcome::charging);
    ++answers[reply->request_id];
  }
  CHECK(answers.size() == count);
  CHECK_FALSE(client.receive(100ms).has_value());  // and nothing more
}
