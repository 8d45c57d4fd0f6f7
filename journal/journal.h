// Journal: recsync's local, durable record of everything it saw and did.
//
// What the journal guarantees
// - Durability before action: AppendEvents() returns only after the events are
//   committed (SQLite WAL, synchronous=FULL). Nothing acts on an event before
//   that, so a crash or a database outage never loses one.
// - Order: events get strictly increasing `seq` numbers in commit order and
//   PendingEvents() returns them in that order.
// - Audit: every Media row recsync archived (or re-pointed) is in `actions`,
//   with the event or sweep that caused it. Actions are never pruned.
// - Concurrent readers: another process may read (the `journal` CLI) while the
//   daemon writes; readers never block the writer for long (WAL) and wait up to
//   a busy timeout instead of failing on a momentary lock.
// - Clear failures: a journal that cannot be created, is read-only, locked or
//   not a recsync journal yields one Status naming the file and the fix.
// - Damage is kCorrupt, from any call (SQLITE_CORRUPT, SQLITE_NOTADB), with
//   the fix (move it aside; a new journal is created) and a report to the
//   process's fault handler (journal_fault.h). Opening checks the header,
//   the schema and both edges of every table and index b-tree (a few pages
//   each, not the whole file), refuses a journal marked damaged (read-write
//   only), and a new journal sets aside a -wal and -shm left beside it.
//
// Schema (version kJournalSchemaVersion, stored in PRAGMA user_version, with
// PRAGMA application_id = kJournalApplicationId marking the file as ours):
// events (the queue, by seq), sweeps, actions (the audit trail), roots,
// listings (remembered folder listings) and intents (a catalog transaction's
// actions before its COMMIT). journal/schema.md gives every column and what
// each version changed. Opening read-write migrates an older file forward
// step by step in one transaction, so a crash mid-migration leaves the old
// version intact. A newer version than this binary knows is refused;
// read-only opens never migrate and refuse an older version too (open it
// read-write once).
//
// Paths are stored as BLOBs: they are bytes on Linux and may hold newlines or
// invalid UTF-8; they round-trip exactly.
//
// Thread-safety: one Journal object is used by one thread at a time. Several
// Journal objects (in one process or several) may open the same file.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/event_kind.h"
#include "common/status.h"
#include "journal/vocabulary.h"

namespace SQLite {
class Database;
}

namespace recsync {

inline constexpr int kJournalSchemaVersion = 8;
// PRAGMA application_id of a recsync journal ("RcSy"); tells our file apart
// from any other SQLite database at the configured path.
inline constexpr int32_t kJournalApplicationId = 0x52635379;
// How long a statement waits for another connection's lock before kBusy.
inline constexpr int kJournalBusyTimeoutMs = 5000;

// The event states and kinds recsync writes: kEventStates
// (journal/vocabulary.h) and kJournaledKinds (common/event_kind.h). The
// `journal` CLI validates its filters against these lists.

// An event as the watcher reports it, before it has a sequence number.
struct NewEvent {
  int64_t time_ms = 0;
  std::string path;
  EventKind kind = EventKind::kDeleted;  // one of kJournaledKinds
  uint32_t cookie = 0;  // the kernel's rename cookie (kMovedFrom/kMovedTo), else 0
  bool is_dir = false;  // a whole directory moved

  // An event of `kind` at `path` (for kRootGone the root; "" for kOverflow).
  static NewEvent Of(EventKind kind, int64_t time_ms, std::string path) {
    return {time_ms, std::move(path), kind, 0, false};
  }
  // One half of a rename (kind kMovedFrom or kMovedTo).
  static NewEvent Move(EventKind kind, int64_t time_ms, std::string path, uint32_t cookie,
                       bool is_dir) {
    return {time_ms, std::move(path), kind, cookie, is_dir};
  }
};

struct EventRecord {
  int64_t seq = 0;
  int64_t time_ms = 0;
  std::string path;
  EventKind kind = EventKind::kDeleted;
  EventState state = EventState::kPending;
  std::vector<int64_t> media_ids;
  int attempts = 0;
  std::string last_error;
  int64_t updated_ms = 0;
  uint32_t cookie = 0;
  bool is_dir = false;
};

// What ListEvents() returns; unset fields do not filter.
struct EventFilter {
  std::optional<EventState> state;
  std::optional<EventKind> kind;
  std::optional<int64_t> since_ms;       // time_ms >= since_ms
  std::optional<std::string> path_glob;  // SQLite GLOB on the path
  std::optional<int64_t> before_seq;     // seq < before_seq (paging)
  int64_t limit = 100;                   // newest first; <= 0 means no limit
};

// A path whose deletion (or move out of the roots) was journaled.
struct DeletedPath {
  std::string path;
  bool is_dir = false;
};

// How a pending event was settled; see SettleEvents().
struct EventOutcome {
  int64_t seq = 0;
  EventState state = EventState::kPending;  // kPending: to be tried again
  std::vector<int64_t> media_ids;
  std::string error;  // the last error, kept for failed and retried pending events

