// The journal's vocabulary besides event kinds (common/event_kind.h): the
// states of an event, what an action did to a row, and what caused it.
// ToText() gives the text stored in the journal and printed by the CLI and
// the control socket; it never changes for a released value (journals on
// disk hold it). See common/enum_text.h for the helpers.
//
// Thread-safety: plain values and constexpr functions.
#pragma once

#include <optional>
#include <string_view>

#include "common/enum_text.h"

namespace recsync {

// Where an event stands (the `state` column).
enum class EventState {
  kPending,  // not settled yet: new, held, or to be tried again
  kApplied,  // done: its rows were changed (or nothing was left to do)
  kIgnored,  // nothing to do (no rows, the file exists again, ...)
  kFailed,   // can never be applied as things stand; the operator may retry it
};

constexpr std::string_view ToText(EventState state) {
  switch (state) {
    case EventState::kPending: return "pending";
    case EventState::kApplied: return "applied";
    case EventState::kIgnored: return "ignored";
    case EventState::kFailed: return "failed";
  }
  return "unknown";
}

// Every state, in the order the CLI lists them.
inline constexpr EventState kEventStates[] = {EventState::kPending, EventState::kApplied,
                                                 EventState::kIgnored, EventState::kFailed};

constexpr std::optional<EventState> ParseEventState(std::string_view text) {
  return ParseAmong(kEventStates, text);
}

// What recsync did to a Media row (the `action` column of the audit trail).
enum class ActionKind {
  kArchive,  // archive=1: its file is gone
  kRepath,   // filepath changed: its file was renamed
  kRestore,  // archive=0 again: its file came back
};

constexpr std::string_view ToText(ActionKind action) {
  switch (action) {
    case ActionKind::kArchive: return "archive";
    case ActionKind::kRepath: return "repath";
    case ActionKind::kRestore: return "restore";
  }
  return "unknown";
}

inline constexpr ActionKind kActionKinds[] = {ActionKind::kArchive, ActionKind::kRepath,
                                                 ActionKind::kRestore};

constexpr std::optional<ActionKind> ParseActionKind(std::string_view text) {
  return ParseAmong(kActionKinds, text);
}

// What made recsync act (the `cause` column; cause_id is the sweep's id or
// the event's seq).
enum class Cause {
  kSweep,
  kEvent,
};

constexpr std::string_view ToText(Cause cause) {
  switch (cause) {
    case Cause::kSweep: return "sweep";
    case Cause::kEvent: return "event";
  }
  return "unknown";
}

inline constexpr Cause kCauses[] = {Cause::kSweep, Cause::kEvent};

constexpr std::optional<Cause> ParseCause(std::string_view text) {
  return ParseAmong(kCauses, text);
}

}  // namespace recsync
