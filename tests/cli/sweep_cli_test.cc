// The recsync binary as an operator runs it: exit codes, one-line errors,
// options on either side of the command word, and JSON that parses.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <nlohmann/json.hpp>
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

TEST_CASE_METHOD(CliFixture, "a repeated option takes its last value; --storage accumulates") {
  // Young and gone: only min_age 0 checks it, and then half the root is
  // missing, which only a ratio above 0.5 archives.
  Add("15-05-00.mp4");
  const int64_t young =
      db.InsertMedia(root + "/2026/11/23/000001/15-00-00.mp4", std::time(nullptr));
  const std::string second = tmp.Sub("rec2");
  MakeDirs(second);
  auto r =
      Run(Cat({"sweep", "--json", "--journal", tmp.Sub("j.db"), "--min-age", "99999", "--min-age",
               "0", "--max-missing-ratio", "0", "--max-missing-ratio", "1", "--storage", second},
              Common()));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  json j = json::parse(r.out);
  CHECK(j["archived"] == 1);
  CHECK(db.MediaArchived(young));
  REQUIRE(j["roots"].size() == 2);  // --storage of Common() and this one
  CHECK(j["roots"][0]["configured"] == true);
  CHECK(j["roots"][1]["configured"] == true);

  // Per-command options too.
  REQUIRE(Run(Cat({"sweep", "--dry-run", "--journal", tmp.Sub("j.db")}, Common())).exit_code == 0);
  auto sweeps = Run({"journal", "sweeps", "--json", "--limit", "5", "--limit", "1", "--journal",
                     tmp.Sub("j.db"), "--journal", tmp.Sub("j.db")});
  INFO(sweeps.err);
  REQUIRE(sweeps.exit_code == 0);
  CHECK(LineCount(sweeps.out) == 1);
}

TEST_CASE("an unknown command is named, exit 2") {
  auto bogus = RunProcess({RECSYNC_BINARY, "bogus"});
  CHECK(bogus.exit_code == 2);
  CHECK(bogus.out.empty());
  CHECK(bogus.err == "recsync: unknown command bogus (see recsync --help)\n");
  auto sub = RunProcess({RECSYNC_BINARY, "--journal", "/nowhere.db", "journal", "bogus"});
  CHECK(sub.exit_code == 2);
  CHECK(sub.err == "recsync: unknown command journal bogus (see recsync --help)\n");
  auto none = RunProcess({RECSYNC_BINARY, "journal"});
  CHECK(none.exit_code == 2);
  CHECK(none.err ==
        "recsync: journal needs a command: list, show, sweeps, actions, stats, prune, "
        "retry (see recsync --help)\n");
}

TEST_CASE(
    "log_file is created 0640 whatever the umask; a wider one is narrowed, a narrower one "
    "kept") {
  TempDir tmp;
  // Any command sets up logging before it runs; this one needs nothing else.
  auto log_with_umask = [&](const std::string& umask, const std::string& log) {
    return RunProcess({"/bin/sh", "-c",
                       "umask " + umask + "; exec '" + std::string(RECSYNC_BINARY) +
                           "' --log-file '" + log + "' --journal '" + tmp.Sub("none.db") +
                           "' journal stats"});
  };
  auto mode_of = [](const std::string& path) {
    struct stat st;
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
  };
  for (const char* umask : {"000", "077", "022"}) {
    const std::string log = tmp.Sub(std::string("new-") + umask + ".log");
    auto r = log_with_umask(umask, log);
    INFO(umask << ": " << r.err);
    CHECK(r.exit_code == 1);  // the journal does not exist; the log was set up first
    CHECK(mode_of(log) == 0640);
  }

  const std::string wide = tmp.Sub("wide.log");
  WriteFile(wide, "old line\n");
  REQUIRE(::chmod(wide.c_str(), 0666) == 0);
  auto narrowed = log_with_umask("000", wide);
  CHECK(mode_of(wide) == 0640);
  CHECK_THAT(narrowed.err, Catch::Contains("log_file " + wide + " had mode 0666; set it to 0640"));

  const std::string narrow = tmp.Sub("narrow.log");
  WriteFile(narrow, "");
  REQUIRE(::chmod(narrow.c_str(), 0600) == 0);
  auto kept = log_with_umask("000", narrow);
  CHECK(mode_of(narrow) == 0600);
  CHECK(kept.err.find("had mode") == std::string::npos);
}

TEST_CASE_METHOD(CliFixture,
                 "the sweep summary keeps its columns readable with a 200-byte root "
                 "path") {
  std::string long_root = tmp.Sub("r");
  while (long_root.size() < 200) long_root += "/deep-nas-share-folder";
  long_root.resize(200);
  if (long_root.back() == '/') long_root.back() = 'x';
  const std::string dir = long_root + "/2026/11/23/000001/";
  WriteFile(dir + "10-00-00.mp4");
  db.InsertMedia(dir + "10-00-00.mp4", std::time(nullptr) - 86400);
  db.InsertMedia(dir + "10-05-00.mp4", std::time(nullptr) - 86400);
  WriteFile(dir + "10-10-00.mp4");
  db.InsertMedia(dir + "10-10-00.mp4", std::time(nullptr) - 86400);
  auto r = Run({"sweep", "--journal", tmp.Sub("j.db"), "--bluecherry-conf", conf, "--storage",
                long_root, "--fstab", tmp.Sub("fstab")});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  auto lines = [&] {
    std::vector<std::string> out;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }();
  REQUIRE(lines.size() >= 3);
  CHECK(lines[1] == "  state         rows    checked    missing    unknown   archived  root");
  CHECK(lines[2] ==
        "  online           3          3          1          0          1  " + long_root);
}
