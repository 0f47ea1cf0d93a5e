// The state file: every field of a session, the memories, the counter and the limit survive a
// write and a read; and every file that is not this substation's own is refused with a message
// that says what it is.
#include <doctest/doctest.h>

#include <sqlite3.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "state_fixture.h"

using namespace grid;
using namespace std::chrono_literals;
using grid::substation::EndedSession;
using grid::substation::Session;
using grid::substation::StateChange;
using grid::substation::StateFileError;
using grid::substation::StateStore;
using grid::test::store_options;
using grid::test::TempDirectory;
using grid::test::test_wall_offset;

namespace {

// Milliseconds are what the file keeps: test times are whole milliseconds.
TimePoint at(std::int64_t ms) { return TimePoint{} + std::chrono::milliseconds(ms); }

Session sample(std::string id, std::uint64_t arrival) {
  Session s;
  s.session_id = std::move(id);
  s.request_id = "req-" + s.session_id;
  s.arrival = arrival;
  s.min_w = 1'400 + static_cast<power::Watts>(arrival);
  s.max_w = 11'000 + static_cast<power::Watts>(arrival);
  s.power_w = 7'250;
  s.energy_kwh = 42.5;
  s.delivered_kwh = 3.125;
  s.settled_at = at(3'600'000 + 17);
  s.departs_at = at(7'200'000 + 3);
  s.departs_in_s = 1800.5;
  s.priority = 2;
  s.switched_at = at(3'500'000 + 1);
  s.allocated = true;
  return s;
}

void check_same(const Session& got, const Session& want, Duration shift = {}) {
  CAPTURE(want.session_id);
  CHECK(got.session_id == want.session_id);
  CHECK(got.request_id == want.request_id);
  CHECK(got.arrival == want.arrival);
  CHECK(got.min_w == want.min_w);
  CHECK(got.max_w == want.max_w);
  CHECK(got.power_w == want.power_w);
  CHECK(got.energy_kwh == want.energy_kwh);
  CHECK(got.delivered_kwh == want.delivered_kwh);
  CHECK(got.settled_at == want.settled_at + shift);
  CHECK(got.departs_at.has_value() == want.departs_at.has_value());
  if (got.departs_at && want.departs_at) CHECK(*got.departs_at == *want.departs_at + shift);
  CHECK(got.departs_in_s == want.departs_in_s);
  CHECK(got.priority == want.priority);
  CHECK(got.switched_at == want.switched_at + shift);
  CHECK(got.allocated == want.allocated);
}

// Runs SQL on a file with SQLite itself, as another program would.
void sql(const std::string& path, const char* statements) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* error = nullptr;
  const int code = sqlite3_exec(db, statements, nullptr, nullptr, &error);
  const std::string message = error != nullptr ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE_MESSAGE(code == SQLITE_OK, message);
}

std::string refusal(const std::string& path, const std::string& id = "north") {
  try {
    StateStore store(store_options(path, id));
  } catch (const StateFileError& error) {
    return error.what();
  }
  return "";
}

// A store with a few hundred sessions written, so the file spans many pages.
void fill(const std::string& path) {
  StateStore store(store_options(path));
  std::vector<Session> sessions;
  for (std::uint64_t i = 1; i <= 400; ++i) sessions.push_back(sample("north.s-" + std::to_string(i), i));
  StateChange change;
  for (const auto& s : sessions) change.written.push_back(&s);
  store.commit(change, test_wall_offset);
}

}  // namespace

