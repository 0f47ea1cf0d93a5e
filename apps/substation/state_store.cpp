#include "state_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "sqlite.h"

namespace grid::substation {
namespace {

using namespace std::chrono;

// Rounded so that a restart never counts more energy than ran: a settlement read back is never
// earlier than the one written (up), a departure never later (down).
std::int64_t wall_ms(TimePoint t, Duration offset) { return ceil<milliseconds>(t.time_since_epoch() + offset).count(); }
std::int64_t wall_ms_down(TimePoint t, Duration offset) {
  return floor<milliseconds>(t.time_since_epoch() + offset).count();
}
TimePoint steady(std::int64_t ms, Duration offset) { return TimePoint{duration_cast<Duration>(milliseconds(ms)) - offset}; }

// The columns of a session, in the order bind_session and read_session use.
constexpr const char* session_columns =
    "session_id, request_id, arrival, min_w, max_w, power_w, energy_kwh, delivered_kwh, settled_at_ms, "
    "departs_at_ms, departs_in_s, priority, switched_at_ms, allocated";
constexpr int session_column_count = 14;

std::string session_table(const char* name, const char* extra) {
  return fmt::format(
      "CREATE TABLE {}({}session_id TEXT NOT NULL UNIQUE, request_id TEXT NOT NULL, arrival INTEGER NOT NULL, "
      "min_w INTEGER NOT NULL, max_w INTEGER NOT NULL, power_w INTEGER NOT NULL, energy_kwh REAL NOT NULL, "
      "delivered_kwh REAL NOT NULL, settled_at_ms INTEGER NOT NULL, departs_at_ms INTEGER, departs_in_s REAL NOT NULL, "
      "priority INTEGER NOT NULL, switched_at_ms INTEGER NOT NULL, allocated INTEGER NOT NULL);",
      name, extra);
}

void bind_session(sqlite::Statement& statement, int first, const Session& s, Duration offset) {
  statement.bind(first, s.session_id)
      .bind(first + 1, s.request_id)
      .bind(first + 2, static_cast<std::int64_t>(s.arrival))
      .bind(first + 3, s.min_w)
      .bind(first + 4, s.max_w)
      .bind(first + 5, s.power_w)
      .bind(first + 6, s.energy_kwh)
      .bind(first + 7, s.delivered_kwh)
      .bind(first + 8, wall_ms(s.settled_at, offset))
      .bind(first + 9, s.departs_at ? std::optional(wall_ms_down(*s.departs_at, offset)) : std::nullopt)
      .bind(first + 10, s.departs_in_s)
      .bind(first + 11, static_cast<std::int64_t>(s.priority))
      .bind(first + 12, wall_ms(s.switched_at, offset))
      .bind(first + 13, static_cast<std::int64_t>(s.allocated));
}

Session read_session(const sqlite::Statement& row, int first, Duration offset) {
  Session s;
  s.session_id = row.text(first);
  s.request_id = row.text(first + 1);
  s.arrival = static_cast<std::uint64_t>(row.integer(first + 2));
  s.min_w = row.integer(first + 3);
  s.max_w = row.integer(first + 4);
  s.power_w = row.integer(first + 5);
  s.energy_kwh = row.real(first + 6);
  s.delivered_kwh = row.real(first + 7);
  s.settled_at = steady(row.integer(first + 8), offset);
  if (!row.null(first + 9)) s.departs_at = steady(row.integer(first + 9), offset);
  s.departs_in_s = row.real(first + 10);
  s.priority = static_cast<int>(row.integer(first + 11));
  s.switched_at = steady(row.integer(first + 12), offset);
  s.allocated = row.integer(first + 13) != 0;
  return s;
}

std::string placeholders(int count) {
  std::string list = "?";
  for (int i = 1; i < count; ++i) list += ", ?";
  return list;
}

// The lock that keeps a second substation off the file, held while the descriptor is open.
int take_lock(const std::string& path) {
  const std::string lock_path = path + ".lock";
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw StateFileError(fmt::format("state file {}: cannot open its lock {}: {}", path, lock_path, std::strerror(errno)));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    char holder[32] = {};
    const auto got = ::pread(fd, holder, sizeof holder - 1, 0);
    ::close(fd);
    throw StateFileError(fmt::format(
        "state file {} is in use by another running grid-substation (pid {}, holding {}): two substations on one "
        "state file would both admit on top of the same sessions; stop that one, or give this one its own --state",
        path, got > 0 ? std::string(holder, static_cast<std::size_t>(got)) : std::string("unknown"), lock_path));
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The pid is only for the message above; the lock holds without it.
  }
  return fd;
}

std::int64_t pragma(sqlite::Database& db, const char* sql) {
  sqlite::Statement statement(db, sql);
  const std::int64_t value = statement.step() ? statement.integer(0) : 0;
  statement.reset();
  return value;
}

}  // namespace

struct StateStore::Impl {
  explicit Impl(const StateStoreOptions& options);
  ~Impl() { ::close(lock_fd); }