  // Done, with the rows it changed; `note` says how it was settled, if not
  // by applying it.
  static EventOutcome Applied(int64_t seq, std::vector<int64_t> media_ids = {},
                              std::string note = "") {
    return {seq, EventState::kApplied, std::move(media_ids), std::move(note)};
  }
  // Applied with the rows it changed; ignored when it changed none.
  static EventOutcome AppliedOrIgnored(int64_t seq, std::vector<int64_t> media_ids) {
    const EventState state = media_ids.empty() ? EventState::kIgnored : EventState::kApplied;
    return {seq, state, std::move(media_ids), ""};
  }
  // Nothing to do, and why ("" when that is the usual case).
  static EventOutcome Ignored(int64_t seq, std::string reason = "") {
    return {seq, EventState::kIgnored, {}, std::move(reason)};
  }
  // Can never be applied as things stand; `media_ids` were changed anyway.
  static EventOutcome Failed(int64_t seq, std::string reason,
                             std::vector<int64_t> media_ids = {}) {
    return {seq, EventState::kFailed, std::move(media_ids), std::move(reason)};
  }
  // Left pending, to be tried again, and why; `media_ids` were changed already.
  static EventOutcome Pending(int64_t seq, std::string reason,
                              std::vector<int64_t> media_ids = {}) {
    return {seq, EventState::kPending, std::move(media_ids), std::move(reason)};
  }
};

// What is not settled up to a point (see Unsettled()): events that failed
// and events still pending (held ones included), with the latest of each.
struct UnsettledEvents {
  int64_t failed = 0;
  int64_t pending = 0;
  std::optional<EventRecord> latest_failed;   // the failed one of highest seq
  std::optional<EventRecord> latest_pending;  // the pending one of highest seq
};

// What RetryFailed() did with each seq it was given.
struct RetryResult {
  std::vector<int64_t> retried;
  // Seqs left alone, with their state (none when the journal has no such
  // event, e.g. pruned).
  std::vector<std::pair<int64_t, std::optional<EventState>>> skipped;
};

struct SweepRecord {
  int64_t id = 0;
  std::string trigger;  // startup | periodic | manual | overflow | pressure | online
  int64_t started_ms = 0;
  int64_t finished_ms = 0;  // 0 while running
  std::string outcome;      // running | done | partial | error | cancelled (by an operator)
  bool dry_run = false;
  int64_t checked = 0;
  int64_t missing = 0;
  int64_t unknown = 0;
  int64_t archived = 0;
  std::string report_json;  // the whole per-root report, as printed by `sweep --json`
};

struct ActionRecord {
  int64_t id = 0;
  int64_t media_id = 0;
  std::string path;
  int64_t time_ms = 0;
  ActionKind action = ActionKind::kArchive;
  Cause cause = Cause::kSweep;
  int64_t cause_id = 0;  // sweep id or event seq
  std::string detail;    // for repath: the new path
  // One action on row `media_id` at `path`, caused by sweep or event
  // `cause_id`; `id` is set by the journal.
  static ActionRecord Archive(int64_t media_id, std::string path, int64_t time_ms, Cause cause,
                              int64_t cause_id, std::string detail = "") {
    return {0, media_id, std::move(path), time_ms, ActionKind::kArchive, cause, cause_id,
            std::move(detail)};
  }
  static ActionRecord Repath(int64_t media_id, std::string old_path, std::string new_path,
                             int64_t time_ms, Cause cause, int64_t cause_id) {
    return {0, media_id, std::move(old_path), time_ms, ActionKind::kRepath, cause, cause_id,
            std::move(new_path)};
  }
  static ActionRecord Restore(int64_t media_id, std::string path, int64_t time_ms, Cause cause,
                              int64_t cause_id) {
    return {0, media_id, std::move(path), time_ms, ActionKind::kRestore, cause, cause_id, ""};
  }
};

// Actions by reference: a batch's thousands of actions are written without
// copying them.
using ActionRefs = std::vector<const ActionRecord*>;
// The references of `actions`, which must outlive them.
ActionRefs RefsOf(const std::vector<ActionRecord>& actions);

struct ActionFilter {
  std::optional<int64_t> sweep_id;
  std::optional<int64_t> since_ms;
  // Only actions of this kind and cause (filtered by SQLite: a sweep that
  // wants a day's event archives does not hold every sweep action meanwhile).
  std::optional<ActionKind> action;
  std::optional<Cause> cause;
  std::optional<int64_t> before_id;  // id < before_id (paging, newest first)
  bool newest_first = false;
  int64_t limit = 0;  // <= 0 means no limit; oldest first unless newest_first
};

// Rows archived on one local day ("2026-12-01").
struct DayCount {
  std::string day;
  int64_t archived = 0;
};

// What recsync last saw of a storage root; the sweep compares against it to
// notice a storage that was a mount point and no longer is.
struct RootRecord {
  std::string path;
  uint64_t st_dev = 0;
  bool mount_point = false;
  std::string fs_type;
  int64_t seen_ms = 0;
  // The mount point of the filesystem the root lay on ("" when unknown,
  // e.g. recorded by a version-2 journal).
  std::string mount_path;
};

// A folder listing remembered between sweeps (reconcile/listing_cache.h):
// the folder's stat identity and times when it was listed, and its names as
// `format`-numbered digests, packed. The journal stores it as given.
struct ListingRecord {
  std::string dir;
  uint64_t st_dev = 0;
  uint64_t st_ino = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  int64_t listed_ms = 0;
  int format = 0;
  std::string names;
};

struct JournalStats {
  int schema_version = 0;
  std::string path;
  int64_t size_bytes = 0;  // main file plus WAL
  int64_t events_total = 0;
  int64_t events_pending = 0;
  int64_t events_applied = 0;
  int64_t events_ignored = 0;
  int64_t events_failed = 0;
  int64_t oldest_pending_ms = 0;  // 0 when none
  int64_t sweeps = 0;
  int64_t actions = 0;
  std::optional<SweepRecord> last_sweep;
};

class Journal {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // Opens (kReadWrite: creating it, mode 0640, and its directory, mode 0750,
  // when missing) and migrates the journal at `path`. kReadOnly never creates
  // or migrates and fails with kNotFound when the file does not exist.
  // Errors name the file: permission denied, read-only filesystem, locked by
  // another process past the busy timeout, not a SQLite file, newer schema.
  // A read-write open probes with a write transaction, so a read-only file,
  // directory or filesystem fails here rather than at the first append.
  // A read-only open that may not create the -shm file while no writer is
  // active (no -wal file) reads the file as immutable instead of failing.
  static Result<std::unique_ptr<Journal>> Open(const std::string& path, Mode mode);
  // As above with a chosen busy timeout (tests use a short one).
  static Result<std::unique_ptr<Journal>> Open(const std::string& path, Mode mode,
                                               int busy_timeout_ms);

  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  const std::string& path() const { return path_; }
  int schema_version() const;

