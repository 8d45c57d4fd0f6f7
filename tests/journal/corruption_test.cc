// A damaged journal is one clear Status (kCorrupt, naming the file and how
// to move it aside) whether the damage is in the header, the schema or a
// b-tree page, at open or on a later call; a journal marked damaged is
// refused until moved aside; a new journal never replays a -wal left beside
// it by the journal moved away.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <mutex>
#include <string>
#include <vector>

#include "journal/journal.h"
#include "journal/journal_fault.h"
#include "tests/journal/journal_damage.h"
#include "tests/journal/journal_test_util.h"
#include "tests/support/temp_dir.h"

namespace recsync::testing {
namespace {

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// A closed journal at `path` holding a few events.
void MakeJournal(const std::string& path, int events = 50) {
  auto journal = OpenJournal(path);
  std::vector<NewEvent> batch;
  for (int i = 0; i < events; ++i) batch.push_back(Event(1000 + i, "/rec/file-" + std::to_string(i)));
  Append(*journal, batch);
}

// What a damaged journal's message must say: the file, the fix, one line.
void CheckNamesFileAndFix(const Status& status, const std::string& path) {
  INFO(status.message());
  CHECK(status.code() == Code::kCorrupt);
  CHECK(Contains(status.message(), "journal " + path));
  CHECK(Contains(status.message(), "mv " + path + " " + path + ".corrupt"));
  CHECK(Contains(status.message(), "a new journal is created"));
  CHECK(status.message().find('\n') == std::string::npos);
}

// Collects the faults handed to the process-wide handler while alive.
class FaultRecorder {
 public:
  FaultRecorder() {
    SetJournalFaultHandler([this](const JournalFault& fault) {
      std::lock_guard<std::mutex> lock(mu_);
      faults_.push_back(fault);
    });
  }
  ~FaultRecorder() { SetJournalFaultHandler(nullptr); }
  std::vector<JournalFault> faults() {
    std::lock_guard<std::mutex> lock(mu_);
    return faults_;
  }

 private:
  std::mutex mu_;
  std::vector<JournalFault> faults_;
};

TEST_CASE("a journal whose header is damaged is refused in both modes as damaged") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  MakeJournal(path);
  DamageHeader(path);
  FaultRecorder recorder;
  for (auto mode : {Journal::Mode::kReadWrite, Journal::Mode::kReadOnly}) {
    auto journal = Journal::Open(path, mode);
    REQUIRE_FALSE(journal.ok());
    CheckNamesFileAndFix(journal.status(), path);
    CHECK(Contains(journal.status().message(), "not a database"));
  }
  CHECK(recorder.faults().size() == 2);
}

TEST_CASE("a damaged page at the edge of a table or an index is found at open") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  MakeJournal(path, 2000);  // several pages, so the roots are interior pages
  const std::string name = GENERATE(std::string("events"), std::string("events_by_state"),
                                    std::string("actions"), std::string("listings"));
  DamagePage(path, RootPage(path, name), PageSize(path));

  auto journal = Journal::Open(path, Journal::Mode::kReadWrite);
  INFO(name);
  REQUIRE_FALSE(journal.ok());
  CheckNamesFileAndFix(journal.status(), path);
  CHECK(Contains(journal.status().message(), "malformed"));
}

TEST_CASE("a journal that lacks a table of its schema version is refused as damaged") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  MakeJournal(path);
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE);
    db.exec("DROP TABLE listings");
  }
  auto journal = Journal::Open(path, Journal::Mode::kReadWrite);
  REQUIRE_FALSE(journal.ok());
  CheckNamesFileAndFix(journal.status(), path);
  CHECK(Contains(journal.status().message(), "table listings is missing"));
}

TEST_CASE("damage met by a call on an open journal is kCorrupt and reaches the fault handler") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  MakeJournal(path, 2000);
  auto journal = OpenJournal(path);
  Append(*journal, {Event(5000, "/rec/new")});
  FaultRecorder recorder;

  CheckpointJournal(path);
  DamagePage(path, RootPage(path, "events"), PageSize(path));
  auto appended = journal->AppendEvents({Event(6000, "/rec/newer")});
  REQUIRE_FALSE(appended.ok());
  CheckNamesFileAndFix(appended.status(), path);

  auto faults = recorder.faults();
  REQUIRE(faults.size() == 1);
  CHECK(faults[0].path == path);
  CHECK(faults[0].status.code() == Code::kCorrupt);
  CHECK(faults[0].detail == "database disk image is malformed");
}

TEST_CASE("a journal marked damaged is refused until it is moved aside") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  MakeJournal(path);
  MustOk(MarkJournalDamaged(path, "database disk image is malformed"));

  auto refused = Journal::Open(path, Journal::Mode::kReadWrite);
  REQUIRE_FALSE(refused.ok());
  CheckNamesFileAndFix(refused.status(), path);
  CHECK(Contains(refused.status().message(), "database disk image is malformed"));
  CHECK(Contains(refused.status().message(), "remove " + path + ".damaged"));
  // Still readable, to look at what it holds.
  CHECK(OpenJournal(path, Journal::Mode::kReadOnly)->CountEvents(EventState::kPending).ok());

  // The operator's fix: the new journal starts, and the marker is gone.
  REQUIRE(::rename(path.c_str(), (path + ".corrupt").c_str()) == 0);
  auto fresh = OpenJournal(path);
  CHECK(Must(fresh->LastSeq()) == 0);
  CHECK_FALSE(Exists(path + ".damaged"));
}

TEST_CASE("a new journal sets aside a -wal and -shm left beside it instead of replaying them") {
  TempDir dir;
  const std::string old_path = dir.Sub("old/journal.db");
  const std::string path = dir.Sub("journal.db");
  {
    auto old = OpenJournal(old_path);
    Append(*old, {Event(1, "/rec/a"), Event(2, "/rec/b")});
    // As if the journal were moved away while its -wal held commits.
    for (const char* suffix : {"-wal", "-shm"}) {
      REQUIRE(RunProcess({"/bin/cp", old_path + suffix, path + suffix}).exit_code == 0);
    }
  }
  auto journal = OpenJournal(path);
  CHECK(Must(journal->LastSeq()) == 0);
  CHECK(Exists(path + "-wal.orphaned"));
  CHECK(Exists(path + "-shm.orphaned"));
}

}  // namespace
}  // namespace recsync::testing
