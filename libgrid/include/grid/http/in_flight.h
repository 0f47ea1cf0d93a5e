#pragma once
// A cap on the requests being answered at once, with slots that cannot leak: a slot is held by
// the Respond that answers the request, and released when that Respond answers, or when it is
// destroyed unanswered (a request dropped on any path, an exception, a shutdown). No handler
// decrements a counter by hand.
// Thread-safety: every member is safe from any thread. The InFlight must outlive every Respond
// that hold() returned.

#include <atomic>
#include <cstddef>
#include <functional>
#include <optional>

#include "grid/http/server.h"

namespace grid::http {

class InFlight {
public:
  // `on_change(+1)` when a slot is taken, `on_change(-1)` when it is released (a gauge, say);
  // called on the thread that takes or releases, so it must be thread-safe.
  explicit InFlight(std::size_t limit, std::function<void(int delta)> on_change = {});
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;

  // Takes a slot and `respond` (left empty) and returns a Respond holding both: the slot goes
  // back after it has handed its response on, or when it is destroyed uncalled. Empty when all
  // `limit` slots are taken; `respond` is left untouched then, to answer the refusal with.
  std::optional<Respond> hold(Respond& respond);

  std::size_t count() const { return count_.load(); }
  std::size_t limit() const { return limit_; }

private:
  class Slot;
  void release();

  const std::size_t limit_;
  const std::function<void(int)> on_change_;
  std::atomic<std::size_t> count_{0};
};

}  // namespace grid::http
