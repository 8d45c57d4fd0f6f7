// Deleted files' rows archived from journaled events: exactly, in order,
// with or without the filepath index, and across a database outage.
#include "reconcile/event_applier.h"

#include "tests/reconcile/sweep_fixture.h"
#include "tests/support/mariadb_server.h"

using namespace recsync;
using namespace recsync::testing;

namespace {

std::vector<int64_t> Append(Journal& j, const std::vector<std::pair<EventKind, std::string>>& ev) {
  std::vector<NewEvent> events;
  for (const auto& [kind, path] : ev) events.push_back(NewEvent::Of(kind, 1, path));
  auto seqs = j.AppendEvents(events);
  REQUIRE(seqs.ok());
  return *seqs;
}

EventState StateOf(Journal& j, int64_t seq) {
  auto e = j.GetEvent(seq);
  REQUIRE(e.ok());
  REQUIRE(e->has_value());
  return (*e)->state;
}

}  // namespace

TEST_CASE_METHOD(SweepFixture, "a deleted file's rows are archived and the event applied") {
  const bool with_index = GENERATE(false, true);
  if (with_index) db.ExecFile(RECSYNC_SOURCE_DIR "/scripts/bluecherry-filepath-index.sql");
  const int64_t keep = AddRecording("10-00-00.mp4");
  const int64_t gone = AddRecording("10-15-00.mp4");
  auto catalog = Connect(db.config());
  auto journal = OpenJournal();
  PathResolver resolver(*catalog);
  REQUIRE(resolver.Prepare().ok());
  CHECK(resolver.uses_index() == with_index);
  // A row added after the resolver loaded its map is found too.
  const int64_t late = AddRecording("10-30-00.mp4");

  RemoveFile(RecordingPath("10-15-00.mp4"));
  RemoveFile(RecordingPath("10-30-00.mp4"));
  WriteFile(RecordingPath("10-15-00.jpg"), "");
  RemoveFile(RecordingPath("10-15-00.jpg"));
  auto seqs = Append(*journal, {{EventKind::kDeleted, RecordingPath("10-15-00.mp4")},
                                {EventKind::kDeleted, RecordingPath("10-15-00.jpg")},
                                {EventKind::kMovedFrom, RecordingPath("10-30-00.mp4")}});

  EventApplier applier(*catalog, *journal, resolver, MakeRealDisk(), clock, {});
  auto stats = applier.ApplyPending();
  REQUIRE(stats.ok());
  CHECK(stats->applied == 2);
  CHECK(stats->ignored == 1);
  CHECK(stats->archived == 2);
  CHECK(db.MediaArchived(gone));
  CHECK(db.MediaArchived(late));
  CHECK(db.EventsArchivedFor(gone));
  CHECK_FALSE(db.MediaArchived(keep));
  CHECK(StateOf(*journal, seqs[0]) == EventState::kApplied);
  CHECK(StateOf(*journal, seqs[1]) == EventState::kIgnored);  // the sidecar has no row
  CHECK((*journal->GetEvent(seqs[0]))->media_ids == std::vector<int64_t>{gone});
  auto actions = journal->ListActions({});
  REQUIRE(actions->size() == 2);
  CHECK((*actions)[0].cause == Cause::kEvent);
  CHECK((*actions)[0].cause_id == seqs[0]);

  // Nothing left to do; a replay of the same deletion is ignored.
  auto replay = Append(*journal, {{EventKind::kDeleted, RecordingPath("10-15-00.mp4")}});
  REQUIRE(applier.ApplyPending()->ignored == 1);
  CHECK(StateOf(*journal, replay[0]) == EventState::kIgnored);
}

TEST_CASE_METHOD(SweepFixture, "an event whose file exists again archives nothing") {
  const int64_t id = AddRecording("11-00-00.mp4");
  auto catalog = Connect(db.config());
  auto journal = OpenJournal();
  PathResolver resolver(*catalog);
  auto seqs = Append(*journal, {{EventKind::kDeleted, RecordingPath("11-00-00.mp4")}});
  EventApplier applier(*catalog, *journal, resolver, MakeRealDisk(), clock, {});
  REQUIRE(applier.ApplyPending().ok());
  CHECK_FALSE(db.MediaArchived(id));
  CHECK(StateOf(*journal, seqs[0]) == EventState::kIgnored);
}

