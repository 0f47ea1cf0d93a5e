#pragma once
// The substation's state on disk: one SQLite file (WAL, synchronous=NORMAL) that a restarted
// substation loads whole (load) and that every step writes as a delta in one transaction (commit).
// Opening refuses, with a message that says what to do, anything that is not this substation's
// own file in a schema this binary knows: not SQLite, another application's SQLite, a newer
// schema, a damaged file, a file held by a running substation, another substation's file.
// The file is held (flock on FILE.lock) for the life of the store; the kernel drops the lock when
// the process dies, kill -9 included.
// Times are kept as wall-clock milliseconds (system_clock): steady_clock restarts with the machine.
// The caller gives the offset (wall - steady) to convert with.
// Thread-safety: none; the substation's thread owns it.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "session.h"
#include "station.h"

namespace grid::substation {

// Why a state file cannot be used, with the message an operator acts on.
class StateFileError : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

// One step's changes, written in one transaction.
struct StateChange {
  std::vector<const Session*> written;      // running sessions, new or changed, written whole
  std::vector<std::string> removed;         // running sessions gone without an end (cancelled)
  std::vector<const EndedSession*> ended;   // sessions that ended, remembered for queries
  std::optional<std::pair<std::string, std::string>> remembered;  // request id -> session id
  std::optional<std::string> forgotten;     // a request id decided afresh
  std::optional<std::uint64_t> next_session;
  std::optional<OperatorLimit> limit;
  std::optional<std::optional<power::Watts>> feeder_fallback_w;  // when it changed: the new one (or none)

  bool empty() const {
    return written.empty() && removed.empty() && ended.empty() && !remembered && !forgotten && !next_session &&
           !limit && !feeder_fallback_w;
  }
};

struct StateStoreOptions {
  std::string path;
  std::string substation_id;  // the file must have been written by this substation (or be new)
  std::size_t remembered_requests = 20'000;  // rows kept, oldest dropped: as the station's memories
  std::size_t remembered_sessions = 20'000;
  // Called inside each transaction after its writes, just before COMMIT: tests die there.
  std::function<void()> before_commit;
  // Called after each commit with how long the transaction took, in seconds: the node's metrics.
  std::function<void(double)> committed;
};

class StateStore {
public:
  static constexpr std::int32_t application_id = 0x45564C42;  // "EVLB": a grid substation's state file
  static constexpr std::int32_t schema_version = 1;

  // Opens or creates the file; throws StateFileError for every case above.
  explicit StateStore(StateStoreOptions options);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  // The whole state kept (an empty state for a new file). `wall_offset`: wall - steady, now.
  StationState load(Duration wall_offset);
  // Writes one step's changes in one transaction (nothing for an empty change). Throws
  // sqlite::Error when the disk refuses: the step must then not be acknowledged.
  void commit(const StateChange& change, Duration wall_offset);

  const std::string& path() const { return options_.path; }

private:
  struct Impl;
  StateStoreOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace grid::substation
