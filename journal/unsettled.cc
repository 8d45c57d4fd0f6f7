// Journal: failed and held work, for `recsync sync` (what did not settle up
// to its point) and `recsync journal retry` (failed events back to pending).
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "journal/internal.h"
#include "journal/journal.h"

namespace recsync {

using journal_internal::BindValue;
using journal_internal::ColumnValue;
using journal_internal::Guarded;

namespace {

// The state of event `seq`, none when there is no such event.
std::optional<EventState> StateOf(SQLite::Database& db, int64_t seq) {
  SQLite::Statement st(db, "SELECT state FROM events WHERE seq = ?");
  st.bind(1, static_cast<int64_t>(seq));
  if (!st.executeStep()) return std::nullopt;
  return ColumnValue(st.getColumn(0), ParseEventState, "event state");
}

// Back to pending with a fresh attempt budget; see Journal::RetryFailed().
constexpr const char* kRetrySql =
    "UPDATE events SET state = 'pending', attempts = 0, updated_ms = ? WHERE state = 'failed'";

}  // namespace

Result<UnsettledEvents> Journal::Unsettled(int64_t up_to_seq) {
  UnsettledEvents out;
  // How many events of `state` up to the point, and the latest of them.
  auto tally = [&](EventState state, int64_t& count,
                   std::optional<EventRecord>& latest) -> Status {
    auto seq = Guarded(path_, [&]() -> Result<int64_t> {
      SQLite::Statement st(*db_,
                           "SELECT count(*), coalesce(max(seq), 0) FROM events "
                           "WHERE state = ? AND seq <= ?");
      BindValue(st, 1, state);
      st.bind(2, static_cast<int64_t>(up_to_seq));
      st.executeStep();
      count = st.getColumn(0).getInt64();
      return st.getColumn(1).getInt64();
    });
    if (!seq.ok()) return seq.status();
    if (count == 0) return Status::Ok();
    auto event = GetEvent(*seq);
    if (!event.ok()) return event.status();
    // Settled by another connection meanwhile: the count stands, the example goes.
    latest = *event;
    return Status::Ok();
  };
  RECSYNC_RETURN_IF_ERROR(tally(EventState::kFailed, out.failed, out.latest_failed));
  RECSYNC_RETURN_IF_ERROR(tally(EventState::kPending, out.pending, out.latest_pending));
  return out;
}

Result<RetryResult> Journal::RetryFailed(const std::vector<int64_t>& seqs, int64_t now_ms) {
  std::vector<int64_t> unique = seqs;
  std::sort(unique.begin(), unique.end());
  unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
  return Guarded(path_, [&]() -> Result<RetryResult> {
    RetryResult out;
    SQLite::Transaction txn(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement retry(*db_, std::string(kRetrySql) + " AND seq = ?");
    for (int64_t seq : unique) {
      retry.bind(1, static_cast<int64_t>(now_ms));
      retry.bind(2, static_cast<int64_t>(seq));
      if (retry.exec() > 0) {
        out.retried.push_back(seq);
      } else {
        out.skipped.emplace_back(seq, StateOf(*db_, seq));
      }
      retry.reset();
    }
    txn.commit();
    return out;
  });
}

Result<std::vector<int64_t>> Journal::RetryAllFailed(int64_t now_ms) {
  return Guarded(path_, [&]() -> Result<std::vector<int64_t>> {
    std::vector<int64_t> out;
    SQLite::Transaction txn(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    SQLite::Statement failed(*db_, "SELECT seq FROM events WHERE state = 'failed' ORDER BY seq");
    while (failed.executeStep()) out.push_back(failed.getColumn(0).getInt64());
    SQLite::Statement retry(*db_, kRetrySql);
    retry.bind(1, static_cast<int64_t>(now_ms));
    retry.exec();
    txn.commit();
    return out;
  });
}

}  // namespace recsync
