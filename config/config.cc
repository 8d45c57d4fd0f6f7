#include "config/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <libconfig.h++>
#include <map>

namespace recsync {
namespace {

Status ConfigError(const std::string& file, const std::string& what) {
  return Status(Code::kInvalid, file + ": " + what);
}

// Reads and parses a libconfig file, turning every libconfig failure into
// one line that names the file (and line, for syntax errors).
Status ReadConfigFile(const std::string& path, libconfig::Config& cfg) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return Status(Code::kInvalid, "cannot read config " + path + ": " + ErrnoText(errno));
  }
  if (!S_ISREG(st.st_mode)) return ConfigError(path, "not a regular file");
  if (::access(path.c_str(), R_OK) != 0) {
    return Status(Code::kInvalid, "cannot read config " + path + ": " + ErrnoText(errno) +
                                      " (run as a user that can read it)");
  }
  try {
    cfg.readFile(path.c_str());
  } catch (const libconfig::ParseException& e) {
    return Status(Code::kInvalid, std::string(e.getFile() ? e.getFile() : path.c_str()) + ":" +
                                      std::to_string(e.getLine()) + ": " + e.getError());
  } catch (const libconfig::FileIOException&) {
    return ConfigError(path, "cannot read file");
  }
  return Status::Ok();
}

std::string TypeName(libconfig::Setting::Type t) {
  switch (t) {
    case libconfig::Setting::TypeInt:
    case libconfig::Setting::TypeInt64: return "an integer";
    case libconfig::Setting::TypeFloat: return "a number";
    case libconfig::Setting::TypeString: return "a string";
    case libconfig::Setting::TypeBoolean: return "a boolean";
    case libconfig::Setting::TypeGroup: return "a group";
    case libconfig::Setting::TypeArray: return "an array";
    case libconfig::Setting::TypeList: return "a list";
    default: return "nothing";
  }
}

// Typed readers: each returns an error naming file, key and expected type.
Status ReadInt(const std::string& file, const libconfig::Setting& s, int64_t& out) {
  if (s.getType() == libconfig::Setting::TypeInt || s.getType() == libconfig::Setting::TypeInt64) {
    // libconfig refuses to widen a plain int through operator long long.
    out = s.getType() == libconfig::Setting::TypeInt ? static_cast<int64_t>(static_cast<int>(s))
                                                      : static_cast<int64_t>(static_cast<long long>(s));
    return Status::Ok();
  }
  return ConfigError(file, std::string(s.getPath()) + " must be an integer, not " + TypeName(s.getType()));
}

Status ReadString(const std::string& file, const libconfig::Setting& s, std::string& out) {
  if (s.getType() == libconfig::Setting::TypeString) {
    out = static_cast<const char*>(s);
    return Status::Ok();
  }
  return ConfigError(file, std::string(s.getPath()) + " must be a string, not " + TypeName(s.getType()));
}

Status ReadNumber(const std::string& file, const libconfig::Setting& s, double& out) {
  if (s.getType() == libconfig::Setting::TypeFloat) {
    out = static_cast<double>(s);
    return Status::Ok();
  }
  int64_t i;
  if (ReadInt(file, s, i).ok()) {
    out = static_cast<double>(i);
    return Status::Ok();
  }
  return ConfigError(file, std::string(s.getPath()) + " must be a number, not " + TypeName(s.getType()));
}

Status ReadStringList(const std::string& file, const libconfig::Setting& s,
                      std::vector<std::string>& out) {
  if (!s.isAggregate() || s.getType() == libconfig::Setting::TypeGroup) {
    return ConfigError(file, std::string(s.getPath()) + " must be a list of strings, e.g. [\"/srv/a\", \"/srv/b\"]");
  }
  out.clear();
  for (int i = 0; i < s.getLength(); ++i) {
    std::string v;
    RECSYNC_RETURN_IF_ERROR(ReadString(file, s[i], v));
    out.push_back(v);
  }
  return Status::Ok();
}

// Range checks shared by the file and the command line.
Status Validate(const Settings& s, const std::string& origin) {
  auto bad = [&](const std::string& what) { return Status(Code::kInvalid, origin + ": " + what); };
  if (s.min_age < 0) return bad("min_age must be >= 0 seconds");
  if (!(s.max_missing_ratio >= 0.0 && s.max_missing_ratio <= 1.0)) {
    return bad("max_missing_ratio must be between 0 and 1");
  }
  if (s.batch_size < 1 || s.batch_size > kMaxBatchSize) {
    return bad("batch_size must be between 1 and " + std::to_string(kMaxBatchSize));
  }
  if (s.sweep_interval < 1) return bad("sweep_interval must be >= 1 second");
  if (s.journal_retention_days < 0) return bad("journal_retention_days must be >= 0");
  if (s.probe_timeout < 1) return bad("probe_timeout must be >= 1 second");
  static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
  bool level_ok = false;
  for (const char* l : kLevels) level_ok |= (s.log_level == l);
  if (!level_ok) return bad("log_level must be one of trace, debug, info, warn, error, off");
  if (s.journal.empty()) return bad("journal must not be empty");
  if (s.watcher != "auto" && s.watcher != "inotify" && s.watcher != "fanotify") {
    return bad("watcher must be one of auto, inotify, fanotify");
  }
  if (!s.log_file.empty() && s.log_file[0] != '/') return bad("log_file must be an absolute path");
  if (s.control_socket.empty() || s.control_socket[0] != '/') {
    return bad("control_socket must be an absolute path");
  }
  for (const auto& root : s.storage) {
    if (root.empty() || root[0] != '/') return bad("storage root \"" + root + "\" must be an absolute path");
    if (root.find_first_not_of('/') == std::string::npos) return bad("\"/\" cannot be a storage root");
  }
  return Status::Ok();
}

}  // namespace

