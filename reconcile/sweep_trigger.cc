#include "reconcile/sweep_trigger.h"

#include <array>
#include <utility>

namespace recsync {
namespace {

constexpr std::array<std::pair<SweepTrigger, std::string_view>, 6> kTriggerText{{
    {SweepTrigger::kStartup, "startup"},
    {SweepTrigger::kPeriodic, "periodic"},
    {SweepTrigger::kManual, "manual"},
    {SweepTrigger::kOverflow, "overflow"},
    {SweepTrigger::kPressure, "pressure"},
    {SweepTrigger::kOnline, "online"},
}};

}  // namespace

std::string_view ToText(SweepTrigger trigger) {
  for (const auto& [value, text] : kTriggerText) {
    if (value == trigger) return text;
  }
  return "unknown";
}

std::optional<SweepTrigger> ParseSweepTrigger(std::string_view text) {
  for (const auto& [value, name] : kTriggerText) {
    if (name == text) return value;
  }
  return std::nullopt;
}

}  // namespace recsync
