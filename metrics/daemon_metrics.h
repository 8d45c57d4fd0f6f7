// The daemon's Prometheus metrics (`GET /metrics`), rendered from one
// DaemonStatus snapshot, so every figure of one scrape is of one moment.
//
// Naming follows Prometheus's rules: base units (seconds, bytes, ratios of
// 0..1), counters end in _total, timestamps in _timestamp_seconds; the only
// paths in labels are the storage roots' (canonical paths). Every other
// label takes a few fixed values (event kinds, sweep triggers and results,
// refusal reasons, causes), all written even when zero so rate() sees a
// series from the start. docs/http.md lists each metric and its meaning.
//
// Thread rules: a pure function of its argument.
#pragma once

#include <string>

#include "daemon/daemon_status.h"

namespace recsync {

// The Content-Type of MetricsText()'s answer.
inline constexpr char kMetricsContentType[] = "text/plain; version=0.0.4; charset=utf-8";

// The metrics as the Prometheus text format 0.0.4.
std::string MetricsText(const DaemonStatus& status);

}  // namespace recsync
