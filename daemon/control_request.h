// What a control-socket request asks for, read with its types checked.
//
// A request is one JSON object with a string "cmd" and the fields that
// command knows. A field of the wrong type, out of range or unknown to the
// command is refused with one line naming it and what it must be ("dry_run
// must be true or false"), never with a JSON library's exception text, and
// an unknown field is never silently ignored.
//
// Pure functions without state: any thread (the daemon calls them on its loop).
#pragma once

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "daemon/sweep_queue.h"

namespace recsync {

// The request's command; kInvalid when "cmd" is missing or not a string.
Result<std::string> RequestCommand(const nlohmann::json& request);

// Refuses every field of `request` other than "cmd" and `known`, naming it
// and the fields `cmd` takes.
Status CheckKnownFields(const nlohmann::json& request, const std::string& cmd,
                        std::initializer_list<const char*> known);

// {"cmd":"status", "unchanged"?: <a status>, "wait_ms"?: ms >= 0}: how long
// the client waits for a change (nullopt: answer now), capped at 24 h.
Result<std::optional<std::chrono::milliseconds>> ParseStatusWait(const nlohmann::json& request);

// {"cmd":"sweep", "dry_run"?, "force"?, "relist"?: true|false,
//  "min_age"?: whole seconds >= 0, "max_missing_ratio"?: 0..1,
//  "batch_size"?: 1..kMaxBatchSize, "storage"?: [absolute paths]}
// (the ranges of the config keys of the same names).
struct SweepAsk {
  SweepSpec spec;
  std::vector<std::string> storage;  // empty: every root
};
Result<SweepAsk> ParseSweepRequest(const nlohmann::json& request);

// {"cmd":"retry", "all": true} or {"cmd":"retry", "seqs": [seq >= 1, ...]}:
// exactly one of the two.
struct RetryAsk {
  bool all = false;
  std::vector<int64_t> seqs;
};
Result<RetryAsk> ParseRetryRequest(const nlohmann::json& request);

// One of the daemon's roots: its canonical path and its configured
// spellings (root_monitor.h).
struct DaemonRoot {
  std::string id;
  std::vector<std::string> spellings;
};

// The ids of the daemon's roots that `requested` names, in the order asked.
// A requested root matches a root's canonical path or any of its configured
// spellings, lexically tidied (NormalizeRoot: "//", "/./" and trailing
// slashes do not matter); one that matches none is kInvalid, naming the
// daemon's roots. The one place that decides which root a spelling names.
Result<std::vector<std::string>> MatchDaemonRoots(const std::vector<std::string>& requested,
                                                  const std::vector<DaemonRoot>& daemon_roots);

}  // namespace recsync
