// SweepTrigger: why a sweep runs. Text ("startup", "periodic", ...) only at
// the edges: the journal's sweeps table, status JSON and the log.
//
// Thread rules: plain values and pure functions.
#pragma once

#include <optional>
#include <string_view>

namespace recsync {

enum class SweepTrigger {
  kStartup,   // the daemon started: everything is listed afresh
  kPeriodic,  // sweep_interval elapsed
  kManual,    // `recsync sweep` (in-process or through the daemon)
  kOverflow,  // the kernel's event queue overflowed: events were lost
  kPressure,  // a root is fuller than its Storage.max_thresh + 5 %
  kOnline,    // a root came online or back
};

// Every trigger, in the order status and the metrics list them.
inline constexpr SweepTrigger kSweepTriggers[] = {
    SweepTrigger::kStartup,  SweepTrigger::kPeriodic, SweepTrigger::kManual,
    SweepTrigger::kOverflow, SweepTrigger::kPressure, SweepTrigger::kOnline};

std::string_view ToText(SweepTrigger trigger);
std::optional<SweepTrigger> ParseSweepTrigger(std::string_view text);

}  // namespace recsync
