// Helpers for journal tests: open a journal in a TempDir, failing the test
// with the Status message when it cannot be opened.
#pragma once

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

#include "journal/journal.h"

namespace recsync::testing {

// Short, so tests of lock contention do not wait the production 5 s.
inline constexpr int kTestBusyTimeoutMs = 50;

inline std::unique_ptr<Journal> OpenJournal(const std::string& path,
                                            Journal::Mode mode = Journal::Mode::kReadWrite,
                                            int busy_timeout_ms = kJournalBusyTimeoutMs) {
  auto journal = Journal::Open(path, mode, busy_timeout_ms);
  INFO(journal.status().message());
  REQUIRE(journal.ok());
  return std::move(*journal);
}

inline NewEvent Event(int64_t time_ms, std::string path, EventKind kind = EventKind::kDeleted) {
  return NewEvent::Of(kind, time_ms, std::move(path));
}

inline std::vector<int64_t> Append(Journal& journal, const std::vector<NewEvent>& events) {
  auto seqs = journal.AppendEvents(events);
  INFO(seqs.status().message());
  REQUIRE(seqs.ok());
  return *seqs;
}

template <typename T>
T Must(Result<T> result) {
  INFO(result.status().message());
  REQUIRE(result.ok());
  return std::move(result).value();
}

inline void MustOk(const Status& status) {
  INFO(status.message());
  REQUIRE(status.ok());
}

}  // namespace recsync::testing
