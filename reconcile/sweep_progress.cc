#include "reconcile/sweep_progress.h"

namespace recsync {

namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;
}  // namespace

void SweepProgress::Publish(const SweepProgressSnapshot& f) {
  phase_.store(f.phase, kRelaxed);
  sweep_id_.store(f.sweep_id, kRelaxed);
  rows_seen_.store(f.rows_seen, kRelaxed);
  rows_expected_.store(f.rows_expected, kRelaxed);
  folders_listed_.store(f.folders_listed, kRelaxed);
  missing_.store(f.missing, kRelaxed);
  archived_.store(f.archived, kRelaxed);
  would_archive_.store(f.would_archive, kRelaxed);
}

SweepProgressSnapshot SweepProgress::Snapshot() const {
  SweepProgressSnapshot s;
  s.phase = phase_.load(kRelaxed);
  s.sweep_id = sweep_id_.load(kRelaxed);
  s.rows_seen = rows_seen_.load(kRelaxed);
  s.rows_expected = rows_expected_.load(kRelaxed);
  s.folders_listed = folders_listed_.load(kRelaxed);
  s.missing = missing_.load(kRelaxed);
  s.archived = archived_.load(kRelaxed);
  s.would_archive = would_archive_.load(kRelaxed);
  return s;
}

nlohmann::json SweepProgressToJson(const SweepProgressSnapshot& p) {
  return {{"rows_seen", p.rows_seen},         {"rows_expected", p.rows_expected},
          {"folders_listed", p.folders_listed}, {"missing", p.missing},
          {"archived", p.archived},           {"would_archive", p.would_archive}};
}

}  // namespace recsync
