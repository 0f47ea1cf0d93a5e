// The token bucket per client address, stepped with a fake clock.
#include <doctest/doctest.h>

#include <stdexcept>

#include "rate_limiter.h"

namespace grid::edge {
namespace {

using namespace std::chrono_literals;

TEST_CASE("rate limiter: a burst is admitted, then one request per token, with Retry-After rounded up") {
  FakeClock clock;
  RateLimiter limiter({.per_second = 2, .burst = 3});
  for (int i = 0; i < 3; ++i) CHECK(limiter.admit("10.0.0.1", clock.now()).admitted);
  const auto refused = limiter.admit("10.0.0.1", clock.now());
  CHECK_FALSE(refused.admitted);
  CHECK(refused.retry_after_s == 1);  // half a second to the next token, said as a whole second
  clock.advance(499ms);
  CHECK_FALSE(limiter.admit("10.0.0.1", clock.now()).admitted);
  clock.advance(1ms);
  CHECK(limiter.admit("10.0.0.1", clock.now()).admitted);
  CHECK_FALSE(limiter.admit("10.0.0.1", clock.now()).admitted);
}

TEST_CASE("rate limiter: a slow rate asks for the whole wait, and a long idle refills only to the burst") {
  FakeClock clock;
  RateLimiter limiter({.per_second = 0.1, .burst = 2});
  CHECK(limiter.admit("a", clock.now()).admitted);
  CHECK(limiter.admit("a", clock.now()).admitted);
  CHECK(limiter.admit("a", clock.now()).retry_after_s == 10);
  clock.advance(4s);
  CHECK(limiter.admit("a", clock.now()).retry_after_s == 6);
  clock.advance(1h);
  CHECK(limiter.admit("a", clock.now()).admitted);
  CHECK(limiter.admit("a", clock.now()).admitted);
  CHECK_FALSE(limiter.admit("a", clock.now()).admitted);
}

TEST_CASE("rate limiter: each address has its own bucket") {
  FakeClock clock;
  RateLimiter limiter({.per_second = 1, .burst = 1});
  CHECK(limiter.admit("greedy", clock.now()).admitted);
  for (int i = 0; i < 100; ++i) CHECK_FALSE(limiter.admit("greedy", clock.now()).admitted);
  CHECK(limiter.admit("polite", clock.now()).admitted);
}

TEST_CASE("rate limiter: a full table forgets the address idle the longest") {
  FakeClock clock;
  RateLimiter limiter({.per_second = 1, .burst = 1, .max_clients = 2});
  CHECK(limiter.admit("old", clock.now()).admitted);
  CHECK(limiter.admit("busy", clock.now()).admitted);
  clock.advance(1s);
  CHECK(limiter.admit("old", clock.now()).admitted);  // now "busy" is the longest idle
  CHECK_FALSE(limiter.admit("old", clock.now()).admitted);
  CHECK(limiter.admit("new", clock.now()).admitted);  // evicts "busy", not "old"
  CHECK(limiter.tracked() == 2);
  CHECK_FALSE(limiter.admit("old", clock.now()).admitted);  // "old" kept its empty bucket
}

TEST_CASE("rate limiter: disabled admits everything and tracks nobody") {
  FakeClock clock;
  RateLimiter limiter({});
  for (int i = 0; i < 1000; ++i) CHECK(limiter.admit("a", clock.now()).admitted);
  CHECK(limiter.tracked() == 0);
}

TEST_CASE("rate limiter: a burst below one token is refused at construction") {
  CHECK_THROWS_AS(RateLimiter({.per_second = 1, .burst = 0.5}), std::invalid_argument);
  CHECK_THROWS_AS(RateLimiter({.per_second = 1, .burst = 2, .max_clients = 0}), std::invalid_argument);
}

}  // namespace
}  // namespace grid::edge
