// The global options come from the settings table: every setting has a flag
// that overrides the config file, and --help shows it with its default.
#include <catch2/catch.hpp>

#include <CLI/CLI.hpp>
#include <map>
#include <sstream>

#include "cli/app.h"
#include "cli/global_flags.h"
#include "tests/support/temp_dir.h"

using namespace recsync;
using recsync::testing::TempDir;
using recsync::testing::WriteFile;

namespace {

struct CliOutput {
  int exit_code;
  std::string out, err;
};

CliOutput Run(std::vector<const char*> args) {
  args.insert(args.begin(), "recsync");
  std::ostringstream out, err;
  const int code = RunCli(static_cast<int>(args.size()), args.data(), out, err);
  return {code, out.str(), err.str()};
}

// A valid value for each setting, unlike its default. A new setting needs
// one here (the test says so).
const std::map<std::string, std::string, std::less<>> kSamples = {
    {"bluecherry_conf", "/srv/bc.conf"},
    {"journal", "/srv/j.db"},
    {"storage", "/srv/a"},
    {"min_age", "7"},
    {"max_missing_ratio", "0.25"},
    {"batch_size", "9"},
    {"sweep_interval", "60"},
    {"control_socket", "/srv/c.sock"},
    {"journal_retention_days", "3"},
    {"log_level", "debug"},
    {"log_file", "/srv/r.log"},
    {"probe_timeout", "2"},
    {"fstab", "/srv/fstab"},
    {"watcher", "auto"},
    {"http_listen", "127.0.0.1:7399"},
    {"http_allow_remote", "true"},
    {"http_allowed_hosts", "dvr.example.com"},
    {"api_token_file", "/srv/token"},
    {"http_session_idle", "600"},
};

}  // namespace

TEST_CASE("--help lists every setting's flag with its default") {
  const CliOutput help = Run({"--help"});
  REQUIRE(help.exit_code == kExitOk);
  for (const SettingSpec& spec : SettingsTable()) {
    INFO(spec.key);
    CHECK_THAT(help.out, Catch::Contains(FlagName(spec)));
    CHECK_THAT(help.out, Catch::Contains(std::string(spec.help) + " (default: " +
                                         DefaultText(spec) + ")"));
  }
  CHECK_THAT(help.out, !Catch::Contains("print-settings-markdown"));
}

TEST_CASE("every setting's flag overrides the config file, and only the flags given do") {
  TempDir dir;
  const std::string conf = dir.Sub("recsync.conf");
  WriteFile(conf, "recsync: { min_age = 600; };\n");
  for (const SettingSpec& spec : SettingsTable()) {
    INFO(spec.key);
    const auto sample = kSamples.find(spec.key);
    REQUIRE(sample != kSamples.end());
    CLI::App app;
    GlobalFlags flags(app);
    const std::string flag = FlagName(spec);
    std::vector<const char*> argv = {"recsync", "--config", conf.c_str(), flag.c_str(),
                                     sample->second.c_str()};
    app.parse(static_cast<int>(argv.size()), argv.data());
    flags.NoteGiven();
    auto settings = flags.Load();
    REQUIRE(settings.ok());
    CHECK(ValueText(*settings, spec) == sample->second);
    CHECK(flags.given().given == std::set<std::string, std::less<>>{std::string(spec.key)});
    if (spec.key != "min_age") CHECK(settings->min_age == 600);
  }
}

TEST_CASE("the hidden --print-settings-markdown flag prints the README's settings table") {
  const CliOutput printed = Run({"--print-settings-markdown"});
  CHECK(printed.exit_code == kExitOk);
  CHECK(printed.out == SettingsMarkdown());
  CHECK(printed.err.empty());
}
