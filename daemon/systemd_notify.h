// Talks to systemd when started as a Type=notify service (and is silent
// otherwise): READY once the roots are watched, STATUS lines, WATCHDOG pings
// from the loop (so a wedged loop gets the service restarted), STOPPING.
#pragma once

#include <cstdint>
#include <string>

namespace recsync {

void NotifyReady(const std::string& status);
void NotifyStatus(const std::string& status);
void NotifyStopping();
void NotifyWatchdog();
// Half of WatchdogSec in milliseconds, or 0 when the watchdog is off.
uint64_t WatchdogPingIntervalMs();

}  // namespace recsync
