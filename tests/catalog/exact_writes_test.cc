// Catalog writes are exact or not made, whatever the server's sql_mode: a new
// path that Media.filepath cannot hold byte for byte (longer than the column,
// bytes its character set lacks) is refused with kRejected and the row keeps
// its old path; one it can hold is stored byte for byte. The servers here
// have the old non-strict default, under which a plain UPDATE truncates the
// path or turns the characters it cannot hold into '?'.
#include <mysql.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/mysql_handle.h"
#include "tests/catalog/catalog_test_util.h"
#include "tests/support/mariadb_server.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"
#include "tests/support/test_user.h"

namespace recsync::testing {
namespace {

const std::string kOld = "/r/2024/01/02/000001/10-00-00.mp4";
const std::string kEmoji = "\xf0\x9f\x8e\xa5";  // U+1F3A5, four bytes in UTF-8

TestDatabaseOptions On(const PrivateMariaDB& server, const std::string& charset) {
  TestDatabaseOptions options;
  options.socket = server.socket();
  options.charset = charset;
  return options;
}

// A path of exactly `chars` characters, each `ch` (one character's bytes).
std::string PathOf(size_t chars, const std::string& ch) {
  std::string path = "/r/";
  for (size_t i = 3; i < chars; ++i) path += ch;
  return path;
}

// New paths that `charset` cannot hold as sent, with why.
std::vector<std::pair<std::string, std::string>> Unstorable(const std::string& charset) {
  std::vector<std::pair<std::string, std::string>> out = {
      {PathOf(1025, "x"), "one character longer than varchar(1024)"}};
  if (charset == "utf8mb3") out.push_back({"/r/film " + kEmoji + ".mp4", "a 4-byte character"});
  if (charset != "latin1") out.push_back({"/r/caf\xe9.mp4", "invalid UTF-8"});
  return out;
}

// New paths at the column's limits that `charset` holds exactly.
std::vector<std::string> AtTheLimit(const std::string& charset) {
  if (charset == "latin1") return {PathOf(1024, "x"), PathOf(1024, "\xff")};
  if (charset == "utf8mb3") return {PathOf(1024, "x"), PathOf(1024, "\xe6\x97\xa5")};
  return {PathOf(1024, "x"), PathOf(1024, kEmoji)};
}

// Sets an environment variable for the scope, then puts back what was there.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// Re-points row `id` from kOld to `path` the way the test asks.
Status Repoint(Catalog& catalog, bool one_by_one, int64_t id, const std::string& path) {
  if (one_by_one) return catalog.UpdateFilepath(id, path).status();
  return catalog.RepathRows({{id, 1700000000, kOld}}, {path}).status();
}

}  // namespace

TEST_CASE("On a non-strict server an unstorable path is rejected and the row keeps its old path") {
  PrivateMariaDB server(PrivateMariaDBOptions{{"--sql-mode="}, ""});
  const std::string charset = GENERATE(values<std::string>({"latin1", "utf8mb3", "utf8mb4"}));
  const bool one_by_one = GENERATE(false, true);
  INFO("charset " << charset << (one_by_one ? ", UpdateFilepath" : ", RepathRows"));
  TestDatabase db(On(server, charset));
  REQUIRE(db.Query("SELECT @@GLOBAL.sql_mode").at(0).at(0).value() == "");
  auto catalog = MustConnect(db.config());
  for (const auto& [path, why] : Unstorable(charset)) {
    INFO(why);
    const int64_t id = db.InsertMedia(kOld);
    Status st = Repoint(*catalog, one_by_one, id, path);
    INFO(st.message());
    CHECK(st.code() == Code::kRejected);
    CHECK(st.message().rfind("database " + db.config().Describe() + ": ", 0) == 0);
    CHECK_THAT(st.message(), Catch::Contains("nothing was re-pointed: Media row " +
                                             std::to_string(id) + " cannot take the new path"));
    CHECK(st.message().find('\n') == std::string::npos);
    CHECK(db.MediaPath(id) == kOld);
  }
}

TEST_CASE("A rejected path fails the whole RepathRows call, leaving every row as it was") {
  PrivateMariaDB server(PrivateMariaDBOptions{{"--sql-mode="}, ""});
  TestDatabase db(On(server, "utf8mb3"));
  auto catalog = MustConnect(db.config());
  const std::vector<int64_t> ids = db.InsertMediaBulk({"/r/a.mp4", "/r/b.mp4", "/r/c.mp4"});
  const std::vector<MediaRow> rows = {{ids[0], 1700000000, "/r/a.mp4"},
                                      {ids[1], 1700000000, "/r/b.mp4"},
                                      {ids[2], 1700000000, "/r/c.mp4"}};
  int hooked = 0;
  auto changed = catalog->RepathRows(rows, {"/s/a.mp4", "/s/" + kEmoji + ".mp4", "/s/c.mp4"},
                                     [&](const std::vector<int64_t>&) {
                                       ++hooked;
                                       return Status::Ok();
                                     });
  REQUIRE_FALSE(changed.ok());
  CHECK(changed.status().code() == Code::kRejected);
  INFO(changed.status().message());
  CHECK_THAT(changed.status().message(),
             Catch::Contains("Media row " + std::to_string(ids[1]) + " cannot take"));
  CHECK(hooked == 0);  // the journal is never told of a change that was not made
  CHECK(db.MediaPath(ids[0]) == "/r/a.mp4");
  CHECK(db.MediaPath(ids[1]) == "/r/b.mp4");
  CHECK(db.MediaPath(ids[2]) == "/r/c.mp4");
}

TEST_CASE("Paths at the column's limits are stored byte for byte in latin1, utf8mb3 and utf8mb4") {
  PrivateMariaDB server(PrivateMariaDBOptions{{"--sql-mode="}, ""});
  const std::string charset = GENERATE(values<std::string>({"latin1", "utf8mb3", "utf8mb4"}));
  const bool one_by_one = GENERATE(false, true);
  INFO("charset " << charset << (one_by_one ? ", UpdateFilepath" : ", RepathRows"));
  TestDatabase db(On(server, charset));
  auto catalog = MustConnect(db.config());
  for (const std::string& path : AtTheLimit(charset)) {
    INFO(path.size() << " bytes");
    const int64_t id = db.InsertMedia(kOld);
    Status st = Repoint(*catalog, one_by_one, id, path);
    INFO(st.message());
    REQUIRE(st.ok());
    CHECK(db.MediaPath(id) == path);
    const std::vector<MediaRow> found = Must(catalog->ActiveRowsByPath(path));
    REQUIRE(found.size() == 1);
    CHECK(found[0].id == id);
  }
}

TEST_CASE("A path the server stores otherwise than sent is caught by the read-back") {
  // No sql_mode makes a server change a value without a word, but a trigger
  // can; what was stored is read back before COMMIT, whatever did it.
  TestDatabase db;
  db.Exec("CREATE TRIGGER recsync_test_lower BEFORE UPDATE ON Media FOR EACH ROW"
          " SET NEW.filepath = LOWER(NEW.filepath)");
  auto catalog = MustConnect(db.config());
  const int64_t id = db.InsertMedia(kOld);
  const bool one_by_one = GENERATE(false, true);
  INFO((one_by_one ? "UpdateFilepath" : "RepathRows"));
  int hooked = 0;
  Status st = one_by_one ? catalog->UpdateFilepath(id, "/r/NEW.mp4").status()
                         : catalog->RepathRows({{id, 1700000000, kOld}}, {"/r/NEW.mp4"},
                                               [&](const std::vector<int64_t>&) {
                                                 ++hooked;
                                                 return Status::Ok();
                                               })
                               .status();
  INFO(st.message());
  CHECK(st.code() == Code::kRejected);
  CHECK_THAT(st.message(), Catch::Contains("Media row " + std::to_string(id) +
                                           " reads back 10 different bytes for the new path "
                                           "\"/r/NEW.mp4\" (10 bytes): the server did not store it "
                                           "as sent; nothing was re-pointed"));
  CHECK(hooked == 0);
  CHECK(db.MediaPath(id) == kOld);
}

TEST_CASE("Client option files that would loosen the session are not read") {
  // Every place libmariadb looks for a my.cnf when asked to read one, each
  // with an init-command that would undo strict mode and a character set that
  // would convert the paths.
  TempDir home;
  const std::string cnf =
      "[client]\ninit-command=\"SET SESSION sql_mode=''\"\ndefault-character-set=latin1\n"
      "[client-mariadb]\ninit-command=\"SET SESSION sql_mode=''\"\n"
      "default-character-set=latin1\n";
  WriteFile(home.Sub(".my.cnf"), cnf);
  WriteFile(home.Sub("my.cnf"), cnf);
  ScopedEnv env_home("HOME", home.path());
  ScopedEnv env_mariadb("MARIADB_HOME", home.path());
  ScopedEnv env_mysql("MYSQL_HOME", home.path());
  PrivateMariaDB server(PrivateMariaDBOptions{{"--sql-mode="}, ""});
  TestDatabase db(On(server, "utf8mb3"));
  auto catalog = MustConnect(db.config());
  const int64_t id = db.InsertMedia(kOld);
  CHECK(catalog->UpdateFilepath(id, "/r/" + kEmoji + ".mp4").status().code() == Code::kRejected);
  const std::string accented = "/r/caf\xc3\xa9.mp4";
  CHECK(Must(catalog->UpdateFilepath(id, accented)));
  CHECK(db.MediaPath(id) == accented);
}

TEST_CASE("A server whose init_connect loosens sql_mode cannot loosen recsync's session") {
  // As a my.cnf with sql_mode and init_connect in [mysqld] would. init_connect
  // runs for users without SUPER only, hence a plain account.
  PrivateMariaDB server(PrivateMariaDBOptions{{"--init-connect=SET SESSION sql_mode=''"}, ""});
  TestDatabase db(On(server, "utf8mb3"));
  TestUser user(db);
  {
    // What any other client of that account gets: no strictness at all.
    mysql::MysqlPtr raw(mysql_init(nullptr));
    REQUIRE(mysql_real_connect(raw.get(), nullptr, user.name().c_str(),
                               user.config().password.c_str(), db.name().c_str(), 0,
                               server.socket().c_str(), 0) != nullptr);
    REQUIRE(mysql_query(raw.get(), "SELECT @@SESSION.sql_mode") == 0);
    mysql::ResultPtr result(mysql_store_result(raw.get()));
    REQUIRE(result);
    MYSQL_ROW row = mysql_fetch_row(result.get());
    REQUIRE(row != nullptr);
    CHECK(std::string(row[0]) == "");
  }
  auto catalog = MustConnect(user.config());
  const int64_t id = db.InsertMedia(kOld);
  auto updated = catalog->UpdateFilepath(id, "/r/" + kEmoji + ".mp4");
  REQUIRE_FALSE(updated.ok());
  CHECK(updated.status().code() == Code::kRejected);
  CHECK(db.MediaPath(id) == kOld);
  auto repathed = catalog->RepathRows({{id, 1700000000, kOld}}, {PathOf(1025, "x")});
  REQUIRE_FALSE(repathed.ok());
  CHECK(repathed.status().code() == Code::kRejected);
  CHECK(db.MediaPath(id) == kOld);
}

}  // namespace recsync::testing
