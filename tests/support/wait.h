#pragma once
// Tests wait for events, not for time: poll a condition until it holds or a generous limit runs
// out (the limit only bounds a broken run; a passing run returns as soon as the event happens).

#include <chrono>
#include <functional>
#include <thread>

namespace grid::test {

inline bool wait_until(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = std::chrono::seconds(10),
                       std::chrono::milliseconds step = std::chrono::milliseconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(step);
  }
  return true;
}

}  // namespace grid::test
