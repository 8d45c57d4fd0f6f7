// The recsync binary as an operator runs it: exit codes, one-line errors,
// options on either side of the command word, and JSON that parses.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <ctime>
#include <sstream>

#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

using namespace recsync::testing;
using nlohmann::json;

namespace {

// A database, a recordings root and a bluecherry.conf pointing at them.
struct CliFixture {
  CliFixture() : root(tmp.Sub("rec")) {
    MakeDirs(root);
    WriteFile(tmp.Sub("fstab"), "");
    const auto c = db.config();
    WriteFile(conf, "bluecherry: { db: { type = 2; dbname = \"" + c.dbname + "\"; user = \"" +
                        c.user + "\"; password = \"" + c.password + "\"; socket = \"" +
                        c.socket + "\"; }; };\n");
  }

  int64_t Add(const std::string& name, bool file = true) {
    const std::string path = root + "/2026/11/23/000001/" + name;
    if (file) WriteFile(path, "v");
    return db.InsertMedia(path, std::time(nullptr) - 86400, 1);
  }

  ProcessResult Run(std::vector<std::string> args) {
    args.insert(args.begin(), RECSYNC_BINARY);
    return RunProcess(args);
  }

  std::vector<std::string> Common() {
    return {"--bluecherry-conf", conf, "--storage", root, "--fstab", tmp.Sub("fstab")};
  }

  TempDir tmp;
  TestDatabase db;
  std::string root;
  std::string conf = tmp.Sub("bluecherry.conf");
};

std::vector<std::string> Cat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

int LineCount(const std::string& s) {
  int n = 0;
  for (char c : s) n += (c == '\n');
  return n;
}

}  // namespace

TEST_CASE_METHOD(CliFixture, "sweep --json prints one JSON object with the documented fields") {
  for (int i = 0; i < 4; ++i) Add("10-00-0" + std::to_string(i) + ".mp4");
  Add("10-30-00.mp4", /*file=*/false);
  auto r = Run(Cat({"sweep", "--json", "--journal", tmp.Sub("j.db")}, Common()));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(LineCount(r.out) == 1);
  json j = json::parse(r.out);
  for (const char* key : {"trigger", "roots", "outside_roots", "checked", "missing", "archived",
                          "duration_ms"}) {
    CHECK(j.contains(key));
  }
  CHECK(j["trigger"] == "manual");
  CHECK(j["archived"] == 1);
  REQUIRE(j["roots"].size() == 1);
  for (const char* key : {"path", "state", "checked", "missing", "unknown", "archived", "refused"}) {
    CHECK(j["roots"][0].contains(key));
  }
  CHECK(j["roots"][0]["state"] == "online");
  for (const char* key : {"checked", "missing", "archived"}) CHECK(j["outside_roots"].contains(key));
  // Bluecherry's log lines, on stderr.
  CHECK_THAT(r.err, Catch::Contains("Starting database/filesystem synchronization"));
  CHECK_THAT(r.err, Catch::Contains("Found 1 orphaned database entries out of 5 total files"));
  CHECK_THAT(r.err, Catch::Contains("Cleaned up batch of 1 orphaned entries (total: 1)"));
  CHECK_THAT(r.err, Catch::Contains("Database/filesystem sync complete: 1 orphaned entries cleaned up"));

  auto sweeps = Run({"journal", "sweeps", "--json", "--journal", tmp.Sub("j.db")});
  REQUIRE(sweeps.exit_code == 0);
  std::istringstream lines(sweeps.out);
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    CHECK_NOTHROW(json::parse(line));
    ++n;
  }
  CHECK(n == 1);
}

