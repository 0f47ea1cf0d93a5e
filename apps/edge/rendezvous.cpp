#include "rendezvous.h"

#include <algorithm>
#include <numeric>

namespace grid::edge {
namespace {

constexpr std::uint64_t fnv_offset = 14695981039346656037ULL;
constexpr std::uint64_t fnv_prime = 1099511628211ULL;

std::uint64_t fnv1a(std::uint64_t hash, std::string_view bytes) {
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= fnv_prime;
  }
  return hash;
}

// MurmurHash3's fmix64: every input bit reaches every output bit.
std::uint64_t finalize(std::uint64_t hash) {
  hash ^= hash >> 33;
  hash *= 0xff51afd7ed558ccdULL;
  hash ^= hash >> 33;
  hash *= 0xc4ceb9fe1a85ec53ULL;
  hash ^= hash >> 33;
  return hash;
}

}  // namespace

std::uint64_t rendezvous_weight(std::string_view endpoint, std::string_view request_id) {
  // A NUL between the two, which neither an endpoint nor an id contains, so ("ab", "c") and
  // ("a", "bc") hash apart.
  std::uint64_t hash = fnv1a(fnv_offset, endpoint);
  hash = fnv1a(hash, std::string_view("\0", 1));
  return finalize(fnv1a(hash, request_id));
}

std::vector<std::size_t> rendezvous_order(const std::vector<std::string>& endpoints, std::string_view request_id) {
  std::vector<std::uint64_t> weights;
  weights.reserve(endpoints.size());
  for (const auto& endpoint : endpoints) weights.push_back(rendezvous_weight(endpoint, request_id));
  std::vector<std::size_t> order(endpoints.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (weights[a] != weights[b]) return weights[a] > weights[b];
    return endpoints[a] < endpoints[b];
  });
  return order;
}

}  // namespace grid::edge
