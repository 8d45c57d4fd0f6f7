// The journal's structure check at open (see CheckStructure in internal.h).
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <map>
#include <string>
#include <vector>

#include "journal/internal.h"
#include "journal/journal.h"

namespace recsync::journal_internal {
namespace {

// Tables with their columns in order, and indexes with their table, the
// columns they sort by and their WHERE clause (partial indexes).
struct Shape {
  struct Index {
    std::string table;
    std::vector<std::string> columns;
    std::string where;
  };
  std::map<std::string, std::vector<std::string>> tables;
  std::map<std::string, Index> indexes;
};

std::string Quoted(const std::string& name) { return "\"" + name + "\""; }

std::vector<std::string> Names(SQLite::Database& db, const std::string& pragma_sql,
                               const std::string& object) {
  SQLite::Statement st(db, pragma_sql);
  st.bind(1, object);
  std::vector<std::string> names;
  while (st.executeStep()) names.push_back(st.getColumn(0).getString());
  return names;
}

Shape ReadShape(SQLite::Database& db) {
  Shape shape;
  SQLite::Statement objects(db,
                            "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_master "
                            "WHERE name NOT LIKE 'sqlite_%'");
  while (objects.executeStep()) {
    const std::string type = objects.getColumn(0).getString();
    const std::string name = objects.getColumn(1).getString();
    if (type == "table") {
      shape.tables[name] = Names(db, "SELECT name FROM pragma_table_info(?) ORDER BY cid", name);
    } else if (type == "index") {
      const std::string sql = objects.getColumn(3).getString();
      const size_t where = sql.rfind(" WHERE ");
      shape.indexes[name] = {objects.getColumn(2).getString(),
                             Names(db, "SELECT name FROM pragma_index_info(?) ORDER BY seqno", name),
                             where == std::string::npos ? "" : sql.substr(where)};
    }
  }
  return shape;
}

// What a journal of the current version holds: the migrations run on an
// empty in-memory database, once per process.
const Shape& ExpectedShape() {
  static const Shape shape = [] {
    SQLite::Database memory(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    Status migrated = Migrate(memory, ":memory:");
    if (!migrated.ok()) throw std::runtime_error(migrated.message());
    return ReadShape(memory);
  }();
  return shape;
}

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// The first difference between the file's schema and the expected one, or "".
std::string SchemaDifference(const Shape& file, const Shape& expected) {
  for (const auto& [table, columns] : expected.tables) {
    auto found = file.tables.find(table);
    if (found == file.tables.end()) return "table " + table + " is missing";
    if (found->second != columns) {
      return "table " + table + " has columns (" + Joined(found->second) + "), expected (" +
             Joined(columns) + ")";
    }
  }
  for (const auto& [index, want] : expected.indexes) {
    auto found = file.indexes.find(index);
    if (found == file.indexes.end() || found->second.table != want.table ||
        found->second.columns != want.columns) {
      return "index " + index + " is missing or different";
    }
  }
  return "";
}

// Reads the first and the last entry of every table (in primary key order)
// and of every index: a handful of pages each, from the root down both
// edges, which is where every later query and insert starts.
void ProbeEdges(SQLite::Database& db, const Shape& shape) {
  for (const auto& [table, columns] : shape.tables) {
    std::vector<std::string> key =
        Names(db, "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", table);
    for (const char* direction : {" ASC", " DESC"}) {
      std::string by;
      for (const auto& k : key.empty() ? std::vector<std::string>{"rowid"} : key) {
        by += (by.empty() ? "" : ", ") + Quoted(k) + direction;
      }
      SQLite::Statement st(db, "SELECT * FROM " + Quoted(table) + " ORDER BY " + by + " LIMIT 1");
      st.executeStep();
    }
  }
  for (const auto& [index, info] : shape.indexes) {
    for (const char* direction : {" ASC", " DESC"}) {
      std::string by;
      for (const auto& c : info.columns) by += (by.empty() ? "" : ", ") + Quoted(c) + direction;
      SQLite::Statement st(db, "SELECT 1 FROM " + Quoted(info.table) + " INDEXED BY " +
                                   Quoted(index) + info.where + " ORDER BY " + by + " LIMIT 1");
      st.executeStep();
    }
  }
}

}  // namespace

Status CheckStructure(SQLite::Database& db, const std::string& path) {
  return Guarded(path, [&]() -> Status {
    const Shape file = ReadShape(db);  // parsing the schema reads every schema page
    const std::string difference = SchemaDifference(file, ExpectedShape());
    if (!difference.empty()) {
      return Status(Code::kCorrupt, "journal " + path + ": schema version " +
                                        std::to_string(kJournalSchemaVersion) + " but " +
                                        difference + ": the file is damaged; " +
                                        MoveAsideFix(path));
    }
    ProbeEdges(db, ExpectedShape());
    return Status::Ok();
  });
}

}  // namespace recsync::journal_internal
