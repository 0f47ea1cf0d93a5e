#pragma once
// Which balancer a request goes to: rendezvous (highest-random-weight) hashing of the request id
// over the configured balancer endpoints. Every endpoint gets a weight hash(endpoint, id); the
// request goes to the highest. Why this and not round robin or "id modulo n":
// - The same Idempotency-Key sent twice at once, even through two edges, must reach the same
//   balancer, the one that deduplicates it: the weight depends on nothing but the endpoint string
//   and the id, so every edge with the same --balancer list (in any order) picks the same one.
// - When a balancer is left out (it stops answering), only the ids that were on it move; the
//   others keep their balancer (an "id modulo n" would move almost all of them).
// - The hash is ours (FNV-1a 64, then a 64-bit finalizer), never std::hash: std::hash may differ
//   between builds, standard libraries and even runs, and two edges must agree. The finalizer
//   spreads FNV-1a's last bytes (the id's tail, e.g. a counter) over all 64 bits, so weights of
//   near-identical ids are not ordered alike.
// Thread-safety: pure functions.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace grid::edge {

// The weight of `endpoint` for `request_id`: the same in every process, build and platform.
std::uint64_t rendezvous_weight(std::string_view endpoint, std::string_view request_id);

// The indices of `endpoints`, heaviest first for `request_id` (ties, which need a 64-bit
// collision, go to the smaller endpoint string). Element 0 is the request's balancer; leaving
// out the ones not answering, the first left is its balancer among those.
std::vector<std::size_t> rendezvous_order(const std::vector<std::string>& endpoints, std::string_view request_id);

}  // namespace grid::edge
