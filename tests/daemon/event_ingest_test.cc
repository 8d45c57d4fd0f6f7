#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "daemon/event_ingest.h"
#include "journal/journal.h"
#include "tests/support/temp_dir.h"

namespace recsync::testing {
namespace {

std::unique_ptr<Journal> OpenJournal(const std::string& path) {
  auto journal = Journal::Open(path, Journal::Mode::kReadWrite);
  INFO(journal.status().message());
  REQUIRE(journal.ok());
  return std::move(*journal);
}

std::unique_ptr<EventIngest> StartIngest(std::unique_ptr<Journal> journal,
                                         EventIngest::Callbacks callbacks) {
  auto ingest = EventIngest::Start(std::move(journal), std::move(callbacks));
  INFO(ingest.status().message());
  REQUIRE(ingest.ok());
  return std::move(*ingest);
}

NewEvent Deleted(const std::string& path, int64_t time_ms = 1) {
  NewEvent e;
  e.time_ms = time_ms;
  e.path = path;
  e.kind = EventKind::kDeleted;
  return e;
}

// Everything the ingest reported, from its thread. A test waits for a
// report with WaitFor(): each report wakes it, a deadline bounds it.
class Recorder {
 public:
  EventIngest::Callbacks Callbacks() {
    EventIngest::Callbacks cb;
    cb.on_commit = [this](int64_t total, int64_t last_seq) {
      std::lock_guard<std::mutex> lock(mu_);
      commits_.emplace_back(total, last_seq);
      changed_.notify_all();
    };
    cb.on_error = [this](const Status& error) {
      std::lock_guard<std::mutex> lock(mu_);
      errors_.push_back(error);
      changed_.notify_all();
    };
    return cb;
  }
  // True once at least `n` events were committed; false after `limit`.
  bool WaitForTotal(int64_t n, std::chrono::seconds limit = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, limit, [&] { return TotalLocked() >= n; });
  }
  // True once an error was reported; false after `limit`.
  bool WaitForError(std::chrono::seconds limit = std::chrono::seconds(10)) {
    std::unique_lock<std::mutex> lock(mu_);
    return changed_.wait_for(lock, limit, [&] { return !errors_.empty(); });
  }
  int64_t total() {
    std::lock_guard<std::mutex> lock(mu_);
    return TotalLocked();
  }
  std::vector<std::pair<int64_t, int64_t>> commits() {
    std::lock_guard<std::mutex> lock(mu_);
    return commits_;
  }
  std::vector<Status> errors() {
    std::lock_guard<std::mutex> lock(mu_);
    return errors_;
  }

 private:
  int64_t TotalLocked() const { return commits_.empty() ? 0 : commits_.back().first; }

  std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::pair<int64_t, int64_t>> commits_;
  std::vector<Status> errors_;
};

// Every event in the journal at `path`, in seq order.
std::vector<EventRecord> ReadBack(const std::string& path) {
  auto journal = Journal::Open(path, Journal::Mode::kReadOnly);
  INFO(journal.status().message());
  REQUIRE(journal.ok());
  auto events = (*journal)->PendingEvents(0, 0);
  INFO(events.status().message());
  REQUIRE(events.ok());
  return *events;
}

// on_commit totals rise, each commit's last seq is above the previous one's.
void CheckCommitsRise(const std::vector<std::pair<int64_t, int64_t>>& commits) {
  for (size_t i = 1; i < commits.size(); ++i) {
    CHECK(commits[i].first > commits[i - 1].first);
    CHECK(commits[i].second > commits[i - 1].second);
  }
}

TEST_CASE("the ingest commits events in Submit order with rising seqs and reports running "
          "totals") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  Recorder rec;
  auto ingest = StartIngest(OpenJournal(path), rec.Callbacks());

  std::vector<std::string> submitted;
  for (int batch = 0; batch < 20; ++batch) {
    std::vector<NewEvent> events;
    for (int i = 0; i <= batch % 3; ++i) {
      submitted.push_back("/rec/b" + std::to_string(batch) + "/e" + std::to_string(i) + ".mp4");
      events.push_back(Deleted(submitted.back(), batch));
    }
    ingest->Submit(std::move(events));
  }
  ingest->Submit({});  // nothing to commit
  const auto n = static_cast<int64_t>(submitted.size());
  REQUIRE(rec.WaitForTotal(n));

  auto events = ReadBack(path);
  REQUIRE(events.size() == submitted.size());
  for (size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].path == submitted[i]);
    if (i > 0) CHECK(events[i].seq > events[i - 1].seq);
  }
  auto commits = rec.commits();
  CHECK(commits.back().first == n);
  CHECK(commits.back().second == events.back().seq);
  CheckCommitsRise(commits);
  CHECK(rec.errors().empty());
  CHECK(ingest->Shutdown(std::chrono::seconds(10)));
}

