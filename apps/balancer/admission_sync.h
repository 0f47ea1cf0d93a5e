#pragma once
// What a substation already holds, read whenever it (re)connects: when the balancer starts (every
// substation is new to it), when a substation restarts (a new boot) and when a dead one is heard
// again (a partition healed). The balancer asks for the substation's admission memory page by page
// (IndexQuery, AdmissionIndex: docs/protocol.md, "Exactly once across restarts") and hands each
// entry to the dispatcher, which learns who holds which request and cancels a session that a
// request holds twice. A page that does not come within the page timeout is asked again; after
// `attempts` tries the reading is abandoned (logged and counted) and starts over the next time the
// substation reconnects.
// Time comes from the injected clock. Thread-safety: none; the balancer thread owns it.

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "balancer_metrics.h"
#include "grid/proto/messages.h"
#include "grid/util/clock.h"
#include "grid/util/random.h"
#include "query_forwarder.h"

namespace grid::balancer {

struct SyncSettings {
  Duration page_timeout = std::chrono::milliseconds(500);
  int attempts = 4;  // asks of one page before the reading is abandoned
};

class AdmissionSync {
public:
  AdmissionSync(QueryOutbox& outbox, BalancerMetrics& metrics, SyncSettings settings, const Clock& clock,
                Random& random);

  // The substation joined, restarted or came back: (re)start reading its admissions from page 0.
  void on_connected(const std::string& substation);
  // A cancel to it was lost (it was unreachable for a moment, not long enough to be declared
  // dead): its admissions are read again when it is next heard, so the session left behind is found.
  void reread_when_heard(const std::string& substation) { reread_.insert(substation); }
  // Any heartbeat accepted from it.
  void on_heard(const std::string& substation) {
    if (!reread_.empty() && reread_.count(substation)) on_connected(substation);
  }
  // A page from `substation`. True when it is the page being waited for: the caller then learns
  // its entries. False (stale, duplicated or unasked): the caller drops it.
  bool on_page(const std::string& substation, const proto::AdmissionIndex& page);
  void on_timers();
  std::optional<TimePoint> next_deadline() const;
  // Substations whose reading is under way.
  std::size_t reading() const { return readings_.size(); }

private:
  struct Reading {
    std::uint64_t token = 0;
    std::uint32_t page = 0;
    int asked = 0;  // times this page was asked
    TimePoint deadline{};
    TimePoint started{};
    std::size_t entries = 0;
  };

  void ask(const std::string& substation, Reading& reading);

  QueryOutbox& outbox_;
  BalancerMetrics& metrics_;
  SyncSettings settings_;
  const Clock& clock_;
  std::uint64_t next_token_;
  std::unordered_map<std::string, Reading> readings_;  // by substation
  std::unordered_set<std::string> reread_;
};

}  // namespace grid::balancer
