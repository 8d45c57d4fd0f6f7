// Settings: recsync's own settings, and the one table that describes them.
//
// Every setting is one field of `Settings` plus one row of SettingsTable():
// its key in recsync.conf, the field, its rule, whether a reload (SIGHUP)
// applies it, its --help line and its README text. Everything else is
// derived from that row: reading the config file (config.h), the
// command-line flag (`--key` in kebab case, cli/global_flags.h), the
// `--help` line with its default, the reload rule (ApplyReload) and the
// README's settings reference (SettingsMarkdown; a test keeps README.md equal
// to it). A new setting is a field here and a row in settings.cc.
//
// Thread-safety: the table is immutable; the functions are pure.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace recsync {

// The largest batch_size (rows per archive transaction, one IN list each).
inline constexpr int64_t kMaxBatchSize = 100000;

// The defaults are the values of a default-constructed Settings.
struct Settings {
  std::string bluecherry_conf = "/etc/bluecherry.conf";
  std::string journal = "/var/lib/recsync/journal.db";
  std::vector<std::string> storage;  // empty: every Storage.path in the catalog
  int64_t min_age = 120;             // seconds
  double max_missing_ratio = 0.5;    // 0..1
  int64_t batch_size = 5000;  // rows per archive transaction (IN lists of this size)
  int64_t sweep_interval = 3600;  // seconds
  std::string control_socket = "/run/recsync/control.sock";
  int64_t journal_retention_days = 30;
  std::string log_level = "info";  // trace, debug, info, warn, error, off
  // Where logs go besides stderr ("" = stderr only, which journald collects).
  std::string log_file;
  // Seconds a filesystem probe of a storage root may take before the root is
  // treated as unresponsive (hung network storage).
  int64_t probe_timeout = 10;
  // Where to look for declared mount points; a root below one that is not
  // mounted is offline.
  std::string fstab = "/etc/fstab";
  // The daemon's file-event backend: "inotify" (the default), "auto"
  // (fanotify when it can watch every root, else inotify) or "fanotify" (an
  // error when it cannot be used). See watcher/watcher.h. inotify is the
  // default because it works for every user and filesystem: fanotify needs
  // CAP_SYS_ADMIN, Linux 5.17 and file handles, and reads every change of the
  // whole filesystem a root is on. Both meet the latency goals: the
  // delete-to-archive stalls once seen with fanotify were the benchmark's
  // disk writeback, with either backend (docs/performance.md, "Daemon").
  std::string watcher = "inotify";
  // The HTTP server (docs/http.md): "off", "HOST:PORT" or "unix:/path".
  std::string http_listen = "127.0.0.1:7320";
  bool http_allow_remote = false;  // may http_listen be a non-loopback address?
  // Host names the Host header may carry; empty: the loopback names and
  // this machine's own names.
  std::vector<std::string> http_allowed_hosts;
  std::string api_token_file = "/etc/recsync/api-token";
  int64_t http_session_idle = 1800;  // seconds a signed-in session lasts unused

  bool operator==(const Settings&) const = default;
};

// Whether `systemctl reload recsync` (SIGHUP) applies a changed value.
enum class AtReload {
  kApplied,
  // The daemon's own resources (its journal, socket, log file, ...): the
  // running value stays until a restart, with a warning.
  kNeedsRestart,
};

// The field a row describes; its type is the setting's type.
using SettingField = std::variant<std::string Settings::*, std::vector<std::string> Settings::*,
                                  int64_t Settings::*, double Settings::*, bool Settings::*>;

struct SettingSpec {
  std::string_view key;  // in recsync.conf (group `recsync`)
  SettingField field;
  AtReload at_reload;
  std::string_view help;    // the one line of --help
  std::string_view readme;  // the README's "meaning" (Markdown)
  // The default as people read it when the default value is empty
  // ("none"); "" when the value itself is shown.
  std::string_view empty_default;
  // The setting's rule: "" when `s` keeps it, else what is wrong, naming
  // the key ("min_age must be >= 0 seconds").
  std::string (*check)(const Settings& s);
};

// Every setting, in the order of the README and of --help.
const std::vector<SettingSpec>& SettingsTable();
// The row of `key`; nullptr when there is none.
const SettingSpec* FindSetting(std::string_view key);

// "--min-age" for min_age.
std::string FlagName(const SettingSpec& spec);
// The value as text: as written for strings, "/a, /b" for lists, numbers in
// their shortest form ("0.5").
std::string ValueText(const Settings& s, const SettingSpec& spec);
// The default as people read it: the value, or empty_default for an empty one.
std::string DefaultText(const SettingSpec& spec);
// The first rule `s` breaks, "" when it keeps them all.
std::string FirstBrokenRule(const Settings& s);

// Copies the field `spec` describes from `from` to `to`.
void CopySetting(const SettingSpec& spec, const Settings& from, Settings& to);
// Whether `a` and `b` hold the same value of the setting `spec` describes.
bool SameSetting(const SettingSpec& spec, const Settings& a, const Settings& b);

// The settings a reload starts with: `next` (the file and flags read again),
// except that every setting that needs a restart keeps its `running` value;
// each one that differed adds "<key> changed to <value>; restart recsync to
// use it" to *warnings.
Settings ApplyReload(const Settings& running, Settings next, std::vector<std::string>* warnings);

// Settings given on the command line: the values of the keys in `given`
// (the other fields of `values` mean nothing).
struct SettingsOverrides {
  Settings values;
  std::set<std::string, std::less<>> given;

  // Sets `field` to `value` and marks it given.
  template <typename T>
  void Set(T Settings::*field, T value) {
    values.*field = std::move(value);
    given.insert(std::string(KeyOf(field)));
  }
  // The given value of `field`; nullptr when it was not given.
  template <typename T>
  const T* Find(T Settings::*field) const {
    return given.count(KeyOf(field)) ? &(values.*field) : nullptr;
  }

 private:
  static std::string_view KeyOf(SettingField field);
};

// The README's settings reference: a Markdown table, one row per setting.
std::string SettingsMarkdown();

}  // namespace recsync