TEST_CASE("events submitted from two threads at once are all committed exactly once, each "
          "thread's in its order") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  Recorder rec;
  auto ingest = StartIngest(OpenJournal(path), rec.Callbacks());

  constexpr int kSubmits = 400;
  auto submitter = [&ingest](int thread) {
    int n = 0;
    for (int s = 0; s < kSubmits; ++s) {
      std::vector<NewEvent> events;
      for (int i = 0; i <= s % 3; ++i) {
        events.push_back(
            Deleted("/rec/t" + std::to_string(thread) + "/" + std::to_string(n++) + ".mp4"));
      }
      ingest->Submit(std::move(events));
    }
    return n;
  };
  int sent0 = 0, sent1 = 0;
  std::thread t0([&] { sent0 = submitter(0); });
  std::thread t1([&] { sent1 = submitter(1); });
  t0.join();
  t1.join();
  const int64_t n = sent0 + sent1;
  REQUIRE(rec.WaitForTotal(n));
  CHECK(rec.total() == n);

  auto events = ReadBack(path);
  REQUIRE(static_cast<int64_t>(events.size()) == n);
  std::map<std::string, int> times_seen;
  std::vector<int> next_index = {0, 0};
  for (size_t i = 0; i < events.size(); ++i) {
    if (i > 0) CHECK(events[i].seq > events[i - 1].seq);
    ++times_seen[events[i].path];
    // "/rec/t<thread>/<index>.mp4": each thread's events appear in its order.
    const int thread = events[i].path[6] - '0';
    const int index = std::stoi(events[i].path.substr(8));
    REQUIRE((thread == 0 || thread == 1));
    CHECK(index == next_index[thread]);
    next_index[thread] = index + 1;
  }
  CHECK(static_cast<int64_t>(times_seen.size()) == n);
  CHECK(next_index[0] == sent0);
  CHECK(next_index[1] == sent1);
  CheckCommitsRise(rec.commits());
  CHECK(ingest->Shutdown(std::chrono::seconds(10)));
}

TEST_CASE("Shutdown commits the events still queued before it returns") {
  TempDir dir;
  const std::string path = dir.Sub("journal.db");
  Recorder rec;
  int64_t n = 0;
  {
    auto ingest = StartIngest(OpenJournal(path), rec.Callbacks());
    for (int s = 0; s < 300; ++s) {
      std::vector<NewEvent> events;
      for (int i = 0; i < 10; ++i) events.push_back(Deleted("/rec/" + std::to_string(n++)));
      ingest->Submit(std::move(events));
    }
    CHECK(ingest->Shutdown(std::chrono::seconds(30)));
    CHECK(rec.total() == n);  // already, not eventually
  }
  auto events = ReadBack(path);
  REQUIRE(static_cast<int64_t>(events.size()) == n);
  for (int64_t i = 0; i < n; ++i) CHECK(events[static_cast<size_t>(i)].path == "/rec/" + std::to_string(i));
}

// Calls `fn` on scope exit.
template <typename Fn>
class ScopeExit {
 public:
  explicit ScopeExit(Fn fn) : fn_(std::move(fn)) {}
  ~ScopeExit() { fn_(); }
  ScopeExit(const ScopeExit&) = delete;
  ScopeExit& operator=(const ScopeExit&) = delete;

 private:
  Fn fn_;
};

// Writes to `path` until the filesystem has no room left; true when it is full.
bool FillFilesystem(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  bool full = false;
  const std::string chunk(64 * 1024, 'f');
  for (size_t size = chunk.size(); size > 0 && !full;) {
    const ssize_t n = ::write(fd, chunk.data(), size);
    if (n >= 0) continue;
    if (errno == EINTR) continue;
    if (errno != ENOSPC) break;
    if (size == 1) full = true;
    size = size > 4096 ? 4096 : 1;  // fill the last pages and the last bytes too
  }
  ::close(fd);
  return full;
}

TEST_CASE("a full disk under the journal holds events back and loses none of them") {
  if (::geteuid() != 0) {
    WARN("skipped: mounting a small tmpfs needs root");
    return;
  }
  TempDir dir;
  const std::string mnt = dir.Sub("fs");
  MakeDirs(mnt);
  auto mounted = RunProcess({"/bin/mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt});
  if (mounted.exit_code != 0) {
    WARN("skipped: cannot mount a tmpfs: " + mounted.err);
    return;
  }
  ScopeExit unmount([&] { RunProcess({"/bin/umount", "-l", mnt}); });

  const std::string path = mnt + "/journal.db";
  const std::string filler = mnt + "/filler";
  Recorder rec;
  auto ingest = StartIngest(OpenJournal(path), rec.Callbacks());
  REQUIRE(FillFilesystem(filler));

  std::vector<std::string> submitted;
  for (int batch = 0; batch < 5; ++batch) {
    std::vector<NewEvent> events;
    for (int i = 0; i < 20; ++i) {
      submitted.push_back("/rec/cam" + std::to_string(batch) + "/" + std::to_string(i) + "-" +
                          std::string(200, 'x') + ".mp4");
      events.push_back(Deleted(submitted.back(), batch * 100 + i));
    }
    ingest->Submit(std::move(events));
  }

  REQUIRE(rec.WaitForError());
  CHECK(rec.total() == 0);
  const Status error = rec.errors().front();
  INFO(error.message());
  CHECK(error.message().find(path) != std::string::npos);        // names the journal
  CHECK(error.message().find("full") != std::string::npos);      // says what is wrong
  CHECK(error.message().find("free space") != std::string::npos);  // and the fix
  CHECK(error.message().find('\n') == std::string::npos);        // one line

  RemoveFile(filler);
  const auto n = static_cast<int64_t>(submitted.size());
  // The ingest retries with a backoff capped at a few seconds.
  REQUIRE(rec.WaitForTotal(n, std::chrono::seconds(30)));
  CHECK(rec.total() == n);
  CHECK(ingest->Shutdown(std::chrono::seconds(10)));

  auto events = ReadBack(path);
  REQUIRE(events.size() == submitted.size());
  for (size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i].path == submitted[i]);
    if (i > 0) CHECK(events[i].seq > events[i - 1].seq);
  }
  CheckCommitsRise(rec.commits());
}

}  // namespace
}  // namespace recsync::testing
