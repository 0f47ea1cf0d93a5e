#include "grid/http/in_flight.h"

#include <memory>

namespace grid::http {

// Shared by the copies of one held Respond (std::function copies its target): the slot goes
// back once, when the first copy answers or the last copy is destroyed.
class InFlight::Slot {
public:
  Slot(InFlight& owner, Respond respond) : owner_(owner), respond_(std::move(respond)) {}
  ~Slot() { release(); }
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;

  void answer(Response response) {
    if (answered_.exchange(true)) return;
    respond_(std::move(response));
    release();
  }

private:
  void release() {
    if (!released_.exchange(true)) owner_.release();
  }

  InFlight& owner_;
  Respond respond_;
  std::atomic<bool> answered_{false};
  std::atomic<bool> released_{false};
};

InFlight::InFlight(std::size_t limit, std::function<void(int)> on_change)
    : limit_(limit), on_change_(std::move(on_change)) {}

std::optional<Respond> InFlight::hold(Respond& respond) {
  if (count_.fetch_add(1) >= limit_) {
    count_.fetch_sub(1);
    return std::nullopt;
  }
  std::shared_ptr<Slot> slot;
  try {
    slot = std::make_shared<Slot>(*this, std::move(respond));
  } catch (...) {  // out of memory: the count must not keep a slot nobody holds
    count_.fetch_sub(1);
    throw;
  }
  if (on_change_) on_change_(+1);  // before anyone can answer, so the gauge never dips below 0
  return Respond([slot](Response response) { slot->answer(std::move(response)); });
}

void InFlight::release() {
  count_.fetch_sub(1);
  if (on_change_) on_change_(-1);
}

}  // namespace grid::http