TEST_CASE_METHOD(SweepFixture, "a young row is archived when its file is deleted") {
  const std::string path = RecordingPath("12-00-00.mp4");
  const int64_t id = db.InsertMedia(path, std::time(nullptr), 1);  // started just now
  auto catalog = Connect(db.config());
  auto journal = OpenJournal();
  PathResolver resolver(*catalog);
  Append(*journal, {{EventKind::kDeleted, path}});
  EventApplier applier(*catalog, *journal, resolver, MakeRealDisk(), clock, {});
  REQUIRE(applier.ApplyPending().ok());
  CHECK(db.MediaArchived(id));
}

TEST_CASE("events stay pending through a database outage and drain in order afterwards") {
  PrivateMariaDB server;
  TestDatabaseOptions db_options;
  db_options.socket = server.socket();
  SweepFixture f(db_options);
  std::vector<int64_t> ids;
  for (int i = 0; i < 4; ++i) ids.push_back(f.AddRecording("13-00-0" + std::to_string(i) + ".mp4"));
  auto catalog = f.Connect(f.db.config());
  auto journal = f.OpenJournal();
  PathResolver resolver(*catalog);
  REQUIRE(resolver.Prepare().ok());
  EventApplier applier(*catalog, *journal, resolver, MakeRealDisk(), f.clock, {});

  server.Kill();
  for (int i = 0; i < 4; ++i) RemoveFile(f.RecordingPath("13-00-0" + std::to_string(i) + ".mp4"));
  std::vector<std::pair<EventKind, std::string>> ev;
  for (int i = 0; i < 4; ++i)
    ev.push_back({EventKind::kDeleted, f.RecordingPath("13-00-0" + std::to_string(i) + ".mp4")});
  auto seqs = Append(*journal, ev);
  auto down = applier.ApplyPending();
  REQUIRE_FALSE(down.ok());
  CHECK(down.status().code() == Code::kUnavailable);
  for (int64_t seq : seqs) CHECK(StateOf(*journal, seq) == EventState::kPending);

  server.Start();
  auto up = applier.ApplyPending();
  REQUIRE(up.ok());
  CHECK(up->applied == 4);
  for (int64_t id : ids) CHECK(f.db.MediaArchived(id));
  for (int64_t seq : seqs) CHECK(StateOf(*journal, seq) == EventState::kApplied);
}

TEST_CASE_METHOD(SweepFixture, "a pass of many deletions archives each file's rows and no others") {
  // As after an rm -rf: the deletions' rows are found with one lookup.
  const bool with_index = GENERATE(false, true);
  if (with_index) db.ExecFile(RECSYNC_SOURCE_DIR "/scripts/bluecherry-filepath-index.sql");
  auto catalog = Connect(db.config());
  auto journal = OpenJournal();
  PathResolver resolver(*catalog);
  std::vector<int64_t> deleted, kept;
  std::vector<NewEvent> events;
  for (int i = 0; i < 300; ++i) {
    const std::string name = "12-" + std::to_string(10 + i / 60) + "-" + std::to_string(10 + i % 60) + ".mp4";
    const int64_t id = AddRecording(name, 1 + i % 3);
    if (i % 4 == 3) {
      kept.push_back(id);
      continue;
    }
    RemoveFile(RecordingPath(name, 1 + i % 3));
    deleted.push_back(id);
    events.push_back(NewEvent::Of(EventKind::kDeleted, std::time(nullptr) * 1000,
                                  RecordingPath(name, 1 + i % 3)));
  }
  // A deletion of a file that exists again, and one of a path with no row.
  events.push_back(NewEvent::Of(EventKind::kDeleted, std::time(nullptr) * 1000,
                                RecordingPath("12-10-13.mp4", 1 + 3 % 3)));
  events.push_back(
      NewEvent::Of(EventKind::kDeleted, std::time(nullptr) * 1000, RecordingPath("no-row.mp4")));
  REQUIRE(journal->AppendEvents(events).ok());
  EventApplier applier(*catalog, *journal, resolver, MakeRealDisk(), clock, {});
  auto stats = applier.ApplyPending(0);
  REQUIRE(stats.ok());
  CHECK(stats->archived == static_cast<int64_t>(deleted.size()));
  for (int64_t id : deleted) CHECK(db.MediaArchived(id));
  for (int64_t id : kept) CHECK_FALSE(db.MediaArchived(id));
  auto actions = journal->ListActions({});
  REQUIRE(actions.ok());
  CHECK(actions->size() == deleted.size());
}
