// A hostile header must not make the decoder allocate what it claims. This binary interposes
// malloc (msgpack's zone allocates with it) and operator new, and records the largest single
// request while a flag is set. Under AddressSanitizer, which owns malloc, only the error codes are
// checked.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "grid/proto/codec.h"
#include "proto_test_support.h"

namespace {
std::atomic<bool> watching{false};
std::atomic<std::size_t> largest{0};

void note(std::size_t size) {
  if (!watching.load(std::memory_order_relaxed)) return;
  std::size_t seen = largest.load();
  while (size > seen && !largest.compare_exchange_weak(seen, size)) {
  }
}
}  // namespace

#if defined(__SANITIZE_ADDRESS__)
constexpr bool allocations_watched = false;
#else
constexpr bool allocations_watched = true;
extern "C" void* __libc_malloc(std::size_t size);
extern "C" void* malloc(std::size_t size) {
  note(size);
  return __libc_malloc(size);
}
#endif

void* operator new(std::size_t size) {
  note(size);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

using namespace grid::proto;

namespace {
std::size_t largest_allocation_decoding(const std::string& body, Command command, DecodeError expected) {
  largest = 0;
  watching = true;
  const auto decoded = decode(protocol_id, grid::test::command_byte(command), body);
  watching = false;
  REQUIRE(std::holds_alternative<DecodeError>(decoded));
  CHECK(std::get<DecodeError>(decoded) == expected);
  return largest.load();
}
}  // namespace

TEST_CASE("the allocation watch sees a large malloc") {
  if (!allocations_watched) return;
  largest = 0;
  watching = true;
  void* volatile p = std::malloc(1 << 20);
  watching = false;
  std::free(p);
  CHECK(largest.load() >= (1u << 20));
}

TEST_CASE("a 5-byte array header claiming four billion elements is a drop with no large allocation") {
  const std::string array32("\xdd\xff\xff\xff\xff", 5);
  CHECK(largest_allocation_decoding(array32, Command::heartbeat, DecodeError::malformed) < 64 * 1024);
}

TEST_CASE("huge string, map and binary headers are refused before allocation") {
  const std::string str32("\x91\xdb\xff\xff\xff\xf0", 6);
  const std::string map32("\xdf\xff\xff\xff\xff", 5);
  const std::string bin32("\xc6\xff\xff\xff\xff", 5);
  const std::string deep(20, '\x91');
  for (const auto& body : {str32, map32, bin32, deep}) {
    CHECK(largest_allocation_decoding(body, Command::ping, DecodeError::malformed) < 64 * 1024);
  }
}
