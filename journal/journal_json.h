// The journal's records as JSON: what `recsync journal ... --json` prints and
// the HTTP API answers, from one place.
//
// Keys keep the order of the record's fields (ordered_json), for people
// reading the lines too. Paths are bytes: serialise with DumpJson
// (common/json.h), which replaces invalid UTF-8 instead of throwing.
//
// Thread rules: pure functions.
#pragma once

#include <nlohmann/json.hpp>

#include "journal/journal.h"

namespace recsync {

nlohmann::ordered_json EventJson(const EventRecord& e);
// `report` holds the parsed report_json (or the raw text if it is not JSON).
nlohmann::ordered_json SweepJson(const SweepRecord& s);
nlohmann::ordered_json ActionJson(const ActionRecord& a);
nlohmann::ordered_json StatsJson(const JournalStats& s);

}  // namespace recsync
