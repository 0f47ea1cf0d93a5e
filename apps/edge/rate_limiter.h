#pragma once
// A token bucket per client address for POST /charge, so one greedy client cannot take the
// edge's in-flight slots and the balancer's attention from everyone else. Each address may send
// `burst` requests at once and `per_second` on average; beyond that it is answered 429 with the
// time until its next token. The table of addresses is bounded: when it is full, the address
// idle the longest is forgotten (its bucket would have refilled to the brim by then anyway).
// Thread-safety: admit() from any thread (a mutex guards the table, held for a map lookup).

#include <chrono>
#include <cstddef>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "grid/util/clock.h"

namespace grid::edge {

struct RateLimit {
  double per_second = 0;  // 0: no limit
  double burst = 0;       // at least 1 when per_second > 0
  // Addresses tracked at once; beyond it the longest idle is forgotten.
  std::size_t max_clients = 10'000;

  bool enabled() const { return per_second > 0; }
};

// The verdict on one request: admitted, or refused with the whole seconds (at least 1) until the
// client's next token.
struct RateDecision {
  bool admitted = true;
  int retry_after_s = 0;
};

class RateLimiter {
public:
  // Throws std::invalid_argument for an enabled limit with burst < 1 or no room for a client.
  explicit RateLimiter(RateLimit limit);

  // Takes one token from `client`'s bucket at time `now`, or says how long until there is one.
  // Always admits when the limit is disabled.
  RateDecision admit(std::string_view client, TimePoint now);

  std::size_t tracked() const;

private:
  struct Bucket {
    double tokens;
    TimePoint refilled;
    std::list<std::string>::iterator in_idle_order;
  };

  // Makes room for one more address by forgetting the longest idle.
  void evict_if_full();

  const RateLimit limit_;
  mutable std::mutex mutex_;  // guards what follows
  std::unordered_map<std::string, Bucket> buckets_;
  std::list<std::string> idle_order_;  // least recently seen first
};

}  // namespace grid::edge