  // ---- events ----
  // Commits all events in one transaction (state pending, attempts 0) and
  // returns their sequence numbers in order. Durable when it returns OK. A
  // kind the journal does not keep (not in kJournaledKinds) is kInvalid and
  // nothing is written.
  Result<std::vector<int64_t>> AppendEvents(const std::vector<NewEvent>& events);
  // Pending events in seq order, at most `limit` (<= 0: all), with seq > after_seq.
  Result<std::vector<EventRecord>> PendingEvents(int64_t after_seq, int64_t limit);
  // Records the outcome of each event in one transaction; increments attempts
  // and sets updated_ms = now_ms. An unknown seq fails the whole call
  // (kNotFound) and changes nothing.
  Status SettleEvents(const std::vector<EventOutcome>& outcomes, int64_t now_ms);
  // Settles every pending event of `kind` with seq <= up_to_seq (and, when
  // `path` is non-empty, exactly that path, byte for byte) as `state`:
  // attempts + 1, updated_ms = now_ms; media_ids and last_error are kept.
  // Returns how many events changed. (The daemon settles "overflow" events
  // once their sweep is done, and a root's "unmounted" events once it is back.)
  Result<int64_t> SettlePending(EventKind kind, const std::string& path,
                                int64_t up_to_seq, EventState state, int64_t now_ms);
  // As SettlePending() for every path, choosing events by when they were
  // seen instead of by seq: pending events of `kind` with time_ms <=
  // seen_by_ms. (A full sweep that began after an overflow was seen
  // accounts for it, even when the overflow was committed only after the
  // sweep read the last seq.)
  Result<int64_t> SettlePendingSeenBy(EventKind kind, int64_t seen_by_ms,
                                      EventState state, int64_t now_ms);
  // The pending "moved_to" event with `cookie` and the lowest seq > after_seq,
  // if any: the second half of a rename whose first half is being applied.
  Result<std::optional<EventRecord>> FindPendingMovedTo(uint32_t cookie, int64_t after_seq);
  // The pending "moved_from" event with `cookie` and the highest seq <
  // before_seq, if any: the first half of a rename, for a "moved_to" that
  // must not be taken for a move into the roots while its first half waits.
  Result<std::optional<EventRecord>> FindPendingMovedFrom(uint32_t cookie, int64_t before_seq);
  // The paths of the "deleted" and "moved_from" events journaled at or after
  // `since_ms` that were not settled "ignored" (the file was there again, or
  // had no rows): deletions the daemon saw, for the sweep's ratio guard.
  Result<std::vector<DeletedPath>> DeletedPathsSince(int64_t since_ms);
  // The highest seq ever assigned (0 when none), also when those events have
  // been pruned since: a seq is never reused.
  Result<int64_t> LastSeq();
  // How many events are in `state`; cheap, from the (state, seq) index.
  Result<int64_t> CountEvents(EventState state);
  Result<std::vector<EventRecord>> ListEvents(const EventFilter& filter);
  Result<std::optional<EventRecord>> GetEvent(int64_t seq);