TEST_CASE("the state file round-trips every session field, both memories in age order, the counter, the limit and the feeder fallback") {
  TempDirectory dir;
  const std::string path = dir / "north.db";
  const Session running = sample("north.a-1", 1);
  Session paused = sample("north.a-2", 2);
  paused.power_w = 0;
  paused.departs_at.reset();
  paused.departs_in_s = 0;
  paused.allocated = false;
  paused.priority = -1;
  const EndedSession completed{sample("north.a-3", 3), proto::SessionStatus::completed};
  const EndedSession departed{sample("north.a-4", 4), proto::SessionStatus::departed};
  const EndedSession stopped{sample("north.a-5", 5), proto::SessionStatus::stopped};
  {
    StateStore store(store_options(path));
    StateChange first;
    first.written = {&running, &paused};
    first.remembered.emplace("req-b", "north.a-2");
    first.next_session = 6;
    first.limit = substation::OperatorLimit{.limit_w = 25'000, .until = at(9'000'000)};
    first.feeder_fallback_w = power::Watts{4'000};
    store.commit(first, test_wall_offset);
    StateChange second;
    second.remembered.emplace("req-a", "north.a-1");
    second.ended = {&completed, &departed};
    store.commit(second, test_wall_offset);
    StateChange third;
    third.ended = {&stopped};
    third.remembered.emplace("req-c", "north.a-9");
    store.commit(third, test_wall_offset);
    StateChange fourth;
    fourth.forgotten = "req-c";  // a cancel: decided afresh
    store.commit(fourth, test_wall_offset);
  }
  StateStore store(store_options(path));
  // Read back by a process whose steady clock started 5 s later: every time shifts by that.
  const Duration later = 5s;
  const auto state = store.load(test_wall_offset - later);
  CHECK(state.next_session == 6);
  REQUIRE(state.sessions.size() == 2);
  check_same(state.sessions[0], running, later);
  check_same(state.sessions[1], paused, later);
  const std::vector<std::pair<std::string, std::string>> requests{{"req-b", "north.a-2"}, {"req-a", "north.a-1"}};
  CHECK(state.requests == requests);
  REQUIRE(state.ended.size() == 3);
  check_same(state.ended[0].session, completed.session, later);
  CHECK(state.ended[0].status == proto::SessionStatus::completed);
  CHECK(state.ended[1].status == proto::SessionStatus::departed);
  CHECK(state.ended[2].status == proto::SessionStatus::stopped);
  CHECK(state.limit.limit_w == 25'000);
  REQUIRE(state.limit.until.has_value());
  CHECK(*state.limit.until == at(9'000'000) + later);
  CHECK(state.feeder_fallback_w == 4'000);
}

TEST_CASE("the state file keeps only as many requests and ended sessions as the memories hold, the oldest dropped") {
  TempDirectory dir;
  const std::string path = dir / "north.db";
  auto options = store_options(path);
  options.remembered_requests = 3;
  options.remembered_sessions = 2;
  {
    StateStore store(options);
    for (int i = 0; i < 6; ++i) {
      const EndedSession ended{sample("north.e-" + std::to_string(i), static_cast<std::uint64_t>(i)),
                               proto::SessionStatus::completed};
      StateChange change;
      change.remembered.emplace("r" + std::to_string(i), ended.session.session_id);
      change.ended = {&ended};
      store.commit(change, test_wall_offset);
    }
  }
  StateStore store(options);
  const auto state = store.load(test_wall_offset);
  REQUIRE(state.requests.size() == 3);
  CHECK(state.requests.front().first == "r3");
  REQUIRE(state.ended.size() == 2);
  CHECK(state.ended.front().session.session_id == "north.e-4");
}

TEST_CASE("a file that is not SQLite is refused, never started over") {
  TempDirectory dir;
  const std::string path = dir / "notes.txt";
  {
    std::ofstream file(path);
    for (int i = 0; i < 200; ++i) file << "these are the operator's notes, not a database\n";
  }
  const auto size = std::filesystem::file_size(path);
  CHECK(refusal(path).find("is not an SQLite database") != std::string::npos);
  CHECK(std::filesystem::file_size(path) == size);
}

TEST_CASE("an SQLite file of another application is refused and left alone") {
  TempDirectory dir;
  const std::string path = dir / "other.db";
  sql(path, "CREATE TABLE contacts(name TEXT)");
  CHECK(refusal(path).find("another application") != std::string::npos);
  sql(path, "PRAGMA application_id = 1234");
  CHECK(refusal(path).find("another application") != std::string::npos);
  sql(path, "SELECT count(*) FROM contacts");  // still a plain rollback-journal file it can open
}

TEST_CASE("a state file of a newer schema is refused with the version it has") {
  TempDirectory dir;
  const std::string path = dir / "north.db";
  { StateStore store(store_options(path)); }
  sql(path, "PRAGMA user_version = 2");
  const auto message = refusal(path);
  CHECK(message.find("schema version 2") != std::string::npos);
  CHECK(message.find("newer") != std::string::npos);
}

TEST_CASE("a damaged state file is refused at open: bytes overwritten in its pages") {
  TempDirectory dir;
  const std::string path = dir / "north.db";
  fill(path);
  const auto size = std::filesystem::file_size(path);
  REQUIRE(size > 8 * 4096);
  {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    const std::string garbage(3 * 4096, '\x5a');
    file.seekp(static_cast<std::streamoff>(size / 2));
    file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  CHECK(refusal(path).find("damaged") != std::string::npos);
}

TEST_CASE("a truncated state file is refused at open") {
  TempDirectory dir;
  const std::string path = dir / "north.db";
  fill(path);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  CHECK(refusal(path).find("damaged") != std::string::npos);
}

TEST_CASE("a state file held by a running substation is refused, and free again once that one is gone") {
  TempDirectory dir;
  const std::string path = dir / "north.db";
  {
    StateStore holder(store_options(path));
    const auto message = refusal(path);
    CHECK(message.find("in use by another running grid-substation") != std::string::npos);
    CHECK(message.find("pid " + std::to_string(::getpid())) != std::string::npos);
  }
  CHECK(refusal(path).empty());
}

TEST_CASE("a state file written by another substation id is refused") {
  TempDirectory dir;
  const std::string path = dir / "north.db";
  { StateStore store(store_options(path, "north")); }
  const auto message = refusal(path, "south");
  CHECK(message.find("belongs to substation 'north', not 'south'") != std::string::npos);
}

TEST_CASE("a new state file is in WAL mode with our application id and schema version") {
  TempDirectory dir;
  const std::string path = dir / "north.db";
  { StateStore store(store_options(path)); }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  const auto integer = [db](const char* query) {
    sqlite3_stmt* statement = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, query, -1, &statement, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(statement) == SQLITE_ROW);
    const std::string value = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    sqlite3_finalize(statement);
    return value;
  };
  CHECK(integer("PRAGMA journal_mode") == "wal");
  CHECK(integer("PRAGMA application_id") == std::to_string(StateStore::application_id));
  CHECK(integer("PRAGMA user_version") == std::to_string(StateStore::schema_version));
  sqlite3_close(db);
}
