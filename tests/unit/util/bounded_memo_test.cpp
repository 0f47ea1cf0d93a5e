#include <doctest/doctest.h>

#include <deque>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "grid/util/bounded_memo.h"

using grid::BoundedMemo;

TEST_CASE("a bounded memo keeps the first answer and forgets the oldest beyond its capacity") {
  BoundedMemo<std::string, int> memo(2);
  CHECK(memo.remember("a", 1));
  CHECK_FALSE(memo.remember("a", 9));
  CHECK(*memo.find("a") == 1);
  CHECK(memo.remember("b", 2));
  CHECK(memo.remember("c", 3));
  CHECK(memo.find("a") == nullptr);
  CHECK(*memo.find("b") == 2);
  CHECK(memo.size() == 2);
  using Memo = BoundedMemo<int, int>;
  CHECK_THROWS_AS(Memo(0), std::invalid_argument);
}

TEST_CASE("a key forgotten and remembered again is not evicted by its old place in the age order") {
  BoundedMemo<std::string, int> memo(2);
  memo.remember("a", 1);
  memo.forget("a");
  memo.remember("a", 2);  // younger than its first place
  memo.remember("b", 3);  // pushes the first place of "a" out
  REQUIRE(memo.find("a") != nullptr);
  CHECK(*memo.find("a") == 2);
}

TEST_CASE("property: a bounded memo agrees with a model and never exceeds its capacity") {
  std::mt19937 random(9);
  for (std::size_t capacity : {1u, 3u, 17u}) {
    BoundedMemo<int, int> memo(capacity);
    std::unordered_map<int, int> model;  // what must still be known
    std::deque<std::pair<int, std::uint64_t>> order;
    std::unordered_map<int, std::uint64_t> made;
    std::uint64_t generation = 0;
    for (int step = 0; step < 5000; ++step) {
      const int key = static_cast<int>(random() % 40);
      if (random() % 4 == 0) {
        memo.forget(key);
        model.erase(key);
        continue;
      }
      const bool fresh = !model.contains(key);
      CHECK(memo.remember(key, step) == fresh);
      if (!fresh) continue;
      model[key] = step;
      made[key] = generation;
      order.emplace_back(key, generation++);
      while (order.size() > capacity) {
        const auto [oldest, when] = order.front();
        if (model.contains(oldest) && made[oldest] == when) model.erase(oldest);
        order.pop_front();
      }
      REQUIRE(memo.size() <= capacity);
      for (const auto& [k, v] : model) REQUIRE((memo.find(k) != nullptr && *memo.find(k) == v));
      REQUIRE(memo.size() == model.size());
    }
  }
}

TEST_CASE("for_each walks the memory oldest first, skips what was forgotten, and rebuilds the same memory") {
  BoundedMemo<std::string, int> memo(3);
  memo.remember("a", 1);
  memo.remember("b", 2);
  memo.remember("c", 3);
  memo.forget("b");
  memo.remember("b", 4);  // younger now
  memo.remember("d", 5);  // pushes out a's place, then the forgotten b's
  std::vector<std::pair<std::string, int>> seen;
  memo.for_each([&seen](const std::string& key, int value) { seen.emplace_back(key, value); });
  const std::vector<std::pair<std::string, int>> expected{{"c", 3}, {"b", 4}, {"d", 5}};
  CHECK(seen == expected);

  BoundedMemo<std::string, int> rebuilt(3);
  for (const auto& [key, value] : seen) rebuilt.remember(key, value);
  rebuilt.remember("e", 6);
  memo.remember("e", 6);
  for (const char* key : {"a", "b", "c", "d", "e"}) {
    CAPTURE(key);
    CHECK((memo.find(key) == nullptr) == (rebuilt.find(key) == nullptr));
  }
}
