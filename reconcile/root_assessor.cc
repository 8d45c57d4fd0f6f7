#include "reconcile/root_assessor.h"

#include <spdlog/spdlog.h>

#include "common/text.h"

namespace recsync {
namespace {

std::string IdentityOf(const std::string& spelling, const DirProbe* probe,
                       const std::string& known) {
  if (probe && probe->err == 0) return probe->real_path;
  return known.empty() ? spelling : known;
}

}  // namespace

RootRecords RecordsIn(Journal& journal) {
  return [&journal](const std::string& path) { return journal.GetRoot(path); };
}

RootRecords RecordsIn(const std::map<std::string, RootRecord>& records) {
  return [&records](const std::string& path) -> Result<std::optional<RootRecord>> {
    auto it = records.find(path);
    if (it == records.end()) return std::optional<RootRecord>();
    return std::optional<RootRecord>(it->second);
  };
}

RootAssessor::RootAssessor(std::shared_ptr<StorageLanes> lanes,
                           std::shared_ptr<DiskInterface> disk,
                           std::chrono::milliseconds probe_timeout)
    : lanes_(std::move(lanes)), disk_(std::move(disk)), probe_timeout_(probe_timeout) {}

Result<MountTables> RootAssessor::ReadTables() const { return ReadMountTables(*disk_); }

SpellingProbe RootAssessor::Probe(const std::string& spelling, const std::string& known) const {
  auto probe = lanes_->Call<DirProbe>(spelling, LanePurpose::kProbe, probe_timeout_,
                                      [disk = disk_, spelling] { return disk->ProbeDir(spelling); });
  std::string identity = IdentityOf(spelling, probe.ok() ? &*probe : nullptr, known);
  return {spelling, std::move(probe), std::move(identity)};
}

SpellingProbe RootAssessor::ProbeHere(DiskInterface& disk, const std::string& spelling,
                                      const std::string& known) {
  DirProbe probe = disk.ProbeDir(spelling);
  std::string identity = IdentityOf(spelling, &probe, known);
  return {spelling, std::move(probe), std::move(identity)};
}

Result<RootStatus> RootAssessor::Judge(const SpellingProbe& p, const MountTables& tables,
                                       const RootRecords& records) {
  auto last = records(p.identity);
  if (!last.ok()) return last.status();
  if (!*last && p.identity != p.spelling) {
    last = records(p.spelling);  // recorded by a version that kept the spelling
    if (!last.ok()) return last.status();
  }
  RootStatus status = p.probe.ok() ? JudgeRoot(p.spelling, *p.probe, tables, *last)
                                   : UnresponsiveRoot(p.spelling, p.probe.status().message());
  status.path = p.identity;
  return status;
}

Result<RootStatus> RootAssessor::Assess(const std::string& spelling, const MountTables& tables,
                                        const RootRecords& records) const {
  return Judge(Probe(spelling), tables, records);
}

Result<std::string> RootAssessor::ChangedSince(const RootStatus& then) const {
  auto tables = ReadTables();
  if (!tables.ok()) return tables.status();
  const RootRecord was = then.ToRecord(0);
  auto now = Assess(then.path, *tables, [&](const std::string&) {
    return Result<std::optional<RootRecord>>(std::optional<RootRecord>(was));
  });
  if (!now.ok()) return now.status();  // not reached: the record is given
  if (now->state == RootState::kOffline) return now->reason;
  if (now->st_dev != was.st_dev || now->mount_point != was.mount_point ||
      now->fs_type != was.fs_type) {
    return std::string("its device or mount is not the one it was on");
  }
  return std::string();
}

RootVerdicts::RootVerdicts(const RootAssessor& assessor, Result<MountTables> tables,
                           RootRecords records)
    : assessor_(assessor), tables_(std::move(tables)), records_(std::move(records)) {}

bool RootVerdicts::MayTouch(const std::string& root) {
  if (!tables_.ok()) return false;
  auto known = may_touch_.find(root);
  if (known != may_touch_.end()) return known->second;
  auto status = assessor_.Assess(root, *tables_, records_);
  const bool may = status.ok() && status->state != RootState::kOffline;
  if (status.ok() && !may) {
    spdlog::debug("storage {} is not touched: {}", PrintableText(root), status->reason);
  }
  may_touch_[root] = may;
  return may;
}

}  // namespace recsync
