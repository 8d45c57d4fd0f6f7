#include "reconcile/event_applier.h"

#include <spdlog/spdlog.h>

#include <map>
#include <set>

namespace recsync {
namespace {

bool IsFileEvent(const std::string& kind) { return kind == "deleted" || kind == "moved_from"; }

// Pending again, or failed for good once it has used up its attempts.
const char* AfterError(const EventRecord& e, int max_attempts) {
  return e.attempts + 1 >= max_attempts ? "failed" : "pending";
}

}  // namespace

Result<ApplyStats> EventApplier::ApplyPending(int64_t after_seq) {
  ApplyStats stats;
  auto pending = journal_.PendingEvents(after_seq, static_cast<int64_t>(options_.max_events));
  if (!pending.ok()) return pending.status();
  if (pending->empty()) return stats;
  stats.last_seq = pending->back().seq;

  std::vector<const EventRecord*> events;
  std::vector<std::string> paths;
  for (const auto& e : *pending) {
    if (!IsFileEvent(e.kind)) continue;
    events.push_back(&e);
    paths.push_back(e.path);
  }
  if (events.empty()) return stats;

  // Which files are really gone; a hung mount leaves the whole pass pending.
  auto checks = RunBounded<std::vector<PathCheck>>(
      [disk = disk_, paths] {
        std::vector<PathCheck> out;
        for (const auto& p : paths) out.push_back(disk->Check(p));
        return out;
      },
      options_.probe_timeout);

  std::vector<EventOutcome> outcomes;
  std::map<int64_t, std::pair<const EventRecord*, std::vector<MediaRow>>> to_archive;
  std::vector<MediaRow> rows_to_archive;
  for (size_t i = 0; i < events.size(); ++i) {
    const EventRecord& e = *events[i];
    EventOutcome out{e.seq, "pending", {}, ""};
    auto retry_or_fail = [&](const std::string& error) {
      out.error = error;
      out.state = AfterError(e, options_.max_attempts);
    };
    if (!checks) {
      retry_or_fail("storage did not answer within the probe timeout");
    } else if ((*checks)[i].presence == Presence::kPresent) {
      out.state = "ignored";
      out.error = "the file exists again";
    } else if ((*checks)[i].presence == Presence::kUnknown) {
      retry_or_fail("cannot tell whether the file exists: " + ErrnoText((*checks)[i].err));
    } else {
      auto rows = resolver_.Resolve(e.path);
      if (!rows.ok()) {
        if (rows.status().code() == Code::kUnavailable) return rows.status();
        retry_or_fail(rows.status().message());
      } else if (rows->empty()) {
        out.state = "ignored";
      } else {
        rows_to_archive.insert(rows_to_archive.end(), rows->begin(), rows->end());
        to_archive[e.seq] = {&e, std::move(*rows)};
        continue;  // settled after the archive below
      }
    }
    outcomes.push_back(std::move(out));
  }

  if (!rows_to_archive.empty()) {
    auto changed = catalog_.ArchiveRows(rows_to_archive);
    if (!changed.ok()) {
      if (changed.status().code() == Code::kUnavailable) return changed.status();
      for (auto& [seq, entry] : to_archive) {
        outcomes.push_back(
            {seq, AfterError(*entry.first, options_.max_attempts), {}, changed.status().message()});
      }
    } else {
      std::vector<ActionRecord> actions;
      const int64_t now = clock_.NowMs();
      std::set<int64_t> recorded;  // one path deleted twice in a pass: one action
      for (auto& [seq, entry] : to_archive) {
        EventOutcome out{seq, "applied", {}, ""};
        for (const auto& r : entry.second) {
          out.media_ids.push_back(r.id);
          if (recorded.insert(r.id).second) {
            actions.push_back({0, r.id, r.filepath, now, "archive", "event", seq, ""});
          }
        }
        resolver_.Forget(entry.first->path, out.media_ids);
        outcomes.push_back(std::move(out));
      }
      stats.archived = static_cast<int64_t>(changed->size());
      RECSYNC_RETURN_IF_ERROR(journal_.RecordActions(actions));
    }
  }
  for (const auto& o : outcomes) {
    if (o.state == "applied") ++stats.applied;
    else if (o.state == "ignored") ++stats.ignored;
    else if (o.state == "failed") ++stats.failed;
    else ++stats.retried;
  }
  RECSYNC_RETURN_IF_ERROR(journal_.SettleEvents(outcomes, clock_.NowMs()));
  if (stats.archived > 0) {
    spdlog::info("archived {} rows for {} deleted files", stats.archived, stats.applied);
  }
  return stats;
}

}  // namespace recsync