  // ---- failed and held work (journal/unsettled.cc) ----
  // Events with seq <= up_to_seq in state failed or pending: how many of
  // each, and the latest of each with its last_error (a sync reports them).
  // From the (state, seq) index.
  Result<UnsettledEvents> Unsettled(int64_t up_to_seq);
  // `recsync journal retry`: the failed events among `seqs` become pending
  // again, in one transaction, with attempts reset to 0 (a retried event
  // gets the whole attempt budget of a new one: the operator retries once
  // the cause is fixed, and a passing blip must not fail it at once) and
  // updated_ms = now_ms. last_error is kept until the next attempt replaces
  // it. Seqs not in state failed (or not in the journal) are left alone and
  // listed in `skipped`; each seq counts once. Both lists in seq order.
  Result<RetryResult> RetryFailed(const std::vector<int64_t>& seqs, int64_t now_ms);
  // As RetryFailed() for every failed event; returns the seqs retried, in order.
  Result<std::vector<int64_t>> RetryAllFailed(int64_t now_ms);

  // ---- sweeps ----
  // Inserts a sweep in state "running" and returns its id.
  Result<int64_t> BeginSweep(const std::string& trigger, bool dry_run, int64_t started_ms);
  // Stores the final figures and report of sweep `record.id` (kNotFound when
  // there is no such sweep).
  Status FinishSweep(const SweepRecord& record);
  // Newest first; limit <= 0 means all.
  Result<std::vector<SweepRecord>> ListSweeps(int64_t limit);
  Result<std::optional<SweepRecord>> GetSweep(int64_t id);

