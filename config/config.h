// Configuration: recsync's own settings and Bluecherry's database credentials.
//
// Sources, lowest precedence first: built-in defaults, /etc/recsync.conf
// (libconfig syntax, group `recsync`; optional unless named explicitly), then
// command-line flags (each key as --kebab-case). The settings, their rules
// and their flags are one table: config/settings.h. Database credentials are
// read from Bluecherry's own /etc/bluecherry.conf, so recsync needs no set-up.
//
// Every error is one line that names the file (and line, for syntax errors)
// and is reported with Code::kInvalid; the CLI maps that to exit code 2.
#pragma once

#include <string>

#include "common/db_config.h"
#include "common/status.h"
#include "config/settings.h"

namespace recsync {

inline constexpr const char* kDefaultRecsyncConf = "/etc/recsync.conf";

// Reads `path` (libconfig, group `recsync`) over the defaults. When the file
// does not exist and `required` is false, the defaults are returned.
// Unknown keys, wrong types and out-of-range values are errors.
Result<Settings> LoadSettings(const std::string& path, bool required);

// Applies the command-line overrides given and checks the result against
// every setting's rule (errors start "command line: ").
Result<Settings> ApplyOverrides(Settings settings, const SettingsOverrides& overrides);

// Reads the `bluecherry.db` group of Bluecherry's config. `type` must be 2
// (MySQL); `host` selects TCP (with optional `port`), otherwise the optional
// `socket` is used. The result's `source` is `path`, which the catalog's
// messages name.
Result<DbConfig> LoadBluecherryDb(const std::string& path);

}  // namespace recsync
