#include "tests/support/test_database.h"

#include <errmsg.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "catalog/mysql_handle.h"

namespace recsync::testing {

namespace {

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool IsConnectionLost(unsigned code) {
  return code == CR_SERVER_GONE_ERROR || code == CR_SERVER_LOST ||
         code == CR_SERVER_LOST_EXTENDED;
}

std::vector<int64_t> Ints(const std::vector<std::vector<std::optional<std::string>>>& rows) {
  std::vector<int64_t> out;
  for (const auto& r : rows) out.push_back(r[0] ? std::stoll(*r[0]) : 0);
  return out;
}

}  // namespace

std::string DefaultTestCharset() {
  const char* env = std::getenv("RECSYNC_TEST_CHARSET");
  return env != nullptr && *env != '\0' ? env : "utf8mb4";
}

bool DefaultCleanupIndexes() {
  const char* env = std::getenv("RECSYNC_TEST_CLEANUP_INDEXES");
  return env != nullptr && std::string(env) == "1";
}

TestDatabase::TestDatabase(TestDatabaseOptions options) : options_(std::move(options)) {
  socket_ = options_.socket;
  if (socket_.empty()) {
    const char* env = std::getenv("RECSYNC_TEST_MYSQL_SOCKET");
    if (env == nullptr || *env == '\0') {
      FAIL("RECSYNC_TEST_MYSQL_SOCKET is not set: run the tests through scripts/test.sh "
           "(or scripts/with-mariadb.sh ctest ...)");
    }
    socket_ = env;
  }
  static std::atomic<int> counter{0};
  name_ = "recsync_t_" + std::to_string(::getpid()) + "_" + std::to_string(++counter);
  Connect();
  Exec("DROP DATABASE IF EXISTS " + name_);
  Exec("CREATE DATABASE " + name_ + " CHARACTER SET " + options_.charset);
  Exec("USE " + name_);
  ExecFile(RECSYNC_SOURCE_DIR "/scripts/bluecherry-schema.sql");
  if (options_.filepath_index) ExecFile(RECSYNC_SOURCE_DIR "/scripts/bluecherry-filepath-index.sql");
  if (options_.cleanup_indexes) {
    ExecFile(RECSYNC_SOURCE_DIR "/scripts/bluecherry-3.1.13-indexes.sql");
  }
}

TestDatabase::~TestDatabase() {
  // Never throw from here: the test may be failing already, or the server
  // may be down on purpose.
  try {
    Run("DROP DATABASE IF EXISTS " + name_, false);
  } catch (const std::exception&) {
  }
  if (mysql_) mysql_close(mysql_);
}

DbConfig TestDatabase::config() const {
  DbConfig c;
  c.socket = socket_;
  c.user = "root";
  c.dbname = name_;
  return c;
}

void TestDatabase::Connect() {
  if (mysql_) {
    mysql_close(mysql_);
    mysql_ = nullptr;
  }
  static std::once_flag library_once;
  std::call_once(library_once, [] { mysql_library_init(0, nullptr, nullptr); });
  mysql::MysqlPtr m(mysql_init(nullptr));
  if (!m) throw std::runtime_error("mysql_init failed");
  const unsigned timeout = 30;
  mysql_options(m.get(), MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_options(m.get(), MYSQL_SET_CHARSET_NAME, "binary");
  if (mysql_real_connect(m.get(), nullptr, "root", "", nullptr, 0, socket_.c_str(),
                         CLIENT_MULTI_STATEMENTS) == nullptr) {
    throw std::runtime_error("test database: cannot connect as root through " + socket_ + ": " +
                             mysql_error(m.get()));
  }
  mysql_ = m.release();
  // After a reconnect the database exists already; before the first CREATE
  // it does not, and USE would fail.
  if (!name_.empty()) {
    std::string use = "USE " + name_;
    if (mysql_real_query(mysql_, use.data(), use.size()) != 0 &&
        mysql_errno(mysql_) != 1049 /* ER_BAD_DB_ERROR */) {
      throw std::runtime_error(std::string("test database: ") + mysql_error(mysql_));
    }
  }
}

std::vector<std::vector<std::optional<std::string>>> TestDatabase::Run(const std::string& sql,
                                                                       bool collect) {
  for (int attempt = 0;; ++attempt) {
    if (mysql_ == nullptr) Connect();
    std::vector<std::vector<std::optional<std::string>>> rows;
    int status = mysql_real_query(mysql_, sql.data(), sql.size());
    while (status == 0) {
      mysql::ResultPtr result(mysql_store_result(mysql_));
      if (result) {
        const unsigned n = mysql_num_fields(result.get());
        while (MYSQL_ROW row = mysql_fetch_row(result.get())) {
          const unsigned long* lengths = mysql_fetch_lengths(result.get());
          auto& out = rows.emplace_back(n);
          for (unsigned i = 0; i < n; ++i) {
            if (row[i]) out[i].emplace(row[i], lengths[i]);
          }
        }
      } else if (mysql_field_count(mysql_) != 0) {
        break;
      }
      status = mysql_next_result(mysql_);  // 0: more results, -1: done, >0: error
      if (status == -1) return collect ? rows : decltype(rows){};
    }
    const unsigned code = mysql_errno(mysql_);
    if (attempt == 0 && IsConnectionLost(code)) {
      mysql_close(mysql_);
      mysql_ = nullptr;
      continue;
    }
    std::string text = sql.size() > 200 ? sql.substr(0, 200) + "..." : sql;
    throw std::runtime_error("test database " + name_ + ": " + mysql_error(mysql_) + " (error " +
                             std::to_string(code) + ") in: " + mysql::OneLine(text));
  }
}

void TestDatabase::Exec(const std::string& sql) { Run(sql, false); }

std::vector<std::vector<std::optional<std::string>>> TestDatabase::Query(const std::string& sql) {
  return Run(sql, true);
}

int64_t TestDatabase::QueryInt(const std::string& sql) {
  auto rows = Query(sql);
  if (rows.empty() || rows[0].empty() || !rows[0][0]) return 0;
  return std::stoll(*rows[0][0]);
}

void TestDatabase::ExecFile(const std::string& path) { Exec(ReadWholeFile(path)); }

std::string TestDatabase::Hex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out = "X'";
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out + "'";
}

int64_t TestDatabase::InsertMedia(const std::string& path, int64_t start, int device_id) {
  return InsertMediaBulk({path}, start, device_id).at(0);
}

std::vector<int64_t> TestDatabase::InsertMediaBulk(const std::vector<std::string>& paths,
                                                   int64_t start, int device_id) {
  std::vector<int64_t> ids;
  ids.reserve(paths.size());
  constexpr size_t kChunk = 1000;  // keeps each statement well under max_allowed_packet
  for (size_t begin = 0; begin < paths.size(); begin += kChunk) {
    const size_t end = std::min(paths.size(), begin + kChunk);
    std::string sql = "INSERT INTO Media (start, end, size, device_id, filepath) VALUES ";
    for (size_t i = begin; i < end; ++i) {
      if (i != begin) sql += ',';
      // Appended piece by piece: `"(" + std::string` trips GCC 12's bogus
      // -Wrestrict in release builds.
      sql.append("(").append(std::to_string(start)).append(",");
      sql.append(std::to_string(start + 60)).append(",1048576,");
      sql.append(std::to_string(device_id)).append(",").append(Hex(paths[i])).append(")");
    }
    // One statement and one connection: LAST_INSERT_ID() is the first row's
    // id, and InnoDB gives a multi-row INSERT consecutive ids.
    sql += "; SELECT LAST_INSERT_ID()";
    const int64_t first = Ints(Query(sql)).at(0);
    const int64_t last = first + static_cast<int64_t>(end - begin) - 1;
    for (int64_t id = first; id <= last; ++id) ids.push_back(id);
    for (int e = 0; e < options_.events_per_media; ++e) {
      Exec("INSERT INTO EventsCam (time, level_id, device_id, type_id, length, media_id)"
           " SELECT start + " + std::to_string(e) + ", 'info', device_id, 'continuous', 60, id"
           " FROM Media WHERE id BETWEEN " + std::to_string(first) + " AND " + std::to_string(last));
    }
  }
  return ids;
}

void TestDatabase::InsertStorage(int priority, const std::string& path) {
  Exec("INSERT INTO Storage (priority, path, max_thresh, min_thresh) VALUES (" +
       std::to_string(priority) + ", " + Hex(path) + ", 95.00, 90.00)");
}

bool TestDatabase::MediaArchived(int64_t id) {
  return QueryInt("SELECT archive FROM Media WHERE id = " + std::to_string(id)) != 0;
}

std::vector<int64_t> TestDatabase::ArchivedMediaIds() {
  return Ints(Query("SELECT id FROM Media WHERE archive <> 0 ORDER BY id"));
}

std::vector<int64_t> TestDatabase::MediaIdsWithArchivedEvents() {
  return Ints(Query("SELECT DISTINCT media_id FROM EventsCam WHERE archive <> 0 ORDER BY media_id"));
}

bool TestDatabase::EventsArchivedFor(int64_t media_id) {
  auto rows = Query("SELECT COUNT(*), COALESCE(SUM(archive = 0), 0) FROM EventsCam WHERE media_id = " +
                    std::to_string(media_id));
  return std::stoll(*rows.at(0).at(0)) > 0 && std::stoll(*rows.at(0).at(1)) == 0;
}

std::string TestDatabase::MediaPath(int64_t id) {
  auto rows = Query("SELECT filepath FROM Media WHERE id = " + std::to_string(id));
  if (rows.empty() || !rows[0][0]) throw std::runtime_error("no Media row " + std::to_string(id));
  return *rows[0][0];
}

}  // namespace recsync::testing
