// How a sweep's report is shown: one JSON object (`sweep --json`, and the
// journal's copy) or a short human summary.
#pragma once

#include <nlohmann/json.hpp>
#include <ostream>

#include "reconcile/sweep.h"

namespace recsync {

// {trigger, sweep_id, dry_run, force, roots[{path, state, reason, configured,
//  fs_type, mount_point, rows, young, checked, missing, unknown, archived,
//  refused, refused_reason}], outside_roots{checked, missing, unknown,
//  archived, unplaceable}, checked, missing, unknown, archived, duration_ms,
//  incomplete, cancelled, archived_rows | would_archive [{id, path}] (the
//  SweepReport::kListedRows of lowest id, in id order), rows_not_listed}
nlohmann::json SweepReportToJson(const SweepReport& report);

// A few aligned lines per root and the totals.
void PrintSweepSummary(const SweepReport& report, std::ostream& out);

}  // namespace recsync
