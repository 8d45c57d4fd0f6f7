#include "app/sweep_options.h"

#include <chrono>
#include <utility>

namespace recsync {

SweepOptions SweepOptionsFor(const Settings& settings, SweepTrigger trigger) {
  SweepOptions options;
  options.trigger = std::string(ToText(trigger));
  options.min_age_s = settings.min_age;
  options.max_missing_ratio = settings.max_missing_ratio;
  options.batch_size = settings.batch_size;
  options.probe_timeout = std::chrono::seconds(settings.probe_timeout);
  options.roots = settings.storage;
  return options;
}

}  // namespace recsync
