// Configuration: recsync's own settings and Bluecherry's database credentials.
//
// Sources, lowest precedence first: built-in defaults, /etc/recsync.conf
// (libconfig syntax, group `recsync`; optional unless named explicitly), then
// command-line flags (each key as --kebab-case). Database credentials are read
// from Bluecherry's own /etc/bluecherry.conf, so recsync needs no set-up.
//
// Every error is one line that names the file (and line, for syntax errors)
// and is reported with Code::kInvalid; the CLI maps that to exit code 2.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/db_config.h"
#include "common/status.h"

namespace recsync {

inline constexpr const char* kDefaultRecsyncConf = "/etc/recsync.conf";
// The largest batch_size (rows per archive transaction, one IN list each).
inline constexpr int64_t kMaxBatchSize = 100000;

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
  // default because fanotify showed delete-to-archive stalls of up to
  // 0.9 s at 100 deletions/s (docs/performance.md); until that is explained,
  // fanotify is opt-in.
  std::string watcher = "inotify";
};

// Settings overrides from the command line; unset fields keep the file's value.
struct SettingsOverrides {
  std::optional<std::string> bluecherry_conf, journal, control_socket, log_level, log_file, fstab,
      watcher;
  std::optional<std::vector<std::string>> storage;
  std::optional<int64_t> min_age, batch_size, sweep_interval, journal_retention_days,
      probe_timeout;
  std::optional<double> max_missing_ratio;
};

// Reads `path` (libconfig, group `recsync`) over the defaults. When the file
// does not exist and `required` is false, the defaults are returned.
// Unknown keys, wrong types and out-of-range values are errors.
Result<Settings> LoadSettings(const std::string& path, bool required);

// Applies command-line overrides and validates the result.
Result<Settings> ApplyOverrides(Settings settings, const SettingsOverrides& overrides);

// Reads the `bluecherry.db` group of Bluecherry's config. `type` must be 2
// (MySQL); `host` selects TCP (with optional `port`), otherwise the optional
// `socket` is used. The result's `source` is `path`, which the catalog's
// messages name.
Result<DbConfig> LoadBluecherryDb(const std::string& path);

}  // namespace recsync
