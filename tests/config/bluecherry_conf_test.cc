// Reading DB credentials from Bluecherry's own config file.
#include <catch2/catch.hpp>

#include "config/config.h"
#include "tests/support/temp_dir.h"

using namespace recsync;
using recsync::testing::TempDir;
using recsync::testing::WriteFile;

namespace {

std::string Conf(const std::string& db_body) {
  return "version = \"1.0\";\nbluecherry:\n{\n  db:\n  {\n" + db_body + "  };\n};\n";
}

}  // namespace

TEST_CASE("the stock bluecherry.conf yields TCP credentials") {
  TempDir dir;
  const std::string path = dir.Sub("bluecherry.conf");
  WriteFile(path, Conf(R"(    # 0 = sqlite, 1 = pgsql, 2 = mysql
    type = 2;
    dbname = "bluecherry";
    user = "bluecherry";
    password = "secret";
    host = "db.example";
    port = 3307;
    userhost = "localhost";
)"));
  auto db = LoadBluecherryDb(path);
  REQUIRE(db.ok());
  CHECK(db->dbname == "bluecherry");
  CHECK(db->user == "bluecherry");
  CHECK(db->password == "secret");
  CHECK(db->host == "db.example");
  CHECK(db->port == 3307);
  CHECK(db->socket.empty());
  CHECK(db->source == path);  // what the catalog's messages name
}

TEST_CASE("without a host the socket is used") {
  TempDir dir;
  const std::string path = dir.Sub("bluecherry.conf");
  WriteFile(path, Conf("type = 2; dbname = \"bc\"; user = \"u\"; password = \"p\";\n"
                       "socket = \"/run/mysqld/mysqld.sock\";\n"));
  auto db = LoadBluecherryDb(path);
  REQUIRE(db.ok());
  CHECK(db->host.empty());
  CHECK(db->socket == "/run/mysqld/mysqld.sock");
}

TEST_CASE("a password with quotes and semicolons is read exactly") {
  TempDir dir;
  const std::string path = dir.Sub("bluecherry.conf");
  WriteFile(path, Conf(R"(type = 2; dbname = "bc"; user = "u"; password = "a\"b;c'd\\e";
host = "localhost";
)"));
  auto db = LoadBluecherryDb(path);
  REQUIRE(db.ok());
  CHECK(db->password == "a\"b;c'd\\e");
}

TEST_CASE("a database type other than MySQL is a clear error") {
  TempDir dir;
  const std::string path = dir.Sub("bluecherry.conf");
  WriteFile(path, Conf("type = 1; dbname = \"bc\"; user = \"u\"; password = \"p\";\n"));
  auto db = LoadBluecherryDb(path);
  REQUIRE_FALSE(db.ok());
  CHECK(db.status().code() == Code::kInvalid);
  CHECK_THAT(db.status().message(), Catch::Contains(path) && Catch::Contains("type = 2"));
}

TEST_CASE("a missing bluecherry.conf names the file") {
  TempDir dir;
  auto db = LoadBluecherryDb(dir.Sub("nope.conf"));
  REQUIRE_FALSE(db.ok());
  CHECK_THAT(db.status().message(), Catch::Contains("nope.conf") && Catch::Contains("No such file"));
}

TEST_CASE("a syntax error names the file and the line") {
  TempDir dir;
  const std::string path = dir.Sub("bluecherry.conf");
  WriteFile(path, "bluecherry:\n{\n  db:\n  {\n    type = 2\n    user = ;\n  };\n};\n");
  auto db = LoadBluecherryDb(path);
  REQUIRE_FALSE(db.ok());
  CHECK_THAT(db.status().message(), Catch::Contains(path + ":"));
  CHECK_THAT(db.status().message(), Catch::Contains(":6:") || Catch::Contains(":5:"));
}

TEST_CASE("a missing required key is named") {
  TempDir dir;
  const std::string path = dir.Sub("bluecherry.conf");
  WriteFile(path, Conf("type = 2; dbname = \"bc\"; password = \"p\";\n"));
  auto db = LoadBluecherryDb(path);
  REQUIRE_FALSE(db.ok());
  CHECK_THAT(db.status().message(), Catch::Contains("bluecherry.db.user is missing"));
}

TEST_CASE("a file without the bluecherry.db group is rejected") {
  TempDir dir;
  const std::string path = dir.Sub("other.conf");
  WriteFile(path, "something = 1;\n");
  auto db = LoadBluecherryDb(path);
  REQUIRE_FALSE(db.ok());
  CHECK_THAT(db.status().message(), Catch::Contains("no bluecherry.db group"));
}
