#include "rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace grid::edge {

RateLimiter::RateLimiter(RateLimit limit) : limit_(limit) {
  if (limit_.enabled() && (limit_.burst < 1 || limit_.max_clients == 0 || !std::isfinite(limit_.per_second))) {
    throw std::invalid_argument("rate limit: burst must be at least 1 and at least one client tracked");
  }
}

RateDecision RateLimiter::admit(std::string_view client, TimePoint now) {
  if (!limit_.enabled()) return {};
  std::lock_guard lock(mutex_);
  auto found = buckets_.find(std::string(client));
  if (found == buckets_.end()) {
    evict_if_full();
    idle_order_.emplace_back(client);
    found = buckets_.emplace(std::string(client), Bucket{limit_.burst, now, std::prev(idle_order_.end())}).first;
  } else {
    idle_order_.splice(idle_order_.end(), idle_order_, found->second.in_idle_order);
  }
  auto& bucket = found->second;
  // A clock that stepped back (it should not: steady) refills nothing rather than draining.
  const double elapsed_s = std::max(0.0, std::chrono::duration<double>(now - bucket.refilled).count());
  bucket.tokens = std::min(limit_.burst, bucket.tokens + elapsed_s * limit_.per_second);
  bucket.refilled = now;
  if (bucket.tokens >= 1) {
    bucket.tokens -= 1;
    return {};
  }
  const double wait_s = (1 - bucket.tokens) / limit_.per_second;
  return {false, std::max(1, static_cast<int>(std::min(std::ceil(wait_s), 86'400.0)))};
}

std::size_t RateLimiter::tracked() const {
  std::lock_guard lock(mutex_);
  return buckets_.size();
}

void RateLimiter::evict_if_full() {
  if (buckets_.size() < limit_.max_clients) return;
  buckets_.erase(idle_order_.front());
  idle_order_.pop_front();
}

}  // namespace grid::edge
