#include "common/event_kind.h"

#include <catch2/catch.hpp>
#include <string>

namespace recsync {
namespace {

// Journals on disk hold this text: it may never change for a released kind.
TEST_CASE("Event kinds keep the text the journal stores", "[common]") {
  using K = EventKind;
  CHECK(ToText(K::kDeleted) == "deleted");
  CHECK(ToText(K::kMovedFrom) == "moved_from");
  CHECK(ToText(K::kMovedTo) == "moved_to");
  CHECK(ToText(K::kCreated) == "created");
  CHECK(ToText(K::kDirCreated) == "dir_created");
  CHECK(ToText(K::kDirDeleted) == "dir_deleted");
  CHECK(ToText(K::kOverflow) == "overflow");
  CHECK(ToText(K::kRootGone) == "unmounted");
  CHECK(ToText(K::kUnknownWatch) == "unknown_watch");
  CHECK(ToText(K::kCookie) == "cookie");
}

TEST_CASE("Only the journaled kinds parse, each back to itself", "[common]") {
  for (EventKind kind : kJournaledKinds) CHECK(ParseJournaledKind(ToText(kind)) == kind);
  CHECK(JoinTexts(kJournaledKinds) == "deleted, moved_from, moved_to, created, overflow, unmounted");
  CHECK_FALSE(ParseJournaledKind("cookie"));
  CHECK_FALSE(ParseJournaledKind("dir_created"));
  CHECK_FALSE(ParseJournaledKind("Deleted"));
  CHECK_FALSE(ParseJournaledKind(""));
}

}  // namespace
}  // namespace recsync
