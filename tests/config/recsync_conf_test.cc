// recsync's own config file and command-line overrides.
#include <catch2/catch.hpp>

#include "config/config.h"
#include "tests/support/temp_dir.h"

using namespace recsync;
using recsync::testing::TempDir;
using recsync::testing::WriteFile;

TEST_CASE("an absent optional recsync.conf gives the documented defaults") {
  TempDir dir;
  auto s = LoadSettings(dir.Sub("recsync.conf"), /*required=*/false);
  REQUIRE(s.ok());
  CHECK(s->bluecherry_conf == "/etc/bluecherry.conf");
  CHECK(s->journal == "/var/lib/recsync/journal.db");
  CHECK(s->storage.empty());
  CHECK(s->min_age == 120);
  CHECK(s->max_missing_ratio == Approx(0.5));
  CHECK(s->batch_size == 5000);
  CHECK(s->sweep_interval == 3600);
  CHECK(s->control_socket == "/run/recsync/control.sock");
  CHECK(s->journal_retention_days == 30);
  CHECK(s->log_level == "info");
  CHECK(s->log_file.empty());
  CHECK(s->probe_timeout == 10);
  CHECK(s->fstab == "/etc/fstab");
  CHECK(s->watcher == "inotify");
}

TEST_CASE("an explicitly named config file must exist") {
  TempDir dir;
  auto s = LoadSettings(dir.Sub("recsync.conf"), /*required=*/true);
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == Code::kInvalid);
  CHECK_THAT(s.status().message(), Catch::Contains("recsync.conf"));
}

TEST_CASE("every key in recsync.conf is read") {
  TempDir dir;
  const std::string path = dir.Sub("recsync.conf");
  WriteFile(path, R"(recsync:
{
  bluecherry_conf = "/srv/bc.conf";
  journal = "/srv/j.db";
  storage = ["/srv/a", "/srv/b/"];
  min_age = 60;
  max_missing_ratio = 0.25;
  batch_size = 1000;
  sweep_interval = 600;
  control_socket = "/tmp/c.sock";
  journal_retention_days = 7;
  log_level = "debug";
  log_file = "/var/log/recsync.log";
  probe_timeout = 3;
  fstab = "/srv/fstab";
  watcher = "auto";
};
)");
  auto s = LoadSettings(path, true);
  REQUIRE(s.ok());
  CHECK(s->bluecherry_conf == "/srv/bc.conf");
  CHECK(s->journal == "/srv/j.db");
  CHECK(s->storage == std::vector<std::string>{"/srv/a", "/srv/b/"});
  CHECK(s->min_age == 60);
  CHECK(s->max_missing_ratio == Approx(0.25));
  CHECK(s->batch_size == 1000);
  CHECK(s->sweep_interval == 600);
  CHECK(s->control_socket == "/tmp/c.sock");
  CHECK(s->journal_retention_days == 7);
  CHECK(s->log_level == "debug");
  CHECK(s->log_file == "/var/log/recsync.log");
  CHECK(s->probe_timeout == 3);
  CHECK(s->fstab == "/srv/fstab");
  CHECK(s->watcher == "auto");
}

TEST_CASE("an unknown key is an error naming the key and line") {
  TempDir dir;
  const std::string path = dir.Sub("recsync.conf");
  WriteFile(path, "recsync:\n{\n  min_age = 1;\n  max_age = 2;\n};\n");
  auto s = LoadSettings(path, true);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.status().message(), Catch::Contains(path + ":4") && Catch::Contains("recsync.max_age"));
}

TEST_CASE("a value of the wrong type is an error naming the key") {
  TempDir dir;
  const std::string path = dir.Sub("recsync.conf");
  WriteFile(path, "recsync: { min_age = \"soon\"; };\n");
  auto s = LoadSettings(path, true);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.status().message(), Catch::Contains("recsync.min_age must be an integer"));
}

TEST_CASE("out-of-range values are rejected") {
  TempDir dir;
  const std::string path = dir.Sub("recsync.conf");
  WriteFile(path, "recsync: { max_missing_ratio = 1.5; };\n");
  auto s = LoadSettings(path, true);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.status().message(), Catch::Contains("max_missing_ratio must be between 0 and 1"));
}

TEST_CASE("the daemon's paths must be absolute: a relative log_file or control_socket is refused") {
  TempDir dir;
  const std::string path = dir.Sub("recsync.conf");
  WriteFile(path, "recsync: { log_file = \"recsync.log\"; };\n");
  auto s = LoadSettings(path, true);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.status().message(), Catch::Contains("log_file must be an absolute path"));
  WriteFile(path, "recsync: { control_socket = \"ctl.sock\"; };\n");
  s = LoadSettings(path, true);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.status().message(), Catch::Contains("control_socket must be an absolute path"));
}

TEST_CASE("command-line overrides win over the file and are validated") {
  Settings base;
  base.min_age = 60;
  SettingsOverrides o;
  o.Set(&Settings::min_age, int64_t{5});
  o.Set(&Settings::storage, std::vector<std::string>{"/x"});
  auto s = ApplyOverrides(base, o);
  REQUIRE(s.ok());
  CHECK(s->min_age == 5);
  CHECK(s->storage == std::vector<std::string>{"/x"});

  SettingsOverrides bad;
  bad.Set(&Settings::storage, std::vector<std::string>{"relative/path"});
  auto r = ApplyOverrides(base, bad);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Contains("must be an absolute path"));
}

TEST_CASE("watcher is inotify by default, takes auto or fanotify, and nothing else") {
  TempDir dir;
  const std::string path = dir.Sub("recsync.conf");
  auto defaults = LoadSettings(path, /*required=*/false);
  REQUIRE(defaults.ok());
  CHECK(defaults->watcher == "inotify");
  WriteFile(path, "recsync: { watcher = \"fanotify\"; };\n");
  auto s = LoadSettings(path, true);
  REQUIRE(s.ok());
  CHECK(s->watcher == "fanotify");
  WriteFile(path, "recsync: { watcher = \"dnotify\"; };\n");
  s = LoadSettings(path, true);
  REQUIRE_FALSE(s.ok());
  CHECK_THAT(s.status().message(),
             Catch::Contains(path) && Catch::Contains("watcher must be one of auto, inotify, fanotify"));

  SettingsOverrides o;
  o.Set(&Settings::watcher, std::string("inotify"));
  auto flagged = ApplyOverrides(*defaults, o);
  REQUIRE(flagged.ok());
  CHECK(flagged->watcher == "inotify");
  o.Set(&Settings::watcher, std::string("poll"));
  CHECK(ApplyOverrides(*defaults, o).status().code() == Code::kInvalid);
}
