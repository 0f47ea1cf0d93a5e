#include "sqlite.h"

#include <sqlite3.h>

#include <fmt/format.h>

namespace grid::sqlite {
namespace {

[[noreturn]] void fail(sqlite3* db, int code, std::string_view doing) {
  const char* message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(code);
  throw Error(code & 0xff, fmt::format("{}: {}", doing, message));
}

}  // namespace

Database::Database(const std::string& path) {
  const int code = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (code != SQLITE_OK) {
    const std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(code);
    sqlite3_close(db_);
    throw Error(code & 0xff, fmt::format("cannot open {}: {}", path, message));
  }
  sqlite3_extended_result_codes(db_, 0);
}

Database::~Database() { sqlite3_close_v2(db_); }

void Database::execute(const char* sql) {
  if (const int code = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr); code != SQLITE_OK) fail(db_, code, sql);
}

Statement::Statement(Database& db, std::string_view sql) : db_(db) {
  const int code = sqlite3_prepare_v3(db.handle(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                      &stmt_, nullptr);
  if (code != SQLITE_OK) fail(db.handle(), code, sql);
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int at, std::int64_t value) {
  if (const int code = sqlite3_bind_int64(stmt_, at, value); code != SQLITE_OK) fail(db_.handle(), code, "bind");
  return *this;
}

Statement& Statement::bind(int at, double value) {
  if (const int code = sqlite3_bind_double(stmt_, at, value); code != SQLITE_OK) fail(db_.handle(), code, "bind");
  return *this;
}

Statement& Statement::bind(int at, std::string_view value) {
  const int code = sqlite3_bind_text(stmt_, at, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  if (code != SQLITE_OK) fail(db_.handle(), code, "bind");
  return *this;
}

Statement& Statement::bind(int at, std::nullopt_t) {
  if (const int code = sqlite3_bind_null(stmt_, at); code != SQLITE_OK) fail(db_.handle(), code, "bind");
  return *this;
}

bool Statement::step() {
  const int code = sqlite3_step(stmt_);
  if (code == SQLITE_ROW) return true;
  if (code == SQLITE_DONE) {
    sqlite3_reset(stmt_);
    return false;
  }
  sqlite3_reset(stmt_);
  fail(db_.handle(), code, sqlite3_sql(stmt_));
}

void Statement::run() {
  while (step()) {
  }
  sqlite3_clear_bindings(stmt_);
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::real(int column) const { return sqlite3_column_double(stmt_, column); }
bool Statement::null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

std::string Statement::text(int column) const {
  const auto* text = sqlite3_column_text(stmt_, column);
  return text == nullptr ? std::string() : std::string(reinterpret_cast<const char*>(text),
                                                       static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)));
}

Transaction::Transaction(Database& db) : db_(db) { db_.execute("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
  db_.execute("COMMIT");
  done_ = true;
}

}  // namespace grid::sqlite
