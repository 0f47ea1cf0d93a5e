#pragma once
// A thin RAII layer over SQLite's C API, only what the state store needs: a connection, prepared
// statements with bind/step/column, and a transaction that rolls back unless committed. Every
// failure is a sqlite::Error carrying SQLite's result code and message, so the store can say in
// the grid's words what went wrong (not a database, damaged, busy).
// Thread-safety: none; one thread owns a connection and its statements.

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace grid::sqlite {

class Error : public std::runtime_error {
public:
  Error(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }  // the primary result code (SQLITE_NOTADB, SQLITE_CORRUPT, ...)

private:
  int code_;
};

class Database {
public:
  // Opens (creating when missing) the file read-write. Throws Error.
  explicit Database(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs statements that return nothing (or whose rows are not wanted).
  void execute(const char* sql);
  sqlite3* handle() const { return db_; }

private:
  sqlite3* db_ = nullptr;
};

class Statement {
public:
  Statement(Database& db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are numbered from 1, as in SQLite.
  Statement& bind(int at, std::int64_t value);
  Statement& bind(int at, double value);
  Statement& bind(int at, std::string_view value);
  Statement& bind(int at, std::nullopt_t);
  template <class T>
  Statement& bind(int at, const std::optional<T>& value) {
    return value ? bind(at, *value) : bind(at, std::nullopt);
  }
  // One step: true when a row is ready to read, false when done. Resets itself after done.
  bool step();
  // Runs to the end, then resets and clears the bindings for the next use.
  void run();
  void reset();

  std::int64_t integer(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  bool null(int column) const;

private:
  Database& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() ran.
class Transaction {
public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

private:
  Database& db_;
  bool done_ = false;
};

}  // namespace grid::sqlite