  int lock_fd;
  sqlite::Database db;
  bool fresh = false;
  std::optional<sqlite::Statement> upsert_session, delete_session, insert_ended, trim_ended, insert_request,
      trim_requests, delete_request, update_counter, update_limit, update_fallback;

  void check(const StateStoreOptions& options);
  void create(const StateStoreOptions& options);
  void prepare();
};

StateStore::Impl::Impl(const StateStoreOptions& options) : lock_fd(take_lock(options.path)), db([&] {
  try {
    return sqlite::Database(options.path);
  } catch (const sqlite::Error& error) {
    ::close(lock_fd);
    throw StateFileError(fmt::format("state file {}: {}", options.path, error.what()));
  }
}()) {
  try {
    check(options);
    prepare();
  } catch (...) {
    ::close(lock_fd);
    throw;
  }
}

void StateStore::Impl::check(const StateStoreOptions& options) {
  const std::string& path = options.path;
  std::int64_t app = 0, version = 0, tables = 0;
  try {
    app = pragma(db, "PRAGMA application_id");
    version = pragma(db, "PRAGMA user_version");
    tables = pragma(db, "SELECT count(*) FROM sqlite_master");
  } catch (const sqlite::Error& error) {
    if (error.code() == SQLITE_NOTADB) {
      throw StateFileError(fmt::format("state file {} is not an SQLite database (or its header is destroyed): give "
                                       "--state a path of its own, or restore the file from a backup",
                                       path));
    }
    throw StateFileError(fmt::format("state file {} cannot be read, it is damaged ({}): restore it from a backup, or "
                                     "move it aside to start empty",
                                     path, error.what()));
  }
  fresh = app == 0 && version == 0 && tables == 0;
  if (!fresh && app != application_id) {
    throw StateFileError(fmt::format("state file {} is an SQLite database of another application (application_id "
                                     "{:#x}, ours is {:#x}): refusing to write into it; give --state a path of its own",
                                     path, app, application_id));
  }
  if (!fresh && version > schema_version) {
    throw StateFileError(fmt::format("state file {} has schema version {}, newer than this grid-substation knows "
                                     "({}): run the newer grid-substation that wrote it",
                                     path, version, schema_version));
  }
  if (!fresh && version < 1) {
    throw StateFileError(fmt::format("state file {} is ours but has no schema version: it is damaged; restore it "
                                     "from a backup, or move it aside to start empty",
                                     path));
  }
  std::string verdict;
  try {
    sqlite::Statement quick(db, "PRAGMA quick_check(1)");
    verdict = quick.step() ? quick.text(0) : "no answer";
    quick.reset();
  } catch (const sqlite::Error& error) {
    verdict = error.what();
  }
  if (verdict != "ok") {
    throw StateFileError(fmt::format("state file {} is damaged (quick_check: {}): restore it from a backup, or move "
                                     "it aside to start empty",
                                     path, verdict));
  }
  // WAL: a commit appends to the log and does not wait for readers (a backup); NORMAL: it does not
  // wait for the disk either, only a checkpoint does (docs/operations.md, "Durable state").
  db.execute("PRAGMA journal_mode=WAL");
  db.execute("PRAGMA synchronous=NORMAL");
  // A backup taken with sqlite3 .backup holds the file briefly: wait for it rather than fail.
  sqlite3_busy_timeout(db.handle(), 2000);
  if (fresh) {
    create(options);
    return;
  }
  sqlite::Statement owner(db, "SELECT substation_id FROM station");
  const std::string written_by = owner.step() ? owner.text(0) : std::string();
  owner.reset();
  if (written_by != options.substation_id) {
    throw StateFileError(fmt::format("state file {} belongs to substation '{}', not '{}': each substation keeps its "
                                     "own sessions; give --id '{}' its own --state",
                                     path, written_by, options.substation_id, options.substation_id));
  }
}

void StateStore::Impl::create(const StateStoreOptions& options) {
  sqlite::Transaction transaction(db);
  db.execute("CREATE TABLE station(one INTEGER PRIMARY KEY CHECK (one = 1), substation_id TEXT NOT NULL, "
             "next_session INTEGER NOT NULL, limit_w INTEGER, limit_until_ms INTEGER, feeder_fallback_w INTEGER)");
  db.execute(session_table("sessions", "").c_str());
  db.execute(session_table("ended", "age INTEGER PRIMARY KEY AUTOINCREMENT, status INTEGER NOT NULL, ").c_str());
  db.execute("CREATE TABLE requests(age INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT NOT NULL UNIQUE, "
             "session_id TEXT NOT NULL)");
  sqlite::Statement station(db, "INSERT INTO station(one, substation_id, next_session) VALUES (1, ?, 1)");
  station.bind(1, options.substation_id).run();
  db.execute(fmt::format("PRAGMA application_id={}", application_id).c_str());
  db.execute(fmt::format("PRAGMA user_version={}", schema_version).c_str());
  transaction.commit();
}

