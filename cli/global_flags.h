// GlobalFlags: the global options of the command line, made from the
// settings table (config/settings.h): `--config FILE` and one flag per
// setting, `--key` in kebab case, its --help line ending in its default.
//
// A flag given twice takes its last value, except a list (--storage), where
// each one adds a value. Only the flags given override the file.
//
// Thread-safety: used by the thread that runs the command line; Load() may
// be called again later (the daemon's reload) from any one thread at a time.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "config/config.h"

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace recsync {

class GlobalFlags {
 public:
  // Adds the options to `app`, which must outlive this object.
  explicit GlobalFlags(CLI::App& app);
  GlobalFlags(const GlobalFlags&) = delete;
  GlobalFlags& operator=(const GlobalFlags&) = delete;

  // Notes which settings were given; call once, after the command line is
  // parsed.
  void NoteGiven();
  // The settings given on the command line (valid after NoteGiven()).
  const SettingsOverrides& given() const { return given_; }
  // The config file (required when --config was given) with the flags given
  // over it: what a command runs with, and what a reload reads again.
  Result<Settings> Load() const;

 private:
  std::string config_path_ = kDefaultRecsyncConf;
  CLI::Option* config_ = nullptr;
  // Parsed straight into given_.values; given_.given is filled by NoteGiven.
  SettingsOverrides given_;
  std::vector<std::pair<const SettingSpec*, CLI::Option*>> options_;
};

}  // namespace recsync
