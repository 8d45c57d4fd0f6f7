#include "cli/global_flags.h"

#include <CLI/CLI.hpp>
#include <type_traits>
#include <variant>

namespace recsync {

GlobalFlags::GlobalFlags(CLI::App& app) {
  config_ = app.add_option("--config", config_path_, "recsync's config file")
                ->capture_default_str();
  for (const SettingSpec& spec : SettingsTable()) {
    const std::string help =
        std::string(spec.help) + " (default: " + DefaultText(spec) + ")";
    CLI::Option* option = std::visit(
        [&](auto field) { return app.add_option(FlagName(spec), given_.values.*field, help); },
        spec.field);
    // One value per occurrence.
    option->expected(1)->allow_extra_args(false);
    if (std::holds_alternative<std::vector<std::string> Settings::*>(spec.field)) {
      // A list accumulates: each --storage adds a root.
      option->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
    }
    options_.emplace_back(&spec, option);
  }
}

void GlobalFlags::NoteGiven() {
  for (const auto& [spec, option] : options_) {
    if (option->count() > 0) given_.given.insert(std::string(spec->key));
  }
}

Result<Settings> GlobalFlags::Load() const {
  auto loaded = LoadSettings(config_path_, /*required=*/config_->count() > 0);
  if (!loaded.ok()) return loaded.status();
  return ApplyOverrides(*loaded, given_);
}

}  // namespace recsync
