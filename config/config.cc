#include "config/config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <libconfig.h++>
#include <type_traits>
#include <variant>

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

Status ReadBool(const std::string& file, const libconfig::Setting& s, bool& out) {
  if (s.getType() == libconfig::Setting::TypeBoolean) {
    out = static_cast<bool>(s);
    return Status::Ok();
  }
  return ConfigError(file, std::string(s.getPath()) + " must be true or false, not " +
                               TypeName(s.getType()));
}

// Every setting's rule (settings.h), for the file and the command line.
Status Validate(const Settings& s, const std::string& origin) {
  const std::string broken = FirstBrokenRule(s);
  return broken.empty() ? Status::Ok() : Status(Code::kInvalid, origin + ": " + broken);
}

// Reads one key of the `recsync` group into its field, by the field's type.
Status ReadSetting(const std::string& file, const libconfig::Setting& value,
                   const SettingSpec& spec, Settings& settings) {
  return std::visit(
      [&](auto field) -> Status {
        auto& out = settings.*field;
        using T = std::decay_t<decltype(out)>;
        if constexpr (std::is_same_v<T, std::string>) {
          return ReadString(file, value, out);
        } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
          return ReadStringList(file, value, out);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          return ReadInt(file, value, out);
        } else if constexpr (std::is_same_v<T, bool>) {
          return ReadBool(file, value, out);
        } else {
          static_assert(std::is_same_v<T, double>, "a setting of a type the file cannot hold");
          return ReadNumber(file, value, out);
        }
      },
      spec.field);
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

  for (int i = 0; i < group.getLength(); ++i) {
    const libconfig::Setting& s = group[i];
    const SettingSpec* spec = FindSetting(s.getName());
    if (spec == nullptr) {
      return Status(Code::kInvalid, path + ":" + std::to_string(s.getSourceLine()) +
                                        ": unknown key recsync." + s.getName());
    }
    RECSYNC_RETURN_IF_ERROR(ReadSetting(path, s, *spec, settings));
  }
  RECSYNC_RETURN_IF_ERROR(Validate(settings, path));
  return settings;
}

Result<Settings> ApplyOverrides(Settings s, const SettingsOverrides& o) {
  for (const SettingSpec& spec : SettingsTable()) {
    if (o.given.count(spec.key)) CopySetting(spec, o.values, s);
  }
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