Result<Settings> LoadSettings(const std::string& path, bool required) {
  Settings settings;
  struct stat st;
  if (!required && ::stat(path.c_str(), &st) != 0 && errno == ENOENT) return settings;

  libconfig::Config cfg;
  RECSYNC_RETURN_IF_ERROR(ReadConfigFile(path, cfg));
  if (!cfg.exists("recsync")) return settings;
  const libconfig::Setting& group = cfg.lookup("recsync");
  if (!group.isGroup()) return ConfigError(path, "recsync must be a group: recsync: { ... };");

  using Reader = std::function<Status(const libconfig::Setting&)>;
  const std::map<std::string, Reader> readers = {
      {"bluecherry_conf", [&](auto& s) { return ReadString(path, s, settings.bluecherry_conf); }},
      {"journal", [&](auto& s) { return ReadString(path, s, settings.journal); }},
      {"storage", [&](auto& s) { return ReadStringList(path, s, settings.storage); }},
      {"min_age", [&](auto& s) { return ReadInt(path, s, settings.min_age); }},
      {"max_missing_ratio", [&](auto& s) { return ReadNumber(path, s, settings.max_missing_ratio); }},
      {"batch_size", [&](auto& s) { return ReadInt(path, s, settings.batch_size); }},
      {"sweep_interval", [&](auto& s) { return ReadInt(path, s, settings.sweep_interval); }},
      {"control_socket", [&](auto& s) { return ReadString(path, s, settings.control_socket); }},
      {"journal_retention_days", [&](auto& s) { return ReadInt(path, s, settings.journal_retention_days); }},
      {"log_level", [&](auto& s) { return ReadString(path, s, settings.log_level); }},
      {"log_file", [&](auto& s) { return ReadString(path, s, settings.log_file); }},
      {"probe_timeout", [&](auto& s) { return ReadInt(path, s, settings.probe_timeout); }},
      {"fstab", [&](auto& s) { return ReadString(path, s, settings.fstab); }},
      {"watcher", [&](auto& s) { return ReadString(path, s, settings.watcher); }},
  };
  for (int i = 0; i < group.getLength(); ++i) {
    const libconfig::Setting& s = group[i];
    auto it = readers.find(s.getName());
    if (it == readers.end()) {
      return Status(Code::kInvalid, path + ":" + std::to_string(s.getSourceLine()) +
                                        ": unknown key recsync." + s.getName());
    }
    RECSYNC_RETURN_IF_ERROR(it->second(s));
  }
  RECSYNC_RETURN_IF_ERROR(Validate(settings, path));
  return settings;
}

Result<Settings> ApplyOverrides(Settings s, const SettingsOverrides& o) {
  if (o.bluecherry_conf) s.bluecherry_conf = *o.bluecherry_conf;
  if (o.journal) s.journal = *o.journal;
  if (o.control_socket) s.control_socket = *o.control_socket;
  if (o.log_level) s.log_level = *o.log_level;
  if (o.log_file) s.log_file = *o.log_file;
  if (o.fstab) s.fstab = *o.fstab;
  if (o.watcher) s.watcher = *o.watcher;
  if (o.storage) s.storage = *o.storage;
  if (o.min_age) s.min_age = *o.min_age;
  if (o.batch_size) s.batch_size = *o.batch_size;
  if (o.sweep_interval) s.sweep_interval = *o.sweep_interval;
  if (o.journal_retention_days) s.journal_retention_days = *o.journal_retention_days;
  if (o.probe_timeout) s.probe_timeout = *o.probe_timeout;
  if (o.max_missing_ratio) s.max_missing_ratio = *o.max_missing_ratio;
  RECSYNC_RETURN_IF_ERROR(Validate(s, "command line"));
  return s;
}

Result<DbConfig> LoadBluecherryDb(const std::string& path) {
  libconfig::Config cfg;
  RECSYNC_RETURN_IF_ERROR(ReadConfigFile(path, cfg));
  if (!cfg.exists("bluecherry.db")) {
    return ConfigError(path, "no bluecherry.db group: is this Bluecherry's config file?");
  }
  const libconfig::Setting& db = cfg.lookup("bluecherry.db");
  auto need = [&](const char* key, std::string& out) -> Status {
    if (!db.exists(key)) return ConfigError(path, std::string("bluecherry.db.") + key + " is missing");
    return ReadString(path, db[key], out);
  };
  auto maybe = [&](const char* key, std::string& out) -> Status {
    return db.exists(key) ? ReadString(path, db[key], out) : Status::Ok();
  };
  int64_t type = 2;
  if (db.exists("type")) RECSYNC_RETURN_IF_ERROR(ReadInt(path, db["type"], type));
  if (type != 2) {
    return ConfigError(path, "bluecherry.db.type is " + std::to_string(type) +
                                 "; recsync supports only MySQL/MariaDB (type = 2)");
  }
  DbConfig out;
  out.source = path;  // so that "check dbname in ..." names this file
  RECSYNC_RETURN_IF_ERROR(need("dbname", out.dbname));
  RECSYNC_RETURN_IF_ERROR(need("user", out.user));
  RECSYNC_RETURN_IF_ERROR(need("password", out.password));
  RECSYNC_RETURN_IF_ERROR(maybe("host", out.host));
  if (!out.host.empty()) {
    if (db.exists("port")) {
      int64_t port = 0;
      RECSYNC_RETURN_IF_ERROR(ReadInt(path, db["port"], port));
      if (port < 1 || port > 65535) return ConfigError(path, "bluecherry.db.port must be 1..65535");
      out.port = static_cast<unsigned>(port);
    }
  } else {
    RECSYNC_RETURN_IF_ERROR(maybe("socket", out.socket));
  }
  return out;
}

}  // namespace recsync
