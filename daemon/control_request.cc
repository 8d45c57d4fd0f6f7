#include "daemon/control_request.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

#include "common/path.h"
#include "common/text.h"
#include "config/config.h"

namespace recsync {
namespace {

using nlohmann::json;

Status Invalid(const std::string& message) { return Status(Code::kInvalid, message); }

// A JSON integer within [min, max]; floats (even 5.0) and anything else fail.
std::optional<int64_t> WholeNumber(const json& v, int64_t min, int64_t max) {
  int64_t n = 0;
  if (v.is_number_unsigned()) {
    const auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
    n = static_cast<int64_t>(u);
  } else if (v.is_number_integer()) {
    n = v.get<int64_t>();
  } else {
    return std::nullopt;
  }
  if (n < min || n > max) return std::nullopt;
  return n;
}

Status ReadBool(const json& request, const char* name, bool& out) {
  if (!request.contains(name)) return Status::Ok();
  const json& v = request[name];
  if (!v.is_boolean()) return Invalid(fmt::format("{} must be true or false", name));
  out = v.get<bool>();
  return Status::Ok();
}

Status ReadWhole(const json& request, const char* name, int64_t min, int64_t max,
                 const std::string& must, std::optional<int64_t>& out) {
  if (!request.contains(name)) return Status::Ok();
  out = WholeNumber(request[name], min, max);
  if (!out) return Invalid(fmt::format("{} must be {}", name, must));
  return Status::Ok();
}

Status ReadRatio(const json& request, std::optional<double>& out) {
  if (!request.contains("max_missing_ratio")) return Status::Ok();
  const json& v = request["max_missing_ratio"];
  if (!v.is_number() || !(v.get<double>() >= 0.0 && v.get<double>() <= 1.0)) {
    return Invalid("max_missing_ratio must be a number between 0 and 1");
  }
  out = v.get<double>();
  return Status::Ok();
}

Status ReadStorage(const json& request, std::vector<std::string>& out) {
  if (!request.contains("storage")) return Status::Ok();
  const json& v = request["storage"];
  const auto bad = Invalid(R"(storage must be a list of absolute paths, e.g. ["/srv/a"])");
  if (!v.is_array()) return bad;
  for (const auto& root : v) {
    if (!root.is_string() || root.get<std::string>().rfind('/', 0) != 0) return bad;
    out.push_back(root.get<std::string>());
  }
  return Status::Ok();
}

std::string ShownRoots(const std::vector<std::string>& roots) {
  if (roots.empty()) return "it has loaded none yet";
  std::string out;
  for (const auto& r : roots) out += (out.empty() ? "" : ", ") + PrintableText(r);
  return out;
}

}  // namespace

Result<std::string> RequestCommand(const json& request) {
  const auto cmd = request.find("cmd");
  if (cmd == request.end() || !cmd->is_string()) {
    return Invalid("cmd must be a string: status, sweep, sync or retry");
  }
  return cmd->get<std::string>();
}

Status CheckKnownFields(const json& request, const std::string& cmd,
                        std::initializer_list<const char*> known) {
  for (const auto& [key, value] : request.items()) {
    if (key == "cmd") continue;
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string list;
    for (const char* k : known) list += (list.empty() ? "" : ", ") + std::string(k);
    return Invalid(fmt::format("a {} request has no field \"{}\" ({})", cmd, key,
                               list.empty() ? "it takes none" : "it takes " + list));
  }
  return Status::Ok();
}

Result<std::optional<std::chrono::milliseconds>> ParseStatusWait(const json& request) {
  RECSYNC_RETURN_IF_ERROR(CheckKnownFields(request, "status", {"unchanged", "wait_ms"}));
  if (!request.contains("wait_ms")) return std::optional<std::chrono::milliseconds>();
  const json& wait = request["wait_ms"];
  if (!wait.is_number() || !(wait.get<double>() >= 0)) {
    return Invalid("wait_ms must be a number of milliseconds, 0 or more");
  }
  constexpr double kMaxWaitMs = 24.0 * 3600 * 1000;
  return std::optional(
      std::chrono::milliseconds(static_cast<int64_t>(std::min(wait.get<double>(), kMaxWaitMs))));
}

Result<SweepAsk> ParseSweepRequest(const json& request) {
  RECSYNC_RETURN_IF_ERROR(CheckKnownFields(
      request, "sweep",
      {"dry_run", "force", "relist", "min_age", "max_missing_ratio", "batch_size", "storage"}));
  SweepAsk ask;
  RECSYNC_RETURN_IF_ERROR(ReadBool(request, "dry_run", ask.spec.dry_run));
  RECSYNC_RETURN_IF_ERROR(ReadBool(request, "force", ask.spec.force));
  RECSYNC_RETURN_IF_ERROR(ReadBool(request, "relist", ask.spec.relist));
  RECSYNC_RETURN_IF_ERROR(ReadWhole(request, "min_age", 0, std::numeric_limits<int64_t>::max(),
                                    "a whole number of seconds, 0 or more", ask.spec.min_age_s));
  RECSYNC_RETURN_IF_ERROR(ReadRatio(request, ask.spec.max_missing_ratio));
  RECSYNC_RETURN_IF_ERROR(ReadWhole(request, "batch_size", 1, kMaxBatchSize,
                                    fmt::format("a whole number between 1 and {}", kMaxBatchSize),
                                    ask.spec.batch_size));
  RECSYNC_RETURN_IF_ERROR(ReadStorage(request, ask.storage));
  return ask;
}

Result<RetryAsk> ParseRetryRequest(const json& request) {
  RECSYNC_RETURN_IF_ERROR(CheckKnownFields(request, "retry", {"all", "seqs"}));
  RetryAsk ask;
  RECSYNC_RETURN_IF_ERROR(ReadBool(request, "all", ask.all));
  if (request.contains("seqs")) {
    const json& seqs = request["seqs"];
    const auto bad = Invalid("seqs must be a list of event seqs (whole numbers, 1 or more)");
    if (!seqs.is_array()) return bad;
    for (const auto& s : seqs) {
      auto seq = WholeNumber(s, 1, std::numeric_limits<int64_t>::max());
      if (!seq) return bad;
      ask.seqs.push_back(*seq);
    }
  }
  if (ask.all == !ask.seqs.empty()) {
    return Invalid(R"(a retry request takes either "all": true or a non-empty "seqs" list)");
  }
  return ask;
}

Result<std::vector<std::string>> MatchDaemonRoots(const std::vector<std::string>& requested,
                                                  const std::vector<DaemonRoot>& daemon_roots) {
  std::vector<std::string> out;
  std::vector<std::string> ids;
  for (const auto& r : daemon_roots) ids.push_back(r.id);
  for (const auto& asked : requested) {
    const std::string want = NormalizeRoot(asked);
    auto found = std::find_if(daemon_roots.begin(), daemon_roots.end(), [&](const DaemonRoot& r) {
      return NormalizeRoot(r.id) == want ||
             std::any_of(r.spellings.begin(), r.spellings.end(),
                         [&](const std::string& s) { return NormalizeRoot(s) == want; });
    });
    if (found == daemon_roots.end()) {
      return Invalid(fmt::format(
          "storage {} is not one of the daemon's roots ({}); sweep some of those, or add it to "
          "the Storage table or the storage setting and reload the daemon",
          PrintableText(asked), ShownRoots(ids)));
    }
    if (std::find(out.begin(), out.end(), found->id) == out.end()) out.push_back(found->id);
  }
  return out;
}

}  // namespace recsync
