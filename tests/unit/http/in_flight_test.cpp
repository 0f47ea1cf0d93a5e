// The in-flight cap: a slot goes back however the request ends, exactly once.
#include <doctest/doctest.h>

#include <optional>
#include <vector>

#include "grid/http/in_flight.h"

using namespace grid::http;

namespace {

struct Counted {
  int gauge = 0;
  InFlight in_flight{2, [this](int delta) { gauge += delta; }};
};

Respond recorder(std::vector<int>& statuses) {
  return [&statuses](Response response) { statuses.push_back(response.status); };
}

}  // namespace

TEST_CASE("a slot is held until the request is answered, and the cap refuses beyond it") {
  Counted counted;
  std::vector<int> statuses;
  Respond first = recorder(statuses);
  Respond second = recorder(statuses);
  Respond third = recorder(statuses);
  auto held_first = counted.in_flight.hold(first);
  auto held_second = counted.in_flight.hold(second);
  REQUIRE(held_first);
  REQUIRE(held_second);
  CHECK_FALSE(first);  // taken by the held Respond
  CHECK(counted.in_flight.count() == 2);
  CHECK(counted.gauge == 2);

  CHECK_FALSE(counted.in_flight.hold(third));
  CHECK(third);  // left to answer the refusal with
  CHECK(counted.in_flight.count() == 2);
  CHECK(counted.gauge == 2);

  (*held_first)(Response{200, "", "", {}});
  CHECK(statuses == std::vector<int>{200});
  CHECK(counted.in_flight.count() == 1);
  CHECK(counted.gauge == 1);
  (*held_first)(Response{500, "", "", {}});  // a second answer neither goes out nor releases again
  CHECK(statuses == std::vector<int>{200});
  CHECK(counted.in_flight.count() == 1);
  CHECK(counted.in_flight.hold(third));
}

TEST_CASE("a held Respond dropped unanswered, or copied, gives its slot back once") {
  Counted counted;
  std::vector<int> statuses;
  {
    Respond respond = recorder(statuses);
    auto held = counted.in_flight.hold(respond);
    REQUIRE(held);
    Respond copy = *held;  // std::function copies: both share the slot
    held.reset();
    CHECK(counted.in_flight.count() == 1);
  }
  CHECK(counted.in_flight.count() == 0);
  CHECK(counted.gauge == 0);
  CHECK(statuses.empty());

  Respond respond = recorder(statuses);
  auto held = counted.in_flight.hold(respond);
  REQUIRE(held);
  Respond copy = *held;
  copy(Response{201, "", "", {}});
  (*held)(Response{202, "", "", {}});
  CHECK(statuses == std::vector<int>{201});
  CHECK(counted.in_flight.count() == 0);
  CHECK(counted.gauge == 0);
}