  // ---- actions (the audit trail) ----
  // Records actions that have happened (confirmed).
  Status RecordActions(const std::vector<ActionRecord>& actions);
  // Confirmed actions only: what recsync did.
  Result<std::vector<ActionRecord>> ListActions(const ActionFilter& filter);
  // Archive actions per local day since `since_ms`, oldest day first (days
  // without any are absent). Finds the first action of the span by id (ids
  // grow with time), so it reads only the span's rows.
  Result<std::vector<DayCount>> ArchivesPerDay(int64_t since_ms);
  // The rows recsync archived at `path` (byte for byte) at or after
  // `since_ms` and has not restored since: each row's latest archive
  // action, newest first. Served by the actions_by_path index.
  Result<std::vector<ActionRecord>> ArchivedSinceRestore(const std::string& path,
                                                         int64_t since_ms);

  // Intents close the crash window between a catalog COMMIT and its audit
  // record. RecordIntent() runs inside the catalog transaction, before its
  // COMMIT (Catalog::ChangeHook), and durably writes the actions it is about
  // to make as one intent. ConfirmIntents() replaces intents by the actions
  // that happened, in one transaction, once the COMMIT returned. After a
  // crash, Intents() lists what is left; SettleIntents()
  // (reconcile/audited_change.h) asks the catalog which of those actions
  // happened and confirms them.
  // One row per transaction, not per action: a sweep's batch of 5,000 is one
  // insert, and its confirmation inserts the actions once instead of
  // inserting and then updating each (docs/performance.md).
  // Returns the intent's id, for ConfirmIntents(); kInvalid for no actions.
  Result<int64_t> RecordIntent(const ActionRefs& actions);
  Result<int64_t> RecordIntent(const std::vector<ActionRecord>& actions) {
    return RecordIntent(RefsOf(actions));
  }
  // Drops the intents `intent_ids` and records `happened` in the audit trail,
  // atomically. `committed_ms`, when given, becomes the actions' time: when
  // the change took effect, rather than when it was planned. If any of the
  // intents is gone already (settled by another connection), nothing
  // changes and the result is false: an action is never recorded twice.
  Result<bool> ConfirmIntents(const std::vector<int64_t>& intent_ids, const ActionRefs& happened,
                              std::optional<int64_t> committed_ms = std::nullopt);
  Result<bool> ConfirmIntents(const std::vector<int64_t>& intent_ids,
                              const std::vector<ActionRecord>& happened,
                              std::optional<int64_t> committed_ms = std::nullopt) {
    return ConfirmIntents(intent_ids, RefsOf(happened), committed_ms);
  }
  // Every action of every intent not confirmed yet, oldest intent first;
  // each action's `id` is that of its intent. An intent that does not
  // decode is left out, its id added to `damaged` when given.
  Result<std::vector<ActionRecord>> Intents(std::vector<int64_t>* damaged = nullptr);

  // ---- roots ----
  // PutRoot inserts or replaces the record for root.path.
  Result<std::optional<RootRecord>> GetRoot(const std::string& path);
  // Every root's record.
  Result<std::vector<RootRecord>> Roots();
  Status PutRoot(const RootRecord& root);

  // ---- folder listings ----
  // Calls `fn` with every remembered listing, one at a time (a large
  // storage has tens of thousands).
  Status EachListing(const std::function<void(ListingRecord&&)>& fn);
  // The folders of every remembered listing, whatever its age or format:
  // what a sweep may have to drop, without reading the listings.
  Result<std::vector<std::string>> ListingDirs();
  // In one transaction: inserts or replaces the listings in `put` and
  // deletes those of the folders in `drop`.
  Status UpdateListings(const std::vector<ListingRecord>& put, const std::vector<std::string>& drop);

  // ---- maintenance ----
  // Deletes applied and ignored events whose time_ms is older than
  // now_ms - older_than_days days. Pending and failed events, sweeps and
  // actions are kept. Returns how many events were deleted; older_than_days < 0
  // is kInvalid.
  Result<int64_t> Prune(int64_t older_than_days, int64_t now_ms);
  Result<JournalStats> Stats();

 private:
  Journal(std::string path, std::unique_ptr<SQLite::Database> db);
  std::string path_;
  std::unique_ptr<SQLite::Database> db_;
};

}  // namespace recsync
