#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <stdexcept>

#include "grid/util/shutdown.h"
#include "node_runner.h"

TEST_CASE("a node whose loop fails makes the process exit 1 promptly, instead of hanging") {
  // As in main(): shutdown signals blocked in every thread, so only sigwait() sees them.
  grid::block_shutdown_signals();
  grid::metrics::Exposition registry;
  auto result = std::async(std::launch::async, [&] {
    return grid::app::run_node({.name = "failing node",
                                .metrics_address = "",
                                .run = [] { throw std::runtime_error("the loop broke"); },
                                .stop = [] {}},
                               registry);
  });
  REQUIRE(result.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  CHECK(result.get() == 1);
}
