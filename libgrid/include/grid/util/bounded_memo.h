#pragma once
// A map that remembers at most `capacity` entries and forgets the oldest first. The grid's
// request-id memories are this: a retry comes within seconds, so the last N answers are enough,
// and a flood of new ids must not grow a node's memory without bound.
// Thread-safety: none; one thread owns it.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <stdexcept>
#include <unordered_map>
#include <utility>

namespace grid {

template <class Key, class Value>
class BoundedMemo {
public:
  // Throws std::invalid_argument for a capacity of 0: a memory that forgets everything at once
  // is a configuration mistake, not a choice.
  explicit BoundedMemo(std::size_t capacity) : capacity_(capacity) {
    if (capacity == 0) throw std::invalid_argument("a bounded memo needs a capacity of at least 1");
  }

  // Remembers key -> value unless the key is already known (the first value stays). Returns
  // false when it was known.
  bool remember(const Key& key, Value value) {
    const std::uint64_t generation = next_generation_++;
    if (!entries_.try_emplace(key, Entry{std::move(value), generation}).second) return false;
    order_.emplace_back(key, generation);
    while (order_.size() > capacity_) {
      // Only the entry this place was made for: a key forgotten and remembered again is younger.
      const auto& [oldest, made] = order_.front();
      if (const auto found = entries_.find(oldest); found != entries_.end() && found->second.generation == made) {
        entries_.erase(found);
      }
      order_.pop_front();
    }
    return true;
  }

  // Forgets one key (it is then decided afresh); its place in the age order is skipped later.
  void forget(const Key& key) { entries_.erase(key); }

  const Value* find(const Key& key) const {
    const auto found = entries_.find(key);
    return found == entries_.end() ? nullptr : &found->second.value;
  }

  // Calls visit(key, value) for every entry, oldest first: remembering them in this order into an
  // empty memo of the same capacity rebuilds the same memory (a restart restores it that way).
  template <class Visit>
  void for_each(Visit&& visit) const {
    for (const auto& [key, made] : order_) {
      // A place whose key was forgotten, or remembered again later, is skipped.
      if (const auto found = entries_.find(key); found != entries_.end() && found->second.generation == made) {
        visit(found->first, found->second.value);
      }
    }
  }

  std::size_t size() const { return entries_.size(); }
  std::size_t capacity() const { return capacity_; }

private:
  struct Entry {
    Value value;
    std::uint64_t generation;  // which remember() made it
  };
  std::size_t capacity_;
  std::uint64_t next_generation_ = 0;
  std::unordered_map<Key, Entry> entries_;
  // Keys in the order they were remembered. A forgotten key's place stays until it reaches the
  // front, so the memory holds at most `capacity` places: the bound holds.
  std::deque<std::pair<Key, std::uint64_t>> order_;
};

}  // namespace grid
