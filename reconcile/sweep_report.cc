#include "reconcile/sweep_report.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/text.h"

namespace recsync {
namespace {

template <typename F>
int64_t Sum(const std::vector<RootReport>& roots, F field) {
  int64_t total = 0;
  for (const auto& r : roots) total += field(r);
  return total;
}

}  // namespace

int64_t SweepReport::checked() const { return Sum(roots, [](auto& r) { return r.checked; }); }
int64_t SweepReport::missing() const { return Sum(roots, [](auto& r) { return r.missing; }); }
int64_t SweepReport::unknown() const { return Sum(roots, [](auto& r) { return r.unknown; }); }
int64_t SweepReport::archived() const { return Sum(roots, [](auto& r) { return r.archived; }); }

namespace {
bool LowerId(const ArchivedRow& a, const ArchivedRow& b) { return a.id < b.id; }
}  // namespace

void SweepReport::List(int64_t id, const std::string& path) {
  if (archived_rows.size() < kListedRows) {
    archived_rows.push_back({id, path});
    std::push_heap(archived_rows.begin(), archived_rows.end(), LowerId);
    return;
  }
  ++rows_not_listed;
  if (id >= archived_rows.front().id) return;
  std::pop_heap(archived_rows.begin(), archived_rows.end(), LowerId);
  archived_rows.back() = {id, path};
  std::push_heap(archived_rows.begin(), archived_rows.end(), LowerId);
}

void SweepReport::SortListed() { std::sort(archived_rows.begin(), archived_rows.end(), LowerId); }

bool SweepReport::incomplete() const {
  if (cancelled) return true;
  for (const auto& r : roots) {
    if (r.state == RootState::kOffline || r.refused) return true;
  }
  return false;
}

nlohmann::json SweepReportToJson(const SweepReport& rep) {
  using nlohmann::json;
  json roots = json::array();
  json outside = {{"checked", 0}, {"missing", 0}, {"unknown", 0}, {"archived", 0},
                  {"unplaceable", rep.unplaceable},
                  {"other_roots_rows", rep.other_roots_rows}};
  for (const auto& r : rep.roots) {
    roots.push_back({{"path", r.path},
                     {"state", RootStateName(r.state)},
                     {"reason", r.reason},
                     {"configured", r.configured},
                     {"fs_type", r.fs_type},
                     {"mount_point", r.mount_point},
                     {"rows", r.rows},
                     {"young", r.young},
                     {"checked", r.checked},
                     {"missing", r.missing},
                     {"explained", r.explained},
                     {"seen_deleted", r.seen_deleted},
                     {"unknown", r.unknown},
                     {"folders_listed", r.folders_listed},
                     {"folders_reused", r.folders_reused},
                     {"archived", r.archived},
                     {"archived_early", r.archived_early},
                     {"refused", r.refused},
                     {"refused_reason", r.refused_reason}});
    if (!r.spellings.empty()) roots.back()["also_configured_as"] = r.spellings;
    if (!r.configured) {
      for (const char* k : {"checked", "missing", "unknown", "archived"}) {
        outside[k] = outside[k].get<int64_t>() + roots.back()[k].get<int64_t>();
      }
    }
  }
  json rows = json::array();
  for (const auto& a : rep.archived_rows) rows.push_back({{"id", a.id}, {"path", a.path}});
  return {{"sweep_id", rep.sweep_id},
          {"trigger", rep.trigger},
          {"dry_run", rep.dry_run},
          {"force", rep.force},
          {"roots", roots},
          {"outside_roots", outside},
          {"checked", rep.checked()},
          {"missing", rep.missing()},
          {"unknown", rep.unknown()},
          {"archived", rep.archived()},
          {"incomplete", rep.incomplete()},
          {"cancelled", rep.cancelled},
          {"duration_ms", rep.duration_ms},
          {rep.dry_run ? "would_archive" : "archived_rows", rows},
          {"rows_not_listed", rep.rows_not_listed}};
}

void PrintSweepSummary(const SweepReport& rep, std::ostream& out) {
  out << fmt::format("sweep {} ({}{}{}): {} checked, {} missing, {} unknown, {} {} in {} ms\n",
                     rep.sweep_id, rep.trigger, rep.dry_run ? ", dry run" : "",
                     rep.force ? ", forced" : "", rep.checked(), rep.missing(), rep.unknown(),
                     rep.dry_run ? rep.would_archive : rep.archived(),
                     rep.dry_run ? "would be archived" : "archived", rep.duration_ms);
  // The root last: a long path only makes its own line longer. What is said
  // of a root goes on lines of its own under it.
  out << fmt::format("  {:<7}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}  {}\n", "state", "rows", "checked",
                     "missing", "unknown", "archived", "root");
  for (const auto& r : rep.roots) {
    out << fmt::format("  {:<7}  {:>9}  {:>9}  {:>9}  {:>9}  {:>9}  {}\n", RootStateName(r.state),
                       r.rows, r.checked, r.missing, r.unknown, r.archived, PrintableText(r.path));
    const std::string note = "      ";
    if (!r.configured) out << note << "not a configured root (inferred from row paths)\n";
    if (!r.reason.empty()) out << note << RootStateName(r.state) << ": " << r.reason << "\n";
    if (r.refused) out << note << "refused: " << r.refused_reason << "\n";
    for (const auto& other : r.spellings) {
      out << note << "also configured as " << PrintableText(other) << " (one root)\n";
    }
    if (r.explained > 0) {
      out << note << r.explained << " of the missing files were seen deleted by the daemon\n";
    }
    if (r.folders_reused > 0) {
      out << fmt::format("{}{} folders listed, {} unchanged since an earlier sweep\n", note,
                         r.folders_listed, r.folders_reused);
    }
  }
  if (rep.cancelled) {
    out << "  cancelled by an operator: the figures are those up to then; rows not reached "
           "were left as they were\n";
  }
  if (rep.unplaceable > 0) {
    out << "  " << rep.unplaceable
        << " rows lie under no storage root and not in Bluecherry's layout; left alone\n";
  }
  if (rep.dry_run) {
    for (const auto& a : rep.archived_rows) {
      out << fmt::format("  would archive {}  {}\n", a.id, PrintableText(a.path));
    }
    if (rep.rows_not_listed > 0) out << "  ... and " << rep.rows_not_listed << " more\n";
  }
}

}  // namespace recsync