TEST_CASE_METHOD(CliFixture, "global options work before and after the command word") {
  Add("11-00-00.mp4");
  auto before = Run(Cat(Cat({"--journal", tmp.Sub("a.db")}, Common()), {"sweep"}));
  auto after = Run(Cat({"sweep", "--journal", tmp.Sub("b.db")}, Common()));
  INFO(before.err << after.err);
  CHECK(before.exit_code == 0);
  CHECK(after.exit_code == 0);
  CHECK(Exists(tmp.Sub("a.db")));
  CHECK(Exists(tmp.Sub("b.db")));
}

TEST_CASE_METHOD(CliFixture, "a refused root gives exit code 3 and archives nothing") {
  for (int i = 0; i < 3; ++i) Add("12-00-0" + std::to_string(i) + ".mp4", /*file=*/false);
  Add("12-10-00.mp4");
  auto r = Run(Cat({"sweep", "--journal", tmp.Sub("j.db")}, Common()));
  CHECK(r.exit_code == 3);
  CHECK_THAT(r.out, Catch::Contains("refused"));
  CHECK(db.ArchivedMediaIds().empty());
}

TEST_CASE_METHOD(CliFixture, "sweep --dry-run lists rows and changes nothing") {
  for (int i = 0; i < 3; ++i) Add("13-00-0" + std::to_string(i) + ".mp4");
  const int64_t gone = Add("13-10-00.mp4", /*file=*/false);
  auto r = Run(Cat({"sweep", "--dry-run", "--json", "--journal", tmp.Sub("j.db")}, Common()));
  REQUIRE(r.exit_code == 0);
  json j = json::parse(r.out);
  REQUIRE(j["would_archive"].size() == 1);
  CHECK(j["would_archive"][0]["id"] == gone);
  CHECK(db.ArchivedMediaIds().empty());
}

TEST_CASE_METHOD(CliFixture, "configuration errors are one line naming the file, exit 2") {
  auto missing_conf = Run({"sweep", "--config", tmp.Sub("nope.conf")});
  CHECK(missing_conf.exit_code == 2);
  CHECK_THAT(missing_conf.err, Catch::Contains("nope.conf"));
  CHECK(LineCount(missing_conf.err) == 1);

  WriteFile(tmp.Sub("bad.conf"), "recsync: { min_age = ; };\n");
  auto syntax = Run({"sweep", "--config", tmp.Sub("bad.conf")});
  CHECK(syntax.exit_code == 2);
  CHECK_THAT(syntax.err, Catch::Contains("bad.conf:1"));

  auto no_bc = Run({"sweep", "--bluecherry-conf", tmp.Sub("none.conf"), "--journal", tmp.Sub("j.db")});
  CHECK(no_bc.exit_code == 2);
  CHECK_THAT(no_bc.err, Catch::Contains("none.conf"));

  auto usage = Run({"sweep", "--no-such-flag"});
  CHECK(usage.exit_code == 2);
  auto bad_value = Run({"sweep", "--max-missing-ratio", "3"});
  CHECK(bad_value.exit_code == 2);
  CHECK_THAT(bad_value.err, Catch::Contains("max_missing_ratio"));
}

TEST_CASE_METHOD(CliFixture, "a journal that cannot be created stops the sweep before the database is touched") {
  Add("14-00-00.mp4", /*file=*/false);
  WriteFile(tmp.Sub("plainfile"), "");
  auto r = Run(Cat({"sweep", "--force", "--journal", tmp.Sub("plainfile/journal.db")}, Common()));
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("plainfile/journal.db"));
  CHECK(db.ArchivedMediaIds().empty());
}

TEST_CASE_METHOD(CliFixture, "an unreachable database is a one-line error and exit 1") {
  WriteFile(tmp.Sub("dead.conf"),
            "bluecherry: { db: { type = 2; dbname = \"x\"; user = \"u\"; password = \"p\"; socket = \"" +
                tmp.Sub("no.sock") + "\"; }; };\n");
  auto r = Run({"sweep", "--bluecherry-conf", tmp.Sub("dead.conf"), "--journal", tmp.Sub("j.db"),
                "--storage", root});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("no.sock"));
}
