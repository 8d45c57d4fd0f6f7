// Audited catalog changes: every row recsync archives or re-points is in the
// journal's audit trail, even if the process dies between the catalog's
// COMMIT and the journal write.
//
// How: the actions are written to the journal as one intent inside the
// catalog transaction, just before its COMMIT (Catalog::ChangeHook), and the
// intent is replaced by the actions that happened once the COMMIT returned. A
// crash leaves either no COMMIT (the intent is dropped at the next start) or
// a COMMIT with its intent still there (its actions recorded at the next
// start): SettleIntents() asks the catalog which.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "common/clock.h"
#include "journal/journal.h"

namespace recsync {

// Archives `rows` (Catalog::ArchiveRows) with `actions[id]` recorded for each
// row that changes, timed by `clock` when the COMMIT returned (an intent left
// by a crash keeps the time it was written). Returns the ids changed.
Result<std::vector<int64_t>> ArchiveAudited(Catalog& catalog, Journal& journal, const Clock& clock,
                                            const std::vector<MediaRow>& rows,
                                            const std::map<int64_t, ActionRecord>& actions);

// Re-points `rows` to `new_paths` (Catalog::RepathRows), likewise audited.
Result<std::vector<int64_t>> RepathAudited(Catalog& catalog, Journal& journal, const Clock& clock,
                                           const std::vector<MediaRow>& rows,
                                           const std::vector<std::string>& new_paths,
                                           const std::map<int64_t, ActionRecord>& actions);

// Restores `rows` (Catalog::RestoreRows), likewise audited ("restore").
Result<std::vector<int64_t>> RestoreAudited(Catalog& catalog, Journal& journal, const Clock& clock,
                                            const std::vector<MediaRow>& rows,
                                            const std::map<int64_t, ActionRecord>& actions);

// Settles the intents a crash left: an archive is recorded when its row is
// no longer active, a re-point when the row is at the new path, a restore
// when the row is active at its path again; the others
// never happened and are dropped. Returns how many were recorded.
// Only intents whose actions were all planned before `before_ms` (the start
// of this process) are looked at: a younger one may belong to a transaction
// still in flight in this process, whose row only looks unchanged because it
// has not committed. An intent another connection settles meanwhile is
// recorded once, by whichever gets there first; one that does not decode is
// logged and left in place.
Result<int64_t> SettleIntents(Catalog& catalog, Journal& journal, int64_t before_ms);

}  // namespace recsync
