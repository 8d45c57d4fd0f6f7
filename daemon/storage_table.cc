#include "daemon/storage_table.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/path.h"

namespace recsync {
namespace {

// Waits `total`, in steps so a stop is not held up; false when cancelled.
bool WaitUnlessCancelled(std::chrono::milliseconds total, const std::atomic<bool>& cancel) {
  constexpr auto kStep = std::chrono::milliseconds(100);
  for (auto waited = std::chrono::milliseconds(0); waited < total; waited += kStep) {
    if (cancel) return false;
    std::this_thread::sleep_for(kStep);
  }
  return !cancel;
}

// The Storage table's rows; an error while it cannot be read.
Result<std::vector<StorageInfo>> ReadStorageTable(Connections& c) {
  auto catalog = c.catalog();
  if (!catalog.ok()) return catalog.status();
  return (*catalog)->StorageInfos();
}

std::vector<ConfiguredRoot> RootsFrom(const std::vector<std::string>& storage,
                                      const std::vector<StorageInfo>& infos) {
  std::vector<ConfiguredRoot> roots;
  if (storage.empty()) {
    for (const auto& info : infos) roots.push_back({info.path, info.max_thresh, info.min_thresh});
    return roots;
  }
  for (const auto& p : storage) {
    ConfiguredRoot r{p, 0, 0};
    for (const auto& info : infos) {
      if (NormalizeRoot(info.path) == NormalizeRoot(p)) {
        r.max_thresh = info.max_thresh;
        r.min_thresh = info.min_thresh;
      }
    }
    roots.push_back(std::move(r));
  }
  return roots;
}

}  // namespace

std::optional<ConfiguredRoots> ReadConfiguredRoots(Connections& c, const std::vector<std::string>& storage,
                                                   const std::atomic<bool>& cancel,
                                                   const std::function<void(const Status&)>& on_retry) {
  std::vector<StorageInfo> infos;
  auto backoff = std::chrono::milliseconds(500);
  for (;;) {
    auto got = ReadStorageTable(c);
    if (got.ok()) {
      infos = std::move(*got);
      break;
    }
    // Configured roots do not need the database (only their thresholds do).
    if (!storage.empty()) break;
    spdlog::warn("cannot read the Storage table ({}); retrying", got.status().message());
    on_retry(got.status());
    if (!WaitUnlessCancelled(backoff, cancel)) return std::nullopt;
    backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
  }
  ConfiguredRoots out;
  out.roots = RootsFrom(storage, infos);
  if (auto got = c.journal().Roots(); got.ok()) {
    for (auto& r : *got) out.records[r.path] = std::move(r);
  } else {
    spdlog::warn("{}", got.status().message());
  }
  return out;
}

}  // namespace recsync
