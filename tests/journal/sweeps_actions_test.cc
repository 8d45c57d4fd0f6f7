#include <catch2/catch.hpp>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "journal/journal.h"
#include "tests/journal/journal_test_util.h"
#include "tests/support/temp_dir.h"

namespace recsync::testing {
namespace {

TEST_CASE("a sweep is running until FinishSweep stores its figures and report") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  int64_t id = Must(journal->BeginSweep("periodic", /*dry_run=*/true, 1000));

  auto running = *Must(journal->GetSweep(id));
  CHECK(running.trigger == "periodic");
  CHECK(running.outcome == "running");
  CHECK(running.dry_run);
  CHECK(running.started_ms == 1000);
  CHECK(running.finished_ms == 0);

  SweepRecord done = running;
  done.finished_ms = 4500;
  done.outcome = "partial";
  done.checked = 1200;
  done.missing = 7;
  done.unknown = 2;
  done.archived = 5;
  done.report_json = R"({"roots":[{"path":"/rec","state":"online"}]})";
  MustOk(journal->FinishSweep(done));

  auto stored = *Must(journal->GetSweep(id));
  CHECK(stored.finished_ms == 4500);
  CHECK(stored.outcome == "partial");
  CHECK(stored.checked == 1200);
  CHECK(stored.missing == 7);
  CHECK(stored.unknown == 2);
  CHECK(stored.archived == 5);
  CHECK(stored.report_json == done.report_json);
}

TEST_CASE("FinishSweep of an unknown sweep is kNotFound") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  SweepRecord ghost;
  ghost.id = 77;
  CHECK(journal->FinishSweep(ghost).code() == Code::kNotFound);
  CHECK_FALSE(Must(journal->GetSweep(77)).has_value());
}

TEST_CASE("ListSweeps is newest first and honours the limit") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  int64_t a = Must(journal->BeginSweep("startup", false, 1));
  int64_t b = Must(journal->BeginSweep("periodic", false, 2));
  int64_t c = Must(journal->BeginSweep("manual", false, 3));

  auto all = Must(journal->ListSweeps(0));
  REQUIRE(all.size() == 3);
  CHECK(all[0].id == c);
  CHECK(all[1].id == b);
  CHECK(all[2].id == a);
  auto newest = Must(journal->ListSweeps(1));
  REQUIRE(newest.size() == 1);
  CHECK(newest[0].trigger == "manual");
}

TEST_CASE("RecordActions keeps the audit trail, filterable by sweep and time") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  const std::string odd_path = std::string("/rec/odd\n\xff.mp4");
  MustOk(journal->RecordActions({
      ActionRecord::Archive(101, "/rec/a.mp4", 1000, Cause::kSweep, 3),
      ActionRecord::Archive(102, odd_path, 2000, Cause::kSweep, 4),
      ActionRecord::Repath(103, "/rec/c.mp4", "/rec/c2.mp4", 3000, Cause::kEvent, 3),
  }));

  auto all = Must(journal->ListActions({}));
  REQUIRE(all.size() == 3);
  CHECK(all[0].id < all[1].id);  // oldest first
  CHECK(all[0].media_id == 101);
  CHECK(all[1].path == odd_path);
  CHECK(all[2].action == ActionKind::kRepath);
  CHECK(all[2].detail == "/rec/c2.mp4");
  CHECK(all[2].cause == Cause::kEvent);

  ActionFilter sweep3;
  sweep3.sweep_id = 3;  // event 3 is not sweep 3
  auto of_sweep = Must(journal->ListActions(sweep3));
  REQUIRE(of_sweep.size() == 1);
  CHECK(of_sweep[0].media_id == 101);

  ActionFilter since;
  since.since_ms = 2000;
  since.limit = 1;
  auto recent = Must(journal->ListActions(since));
  REQUIRE(recent.size() == 1);
  CHECK(recent[0].media_id == 102);
}

TEST_CASE("ListActions can keep only one kind of action from one cause") {
  // What a sweep reads to count the deletions the daemon archived: only the
  // event archives, not the sweep archives in between.
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  MustOk(journal->RecordActions({
      ActionRecord::Archive(101, "/rec/a.mp4", 1000, Cause::kSweep, 3),
      ActionRecord::Archive(102, "/rec/b.mp4", 2000, Cause::kEvent, 7),
      ActionRecord::Repath(103, "/rec/c.mp4", "/rec/c2.mp4", 3000, Cause::kEvent, 8),
      ActionRecord::Archive(104, "/rec/d.mp4", 4000, Cause::kEvent, 9),
  }));
  ActionFilter event_archives;
  event_archives.action = ActionKind::kArchive;
  event_archives.cause = Cause::kEvent;
  event_archives.since_ms = 1500;
  auto kept = Must(journal->ListActions(event_archives));
  REQUIRE(kept.size() == 2);
  CHECK(kept[0].media_id == 102);
  CHECK(kept[1].media_id == 104);
}

TEST_CASE("PutRoot replaces the record of a root and GetRoot round-trips it") {
  TempDir dir;
  auto journal = OpenJournal(dir.Sub("journal.db"));
  const std::string root = std::string("/mnt/st\xc3orage 1");
  CHECK_FALSE(Must(journal->GetRoot(root)).has_value());

  const uint64_t big_dev = std::numeric_limits<uint64_t>::max() - 5;
  MustOk(journal->PutRoot({root, 2049, true, "nfs4", 10, root}));
  MustOk(journal->PutRoot({root, big_dev, false, "ext4", 20, "/mnt"}));
  auto stored = *Must(journal->GetRoot(root));
  CHECK(stored.path == root);
  CHECK(stored.st_dev == big_dev);
  CHECK_FALSE(stored.mount_point);
  CHECK(stored.fs_type == "ext4");
  CHECK(stored.seen_ms == 20);
  CHECK(stored.mount_path == "/mnt");
  CHECK_FALSE(Must(journal->GetRoot("/mnt/st")).has_value());
}

}  // namespace
}  // namespace recsync::testing
