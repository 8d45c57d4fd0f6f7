// The settings table: the reload rule, the README's reference and the sample
// recsync.conf follow from it.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "config/config.h"
#include "tests/support/temp_dir.h"

using namespace recsync;

namespace {

std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(std::string(RECSYNC_SOURCE_DIR) + "/" + relative);
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The lines of README.md between the settings table's two markers.
std::string ReadmeSettingsTable() {
  const std::string readme = ReadSourceFile("README.md");
  const std::string begin = "<!-- settings table: begin";
  const std::string end = "<!-- settings table: end -->";
  const size_t from = readme.find(begin);
  REQUIRE(from != std::string::npos);
  const size_t body = readme.find('\n', from) + 1;
  const size_t to = readme.find(end, body);
  REQUIRE(to != std::string::npos);
  return readme.substr(body, to - body);
}

}  // namespace

TEST_CASE("README's settings table is the generated one") {
  const std::string generated = SettingsMarkdown();
  INFO("README.md's settings table differs from the table in config/settings.cc; replace it "
       "with the output of `recsync --print-settings-markdown`:\n"
       << generated);
  CHECK(ReadmeSettingsTable() == generated);
}

TEST_CASE("README names every setting with its default") {
  const std::string table = ReadmeSettingsTable();
  for (const SettingSpec& spec : SettingsTable()) {
    INFO(spec.key);
    CHECK_THAT(table, Catch::Contains("| `" + std::string(spec.key) + "` | "));
    CHECK_THAT(table, Catch::Contains(DefaultText(spec)));
  }
}

TEST_CASE("every setting's default keeps its own rule") {
  CHECK(FirstBrokenRule(Settings{}).empty());
}

TEST_CASE("the sample etc/recsync.conf names every setting and shows the defaults") {
  const std::string sample = ReadSourceFile("etc/recsync.conf");
  for (const SettingSpec& spec : SettingsTable()) {
    INFO(spec.key);
    CHECK_THAT(sample, Catch::Contains(std::string(spec.key) + " = "));
  }
  auto loaded = LoadSettings(std::string(RECSYNC_SOURCE_DIR) + "/etc/recsync.conf", true);
  REQUIRE(loaded.ok());
  CHECK(*loaded == Settings{});
}

TEST_CASE("a reload keeps the daemon's own resources until a restart and applies the rest") {
  const Settings running;
  Settings next;
  next.bluecherry_conf = "/srv/other-bluecherry.conf";
  next.journal = "/srv/other.db";
  next.control_socket = "/srv/other.sock";
  next.log_file = "/srv/other.log";
  next.fstab = "/srv/fstab";
  next.watcher = "fanotify";
  next.storage = {"/srv/a"};
  next.min_age = 1;
  next.max_missing_ratio = 0.25;
  next.batch_size = 7;
  next.sweep_interval = 60;
  next.journal_retention_days = 3;
  next.log_level = "debug";
  next.probe_timeout = 2;

  std::vector<std::string> warnings;
  const Settings reloaded = ApplyReload(running, next, &warnings);

  CHECK(reloaded.bluecherry_conf == running.bluecherry_conf);
  CHECK(reloaded.journal == running.journal);
  CHECK(reloaded.control_socket == running.control_socket);
  CHECK(reloaded.log_file == running.log_file);
  CHECK(reloaded.fstab == running.fstab);
  CHECK(reloaded.watcher == running.watcher);
  CHECK(warnings == std::vector<std::string>{
                        "bluecherry_conf changed to /srv/other-bluecherry.conf; restart recsync "
                        "to use it",
                        "journal changed to /srv/other.db; restart recsync to use it",
                        "control_socket changed to /srv/other.sock; restart recsync to use it",
                        "log_file changed to /srv/other.log; restart recsync to use it",
                        "fstab changed to /srv/fstab; restart recsync to use it",
                        "watcher changed to fanotify; restart recsync to use it",
                    });

  CHECK(reloaded.storage == next.storage);
  CHECK(reloaded.min_age == 1);
  CHECK(reloaded.max_missing_ratio == Approx(0.25));
  CHECK(reloaded.batch_size == 7);
  CHECK(reloaded.sweep_interval == 60);
  CHECK(reloaded.journal_retention_days == 3);
  CHECK(reloaded.log_level == "debug");
  CHECK(reloaded.probe_timeout == 2);
}

TEST_CASE("a reload that changes nothing fixed warns of nothing") {
  Settings next;
  next.min_age = 5;
  std::vector<std::string> warnings;
  const Settings reloaded = ApplyReload(Settings{}, next, &warnings);
  CHECK(warnings.empty());
  CHECK(reloaded == next);
}

TEST_CASE("only the flags given override the file") {
  Settings file;
  file.min_age = 60;
  file.journal = "/srv/j.db";
  SettingsOverrides flags;  // values at their defaults, none given
  auto s = ApplyOverrides(file, flags);
  REQUIRE(s.ok());
  CHECK(*s == file);
  flags.Set(&Settings::journal, std::string("/srv/k.db"));
  s = ApplyOverrides(file, flags);
  REQUIRE(s.ok());
  CHECK(s->journal == "/srv/k.db");
  CHECK(s->min_age == 60);
  CHECK(flags.Find(&Settings::min_age) == nullptr);
  REQUIRE(flags.Find(&Settings::journal) != nullptr);
  CHECK(*flags.Find(&Settings::journal) == "/srv/k.db");
}
