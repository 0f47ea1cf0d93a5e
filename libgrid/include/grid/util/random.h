#pragma once
// Randomness as an injected source: policies draw through this interface so tests can script
// every choice. Thread-safety: none; each owner (one node thread) keeps its own.

#include <cstdint>
#include <random>

namespace grid {

class Random {
public:
  virtual ~Random() = default;
  // A uniformly distributed integer in [0, bound). bound must be > 0.
  virtual std::uint64_t below(std::uint64_t bound) = 0;
};

class SeededRandom final : public Random {
public:
  explicit SeededRandom(std::uint64_t seed = std::random_device{}()) : engine_(seed) {}
  std::uint64_t below(std::uint64_t bound) override {
    return std::uniform_int_distribution<std::uint64_t>(0, bound - 1)(engine_);
  }

private:
  std::mt19937_64 engine_;
};

}  // namespace grid
