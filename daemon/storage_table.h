// The daemon's configured roots: the `storage` setting, else Bluecherry's
// Storage table, with each root's max_thresh and the journal's records of
// the roots.
//
// Thread rules: runs on the probe worker, with that worker's connections.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/connections.h"
#include "daemon/root_monitor.h"

namespace recsync {

struct ConfiguredRoots {
  std::vector<ConfiguredRoot> roots;             // as configured, in order
  std::map<std::string, RootRecord> records;     // the journal's, by canonical path
};

// Reads the roots. With `storage` configured, the Storage table only adds
// thresholds and one attempt is enough; without it, an unreadable table is
// retried with capped backoff (`on_retry` gets each error) until it is read
// or `cancel` is set (then there is no answer).
std::optional<ConfiguredRoots> ReadConfiguredRoots(Connections& c, const std::vector<std::string>& storage,
                                                   const std::atomic<bool>& cancel,
                                                   const std::function<void(const Status&)>& on_retry);

}  // namespace recsync
