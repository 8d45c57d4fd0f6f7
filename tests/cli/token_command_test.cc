// `recsync token new` as an operator runs it: the token file it writes (mode
// 0640 whatever the umask, 64 hex digits), a second run replacing it, the
// token shown once on stdout and in no log, and a one-line error naming the
// file and the fix when it cannot write.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <regex>

#include "tests/support/temp_dir.h"

using namespace recsync::testing;

namespace {

ProcessResult TokenNew(const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {RECSYNC_BINARY, "token", "new"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return RunProcess(argv);
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Restores the test process's umask (the child inherits it).
struct Umask {
  explicit Umask(mode_t mask) : previous(::umask(mask)) {}
  ~Umask() { ::umask(previous); }
  mode_t previous;
};

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("token new writes 64 hex digits, mode 0640 whatever the umask, shown once and not logged") {
  TempDir tmp;
  const std::string file = tmp.Sub("etc/recsync/api-token");  // folders made as needed
  const std::string log = tmp.Sub("recsync.log");
  ProcessResult r;
  {
    Umask open_umask(0);
    r = TokenNew({"--api-token-file", file, "--log-file", log});
  }
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  const std::string content = ReadAll(file);
  REQUIRE(std::regex_match(content, std::regex("[0-9a-f]{64}\n")));
  const std::string token = content.substr(0, 64);
  CHECK(ModeOf(file) == 0640);
  CHECK(ModeOf(tmp.Sub("etc/recsync")) == 0750);
  // Where it went, how to use it, and that the daemon needs a reload.
  CHECK_THAT(r.out, Catch::Contains(file));
  CHECK_THAT(r.out, Catch::Contains("Authorization: Bearer"));
  CHECK_THAT(r.out, Catch::Contains("systemctl reload recsync"));
  CHECK(Count(r.out, token) == 1);
  CHECK_THAT(r.err, !Catch::Contains(token));
  CHECK_THAT(ReadAll(log), !Catch::Contains(token));
}

TEST_CASE("a second token new replaces the token, mode 0640 again whatever the old mode and the umask") {
  TempDir tmp;
  const std::string file = tmp.Sub("api-token");
  REQUIRE(TokenNew({"--api-token-file", file}).exit_code == 0);
  const std::string first = ReadAll(file);
  REQUIRE(::chmod(file.c_str(), 0666) == 0);
  ProcessResult again;
  {
    Umask strict_umask(077);  // the group still gets its read
    again = TokenNew({"--api-token-file", file});
  }
  INFO(again.err);
  REQUIRE(again.exit_code == 0);
  const std::string second = ReadAll(file);
  CHECK(std::regex_match(second, std::regex("[0-9a-f]{64}\n")));
  CHECK(second != first);
  CHECK(ModeOf(file) == 0640);
  CHECK_FALSE(Exists(file + ".new"));
}

TEST_CASE("token new that cannot write says so in one line naming the file and the fix") {
  TempDir tmp;
  // A regular file where a folder should be: unwritable even for root.
  WriteFile(tmp.Sub("not-a-dir"), "x");
  const std::string file = tmp.Sub("not-a-dir/api-token");
  const ProcessResult r = TokenNew({"--api-token-file", file});
  CHECK(r.exit_code == 1);
  CHECK(r.out.empty());
  CHECK(Count(r.err, "\n") == 1);
  CHECK_THAT(r.err, Catch::StartsWith("recsync: token new: api_token_file " + file));
  CHECK_THAT(r.err, Catch::Contains("--api-token-file"));
}

TEST_CASE("token without a command names the one it has") {
  const ProcessResult r = RunProcess({RECSYNC_BINARY, "token"});
  CHECK(r.exit_code == 2);
  CHECK_THAT(r.err, Catch::Contains("token needs a command: new"));
}
