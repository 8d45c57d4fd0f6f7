#include "journal/vocabulary.h"

#include <catch2/catch.hpp>
#include <string>

namespace recsync {
namespace {

// Journals on disk hold this text: it may never change for a released value.
TEST_CASE("States, actions and causes keep the text the journal stores") {
  CHECK(JoinTexts(kEventStates) == "pending, applied, ignored, failed");
  CHECK(JoinTexts(kActionKinds) == "archive, repath, restore");
  CHECK(JoinTexts(kCauses) == "sweep, event");
}

TEST_CASE("Each text parses back to its value; any other text is refused") {
  for (EventState s : kEventStates) CHECK(ParseEventState(ToText(s)) == s);
  for (ActionKind a : kActionKinds) CHECK(ParseActionKind(ToText(a)) == a);
  for (Cause c : kCauses) CHECK(ParseCause(ToText(c)) == c);
  CHECK_FALSE(ParseEventState("done"));
  CHECK_FALSE(ParseEventState("Pending"));
  CHECK_FALSE(ParseActionKind("delete"));
  CHECK_FALSE(ParseCause(""));
}

}  // namespace
}  // namespace recsync
