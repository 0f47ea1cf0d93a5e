#pragma once
// A grid::Random that returns a script of values, so a policy test states every random choice.
// Running out of script, or a value outside the bound asked for, is a test bug: it throws
// std::logic_error (doctest reports the message) instead of inventing a value.
//
// Thread-safety: none; one per test.

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "grid/util/random.h"

namespace grid::test {

class ScriptedRandom final : public grid::Random {
public:
  ScriptedRandom(std::initializer_list<std::uint64_t> values) : values_(values) {}
  explicit ScriptedRandom(std::vector<std::uint64_t> values) : values_(std::move(values)) {}

  std::uint64_t below(std::uint64_t bound) override {
    if (next_ >= values_.size()) {
      throw std::logic_error("ScriptedRandom: script exhausted after " +
                             std::to_string(values_.size()) + " values (asked below(" +
                             std::to_string(bound) + "))");
    }
    const std::uint64_t value = values_[next_];
    if (value >= bound) {
      throw std::logic_error("ScriptedRandom: scripted value " + std::to_string(value) + " at #" +
                             std::to_string(next_) + " is not below " + std::to_string(bound));
    }
    bounds_.push_back(bound);
    ++next_;
    return value;
  }

  // Lets a test check the policy drew exactly what the script foresaw.
  std::size_t used() const { return next_; }
  std::size_t remaining() const { return values_.size() - next_; }
  // The bound of every draw so far, in order.
  const std::vector<std::uint64_t>& bounds() const { return bounds_; }

private:
  std::vector<std::uint64_t> values_;
  std::size_t next_ = 0;
  std::vector<std::uint64_t> bounds_;
};

}  // namespace grid::test
