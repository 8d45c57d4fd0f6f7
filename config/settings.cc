#include "config/settings.h"

#include "http/listen_address.h"

#include <fmt/format.h>

#include <algorithm>
#include <initializer_list>
#include <type_traits>
#include <variant>

namespace recsync {
namespace {

std::string AbsolutePath(std::string_view key, const std::string& path, bool may_be_empty) {
  if (may_be_empty && path.empty()) return "";
  if (path.empty() || path[0] != '/') return std::string(key) + " must be an absolute path";
  return "";
}

std::string OneOf(std::string_view key, const std::string& value,
                  std::initializer_list<std::string_view> choices) {
  if (std::find(choices.begin(), choices.end(), value) != choices.end()) return "";
  std::string list;
  for (std::string_view c : choices) list += (list.empty() ? "" : ", ") + std::string(c);
  return std::string(key) + " must be one of " + list;
}

std::string StorageRoots(const Settings& s) {
  for (const auto& root : s.storage) {
    if (root.empty() || root[0] != '/') return "storage root \"" + root + "\" must be an absolute path";
    if (root.find_first_not_of('/') == std::string::npos) return "\"/\" cannot be a storage root";
  }
  return "";
}

std::string NoRule(const Settings&) { return ""; }

// The table. Keep README.md's settings reference in step: the test
// "README's settings table is the generated one" prints the new one.
const std::vector<SettingSpec> kSettings = {
    {"bluecherry_conf", &Settings::bluecherry_conf, AtReload::kNeedsRestart,
     "Bluecherry's config, for DB credentials", "where the DB credentials are", "", NoRule},
    {"journal", &Settings::journal, AtReload::kNeedsRestart, "The journal database",
     "the journal (created with mode 0640, its directory 0750)", "",
     [](const Settings& s) -> std::string {
       return s.journal.empty() ? "journal must not be empty" : "";
     }},
    {"storage", &Settings::storage, AtReload::kApplied, "A storage root; repeat for several",
     "list of storage roots, e.g. `[\"/srv/a\", \"/srv/b\"]`; `--storage` may be repeated",
     "every path in the Storage table", StorageRoots},
    {"min_age", &Settings::min_age, AtReload::kApplied,
     "Seconds a row must be old before a sweep may archive it",
     "seconds; younger rows are never archived by a sweep", "",
     [](const Settings& s) -> std::string {
       return s.min_age < 0 ? "min_age must be >= 0 seconds" : "";
     }},
    {"max_missing_ratio", &Settings::max_missing_ratio, AtReload::kApplied,
     "Largest share of missing files a sweep archives without --force",
     "largest share of a root's files a sweep archives without `--force` when their deletion "
     "was not seen (see `recsync sweep`, rule 4)",
     "",
     [](const Settings& s) -> std::string {
       const bool ok = s.max_missing_ratio >= 0.0 && s.max_missing_ratio <= 1.0;  // NaN: not ok
       return ok ? "" : "max_missing_ratio must be between 0 and 1";
     }},
    {"batch_size", &Settings::batch_size, AtReload::kApplied, "Rows archived per transaction",
     "rows archived per transaction (one `IN` list; 5,000 measured fastest, see "
     "`docs/performance.md`)",
     "",
     [](const Settings& s) -> std::string {
       if (s.batch_size >= 1 && s.batch_size <= kMaxBatchSize) return "";
       return "batch_size must be between 1 and " + std::to_string(kMaxBatchSize);
     }},
    {"sweep_interval", &Settings::sweep_interval, AtReload::kApplied,
     "Seconds between the daemon's periodic sweeps",
     "seconds between the daemon's periodic sweeps (±10 % jitter)", "",
     [](const Settings& s) -> std::string {
       return s.sweep_interval < 1 ? "sweep_interval must be >= 1 second" : "";
     }},
    {"control_socket", &Settings::control_socket, AtReload::kNeedsRestart,
     "The daemon's control socket",
     "the daemon's control socket (`status`, `sweep`, `sync`)", "",
     [](const Settings& s) { return AbsolutePath("control_socket", s.control_socket, false); }},
    {"journal_retention_days", &Settings::journal_retention_days, AtReload::kApplied,
     "Days applied/ignored events are kept",
     "applied/ignored events older than this are pruned; a recording that comes back within it "
     "restores the row recsync archived",
     "",
     [](const Settings& s) -> std::string {
       return s.journal_retention_days < 0 ? "journal_retention_days must be >= 0" : "";
     }},
    {"log_level", &Settings::log_level, AtReload::kApplied,
     "trace, debug, info, warn, error or off",
     "`trace`, `debug`, `info`, `warn`, `error`, `off`", "",
     [](const Settings& s) {
       return OneOf("log_level", s.log_level, {"trace", "debug", "info", "warn", "error", "off"});
     }},
    {"log_file", &Settings::log_file, AtReload::kNeedsRestart, "Also append logs to this file",
     "also append logs to this file (they always go to stderr); created with mode 0640 whatever "
     "the umask, and an existing file with more access than that is narrowed to it (with a "
     "warning), since logs name every archived recording",
     "none", [](const Settings& s) { return AbsolutePath("log_file", s.log_file, true); }},
    {"probe_timeout", &Settings::probe_timeout, AtReload::kApplied,
     "Seconds a storage probe may take before the root counts as unresponsive",
     "seconds a probe of a root (or a chunk of its files) may take before the root counts as "
     "unresponsive",
     "",
     [](const Settings& s) -> std::string {
       return s.probe_timeout < 1 ? "probe_timeout must be >= 1 second" : "";
     }},
    {"fstab", &Settings::fstab, AtReload::kNeedsRestart,
     "The fstab whose declared mount points must be mounted",
     "whose declared mount points must be mounted", "", NoRule},
    {"watcher", &Settings::watcher, AtReload::kNeedsRestart,
     "The daemon's file-event backend: auto, inotify or fanotify",
     "the daemon's file-event backend: `inotify`, `auto` or `fanotify` (see `recsync run`)", "",
     [](const Settings& s) { return OneOf("watcher", s.watcher, {"auto", "inotify", "fanotify"}); }},
    {"http_listen", &Settings::http_listen, AtReload::kNeedsRestart,
     "Where the HTTP page and API listen: HOST:PORT, unix:/path or off",
     "where the storage page, the JSON API and `/metrics` listen: `HOST:PORT`, `[::1]:PORT`, "
     "`unix:/path` (for a reverse proxy) or `off` (see `docs/http.md`)",
     "",
     [](const Settings& s) -> std::string {
       auto parsed = ParseListenAddress(s.http_listen);
       return parsed.ok() ? "" : parsed.status().message();
     }},
    {"http_allow_remote", &Settings::http_allow_remote, AtReload::kNeedsRestart,
     "Allow http_listen on a non-loopback address",
     "`true` lets `http_listen` be an address other machines reach; by default only loopback "
     "(and a unix socket) is accepted, and a reverse proxy serves the page with TLS",
     "", NoRule},
    {"http_allowed_hosts", &Settings::http_allowed_hosts, AtReload::kApplied,
     "Host names the HTTP Host header may carry",
     "host names a request's `Host` header may carry (DNS-rebinding guard); add the name your "
     "proxy forwards",
     "localhost, 127.0.0.1, ::1 and this machine's names",
     [](const Settings& s) -> std::string {
       for (const auto& h : s.http_allowed_hosts) {
         // A name, an IPv4 address or an IPv6 address without brackets.
         const bool ok = !h.empty() && h.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.:") == std::string::npos;
         if (!ok) return "http_allowed_hosts: \"" + h + "\" is not a host name or address (no port, no scheme)";
       }
       return "";
     }},
    {"api_token_file", &Settings::api_token_file, AtReload::kApplied,
     "The API token for scripts and Prometheus (recsync token new)",
     "the token scripts and Prometheus send as `Authorization: Bearer <token>`; `recsync token "
     "new` writes one (mode 0640); re-read on reload",
     "", [](const Settings& s) { return AbsolutePath("api_token_file", s.api_token_file, false); }},
    {"http_session_idle", &Settings::http_session_idle, AtReload::kApplied,
     "Seconds a signed-in page session lasts unused",
     "seconds a signed-in page session lasts unused; each request renews it", "",
     [](const Settings& s) -> std::string {
       return s.http_session_idle < 60 ? "http_session_idle must be >= 60 seconds" : "";
     }},
};

}  // namespace

const std::vector<SettingSpec>& SettingsTable() { return kSettings; }

const SettingSpec* FindSetting(std::string_view key) {
  for (const SettingSpec& spec : kSettings) {
    if (spec.key == key) return &spec;
  }
  return nullptr;
}

std::string FlagName(const SettingSpec& spec) {
  std::string flag = "--" + std::string(spec.key);
  std::replace(flag.begin(), flag.end(), '_', '-');
  return flag;
}

std::string ValueText(const Settings& s, const SettingSpec& spec) {
  return std::visit(
      [&](auto field) -> std::string {
        const auto& value = s.*field;
        using T = std::decay_t<decltype(value)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return value;
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          return fmt::format("{}", fmt::join(value, ", "));
        } else {
          return fmt::format("{}", value);
        }
      },
      spec.field);
}