void StateStore::Impl::prepare() {
  std::string updates;
  for (const char* column : {"request_id", "arrival", "min_w", "max_w", "power_w", "energy_kwh", "delivered_kwh",
                             "settled_at_ms", "departs_at_ms", "departs_in_s", "priority", "switched_at_ms", "allocated"}) {
    updates += fmt::format("{}{} = excluded.{}", updates.empty() ? "" : ", ", column, column);
  }
  upsert_session.emplace(db, fmt::format("INSERT INTO sessions({}) VALUES ({}) ON CONFLICT(session_id) DO UPDATE SET {}",
                                         session_columns, placeholders(session_column_count), updates));
  delete_session.emplace(db, "DELETE FROM sessions WHERE session_id = ?");
  insert_ended.emplace(db, fmt::format("INSERT OR REPLACE INTO ended(status, {}) VALUES (?, {})", session_columns,
                                       placeholders(session_column_count)));
  trim_ended.emplace(db, "DELETE FROM ended WHERE age <= (SELECT max(age) FROM ended) - ?");
  insert_request.emplace(db, "INSERT OR REPLACE INTO requests(request_id, session_id) VALUES (?, ?)");
  trim_requests.emplace(db, "DELETE FROM requests WHERE age <= (SELECT max(age) FROM requests) - ?");
  delete_request.emplace(db, "DELETE FROM requests WHERE request_id = ?");
  update_counter.emplace(db, "UPDATE station SET next_session = ?");
  update_limit.emplace(db, "UPDATE station SET limit_w = ?, limit_until_ms = ?");
  update_fallback.emplace(db, "UPDATE station SET feeder_fallback_w = ?");
}

StateStore::StateStore(StateStoreOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>(options_)) {}

StateStore::~StateStore() = default;

StationState StateStore::load(Duration wall_offset) {
  StationState state;
  auto& db = impl_->db;
  sqlite::Statement station(db, "SELECT next_session, limit_w, limit_until_ms, feeder_fallback_w FROM station");
  if (station.step()) {
    if (!station.null(3)) state.feeder_fallback_w = station.integer(3);
    state.next_session = static_cast<std::uint64_t>(station.integer(0));
    if (!station.null(1)) state.limit.limit_w = station.integer(1);
    if (!station.null(2)) state.limit.until = steady(station.integer(2), wall_offset);
    station.reset();
  }
  sqlite::Statement sessions(db, fmt::format("SELECT {} FROM sessions ORDER BY arrival", session_columns));
  while (sessions.step()) state.sessions.push_back(read_session(sessions, 0, wall_offset));
  sqlite::Statement requests(db, "SELECT request_id, session_id FROM requests ORDER BY age");
  while (requests.step()) state.requests.emplace_back(requests.text(0), requests.text(1));
  sqlite::Statement ended(db, fmt::format("SELECT status, {} FROM ended ORDER BY age", session_columns));
  while (ended.step()) {
    const auto status = ended.integer(0);
    if (status < static_cast<int>(proto::SessionStatus::completed) || status > static_cast<int>(proto::SessionStatus::stopped)) {
      throw StateFileError(fmt::format("state file {} is damaged: an ended session has status {}", options_.path, status));
    }
    state.ended.push_back({read_session(ended, 1, wall_offset), static_cast<proto::SessionStatus>(status)});
  }
  return state;
}

void StateStore::commit(const StateChange& change, Duration wall_offset) {
  if (change.empty()) return;
  const auto started = steady_clock::now();
  Impl& s = *impl_;
  sqlite::Transaction transaction(s.db);
  for (const Session* session : change.written) {
    bind_session(*s.upsert_session, 1, *session, wall_offset);
    s.upsert_session->run();
  }
  for (const auto& id : change.removed) s.delete_session->bind(1, id).run();
  for (const EndedSession* ended : change.ended) {
    s.delete_session->bind(1, ended->session.session_id).run();
    s.insert_ended->bind(1, static_cast<std::int64_t>(ended->status));
    bind_session(*s.insert_ended, 2, ended->session, wall_offset);
    s.insert_ended->run();
  }
  if (!change.ended.empty()) s.trim_ended->bind(1, static_cast<std::int64_t>(options_.remembered_sessions)).run();
  if (change.forgotten) s.delete_request->bind(1, *change.forgotten).run();
  if (change.remembered) {
    s.insert_request->bind(1, change.remembered->first).bind(2, change.remembered->second).run();
    s.trim_requests->bind(1, static_cast<std::int64_t>(options_.remembered_requests)).run();
  }
  if (change.next_session) s.update_counter->bind(1, static_cast<std::int64_t>(*change.next_session)).run();
  if (change.limit) {
    s.update_limit->bind(1, change.limit->limit_w)
        .bind(2, change.limit->until ? std::optional(wall_ms(*change.limit->until, wall_offset)) : std::nullopt)
        .run();
  }
  if (change.feeder_fallback_w) s.update_fallback->bind(1, *change.feeder_fallback_w).run();
  if (options_.before_commit) options_.before_commit();
  transaction.commit();
  if (options_.committed) options_.committed(duration<double>(steady_clock::now() - started).count());
}

}  // namespace grid::substation
