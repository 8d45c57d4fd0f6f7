// What an operator sees when the database is unreachable or is not what
// recsync expects: kUnavailable for the first (after retrying), kDatabase at
// once for the rest, in one line naming the server, the cause and the fix.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "catalog/catalog.h"
#include "config/config.h"
#include "tests/catalog/catalog_test_util.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"
#include "tests/support/test_user.h"

namespace recsync::testing {
namespace {

using std::chrono::milliseconds;

// A loopback port nothing listens on: bound by us a moment ago, then freed.
unsigned ClosedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t len = sizeof(addr);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Connect()'s error, failing the test if it connected.
// A retry_for long enough that finishing quickly proves nothing was retried.
Status ConnectError(const DbConfig& config) {
  const auto start = std::chrono::steady_clock::now();
  auto catalog = Catalog::Connect(config, TestOptions(std::chrono::seconds(30)));
  REQUIRE_FALSE(catalog.ok());
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  return catalog.status();
}

}  // namespace

TEST_CASE("Describe names the server without the password") {
  DbConfig c;
  c.user = "bc";
  c.password = "secret";
  c.dbname = "bluecherry";
  CHECK(c.Describe() == "bc@unix:/run/mysqld/mysqld.sock/bluecherry");
  c.socket = "/tmp/my.sock";
  CHECK(c.Describe() == "bc@unix:/tmp/my.sock/bluecherry");
  c.host = "localhost";  // the client library goes through the socket
  CHECK(c.Describe() == "bc@unix:/tmp/my.sock/bluecherry");
  c.host = "db.example";
  CHECK(c.Describe() == "bc@db.example:3306/bluecherry");
  c.port = 3307;
  CHECK(c.Describe() == "bc@db.example:3307/bluecherry");
  c.host = "::1";
  CHECK(c.Describe() == "bc@[::1]:3307/bluecherry");
}

TEST_CASE("An unreachable server gives kUnavailable once retry_for has passed") {
  TempDir dir;
  DbConfig config;
  config.user = "root";
  config.dbname = "bluecherry";
  SECTION("unix socket that does not exist") { config.socket = dir.Sub("nobody.sock"); }
  SECTION("TCP port nobody listens on") {
    config.host = "127.0.0.1";
    config.port = ClosedPort();
  }
  const auto start = std::chrono::steady_clock::now();
  auto catalog = Catalog::Connect(config, TestOptions(milliseconds(400)));
  const auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(catalog.ok());
  CHECK(catalog.status().code() == Code::kUnavailable);
  INFO(catalog.status().message());
  CHECK(catalog.status().message().rfind("database " + config.Describe() + ": ", 0) == 0);
  CHECK(catalog.status().message().find("gave up") != std::string::npos);
  CHECK(took >= milliseconds(400));
  CHECK(took < std::chrono::seconds(10));
}

// Where the settings of these tests claim to come from: the messages must
// name that file, not the default one.
const char kConf[] = "/srv/custom/bluecherry.conf";

TEST_CASE("A wrong password is reported at once as access denied, naming the config file") {
  TestDatabase db;
  TestUser user(db, "SELECT, UPDATE", "right-password");
  DbConfig config = user.config();
  config.password = "wrong-password";
  config.source = kConf;
  Status st = ConnectError(config);
  CHECK(st.code() == Code::kDatabase);
  CHECK(st.message() == "database " + config.Describe() + ": access denied for user '" +
                            user.name() + "' (check user/password in " + kConf + ")");
  CHECK(st.message().find("wrong-password") == std::string::npos);
}

TEST_CASE("A user without rights on the database is told so at once") {
  TestDatabase db;
  TestUser user(db, "");
  DbConfig config = user.config();
  config.source = kConf;
  Status st = ConnectError(config);
  CHECK(st.code() == Code::kDatabase);
  CHECK(st.message() == "database " + config.Describe() + ": user '" + user.name() +
                            "' may not use database '" + db.name() + "' (check dbname in " +
                            kConf + ", or grant the user access)");
}

TEST_CASE("An unknown database is reported at once") {
  TestDatabase db;
  DbConfig config = db.config();
  config.dbname = "recsync_no_such_database";
  SECTION("naming the config file") {
    config.source = kConf;
    Status st = ConnectError(config);
    CHECK(st.code() == Code::kDatabase);
    CHECK(st.message() == "database " + config.Describe() +
                              ": unknown database 'recsync_no_such_database' (check dbname in " +
                              kConf + ")");
  }
  SECTION("settings not read from a file") {
    Status st = ConnectError(config);
    CHECK(st.message() == "database " + config.Describe() +
                              ": unknown database 'recsync_no_such_database'"
                              " (check dbname in the database settings)");
  }
}

TEST_CASE("Settings loaded from a bluecherry.conf name that file in their errors") {
  TestDatabase db;
  TempDir dir;
  const std::string conf = dir.Sub("elsewhere-bluecherry.conf");
  WriteFile(conf, "bluecherry: { db: { type = 2; dbname = \"recsync_no_such_database\";"
                  " user = \"root\"; password = \"\"; socket = \"" +
                      db.config().socket + "\"; }; };\n");
  DbConfig config = Must(LoadBluecherryDb(conf));
  CHECK(config.source == conf);
  Status st = ConnectError(config);
  CHECK(st.code() == Code::kDatabase);
  CHECK(st.message() == "database " + config.Describe() +
                            ": unknown database 'recsync_no_such_database' (check dbname in " +
                            conf + ")");
}

TEST_CASE("A database without Bluecherry's tables is reported at once") {
  TestDatabase db;
  const std::string expected =
      "database " + db.config().Describe() + ": table Media is missing: is this a Bluecherry database?";
  SECTION("at Connect") {
    db.Exec("DROP TABLE EventsCam; DROP TABLE Media");
    Status st = ConnectError(db.config());
    CHECK(st.code() == Code::kDatabase);
    CHECK(st.message() == expected);
  }
  SECTION("when the table goes away later") {
    auto catalog = MustConnect(db.config());
    db.Exec("DROP TABLE EventsCam; DROP TABLE Media");
    auto rows = catalog->ActiveRowsAfter(0, 10);
    REQUIRE_FALSE(rows.ok());
    CHECK(rows.status().code() == Code::kDatabase);
    CHECK(rows.status().message() == expected);
    auto index = catalog->HasFilepathIndex();
    REQUIRE_FALSE(index.ok());
    CHECK(index.status().message() == expected);
  }
  SECTION("a missing column") {
    db.Exec("ALTER TABLE Media DROP COLUMN archive");
    Status st = ConnectError(db.config());
    CHECK(st.code() == Code::kDatabase);
    INFO(st.message());
    CHECK(st.message().find("Unknown column 'archive'") != std::string::npos);
    CHECK(st.message().find("is this a Bluecherry 3.x database?") != std::string::npos);
  }
}

}  // namespace recsync::testing