std::string DefaultText(const SettingSpec& spec) {
  const std::string value = ValueText(Settings{}, spec);
  return value.empty() ? std::string(spec.empty_default) : value;
}

std::string FirstBrokenRule(const Settings& s) {
  for (const SettingSpec& spec : kSettings) {
    if (std::string broken = spec.check(s); !broken.empty()) return broken;
  }
  return "";
}

void CopySetting(const SettingSpec& spec, const Settings& from, Settings& to) {
  std::visit([&](auto field) { to.*field = from.*field; }, spec.field);
}

bool SameSetting(const SettingSpec& spec, const Settings& a, const Settings& b) {
  return std::visit([&](auto field) { return a.*field == b.*field; }, spec.field);
}

Settings ApplyReload(const Settings& running, Settings next, std::vector<std::string>* warnings) {
  for (const SettingSpec& spec : kSettings) {
    if (spec.at_reload != AtReload::kNeedsRestart) continue;
    if (SameSetting(spec, running, next)) continue;
    warnings->push_back(fmt::format("{} changed to {}; restart recsync to use it", spec.key,
                                    ValueText(next, spec)));
    CopySetting(spec, running, next);
  }
  return next;
}

std::string_view SettingsOverrides::KeyOf(SettingField field) {
  for (const SettingSpec& spec : kSettings) {
    if (spec.field == field) return spec.key;
  }
  return "";
}

std::string SettingsMarkdown() {
  std::string out =
      "| key | default | on reload | meaning |\n"
      "|---|---|---|---|\n";
  for (const SettingSpec& spec : kSettings) {
    const std::string value = ValueText(Settings{}, spec);
    out += fmt::format("| `{}` | {} | {} | {} |\n", spec.key,
                       value.empty() ? std::string(spec.empty_default) : "`" + value + "`",
                       spec.at_reload == AtReload::kApplied ? "applied" : "restart", spec.readme);
  }
  return out;
}

}  // namespace recsync
