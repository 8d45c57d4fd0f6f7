#include "http/credentials.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "tests/support/temp_dir.h"

using namespace recsync;

TEST_CASE("Bluecherry's password scheme: md5 of the password and the salt, in hex") {
  // Bluecherry's shipped admin: password "bluecherry", salt "1234".
  CHECK(BluecherryPasswordMatches("bluecherry", "1234", "b22dec1d6cfa580962f3a3796a5dc6b3"));
  CHECK(BluecherryPasswordMatches("bluecherry", "1234", "B22DEC1D6CFA580962F3A3796A5DC6B3"));
  CHECK_FALSE(BluecherryPasswordMatches("bluecherry", "1235", "b22dec1d6cfa580962f3a3796a5dc6b3"));
  CHECK_FALSE(BluecherryPasswordMatches("Bluecherry", "1234", "b22dec1d6cfa580962f3a3796a5dc6b3"));
  CHECK_FALSE(BluecherryPasswordMatches("", "", ""));
}

TEST_CASE("a new API token is 64 hex characters in a file only its group may read") {
  testing::TempDir tmp;
  const std::string path = tmp.Sub("etc/recsync/api-token");
  auto token = WriteApiToken(path);
  REQUIRE(token.ok());
  CHECK(token->size() == 64);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
  auto read = ReadApiToken(path);
  REQUIRE(read.ok());
  CHECK(*read == *token);
  auto again = WriteApiToken(path);
  CHECK(*again != *token);
}

TEST_CASE("a missing or short token file is refused naming `recsync token new`") {
  testing::TempDir tmp;
  auto missing = ReadApiToken(tmp.Sub("none"));
  CHECK(missing.status().code() == Code::kNotFound);
  CHECK(missing.status().message().find("recsync token new") != std::string::npos);
  std::ofstream(tmp.Sub("short")) << "abc\n";
  auto shorty = ReadApiToken(tmp.Sub("short"));
  CHECK(shorty.status().code() == Code::kInvalid);
}
