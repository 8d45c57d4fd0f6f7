// Journal: intents, the actions of a catalog transaction written before its
// COMMIT and replaced by the audit records once it returned.
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <SQLiteCpp/Transaction.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>

#include "journal/internal.h"
#include "journal/journal.h"

namespace recsync {

using journal_internal::BindBytes;
using journal_internal::ColumnBytes;
using journal_internal::Guarded;
using journal_internal::InsertActions;
using journal_internal::kActionColumns;
using journal_internal::ReadAction;

namespace {

// Format 1 of an intent's actions, one after another: media_id, time_ms and
// cause_id as 8 bytes each, then path, action, cause and detail, each as a
// 4-byte length and its bytes. Little-endian, so a journal reads the same on
// any machine. A new format gets a new number; every released one stays
// readable (migration 6->7 writes format 1).
constexpr int kIntentFormat = 1;

void PutInt(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

void PutText(std::string& out, std::string_view text) {
  PutInt(out, text.size(), 4);
  out += text;
}

std::string Encode(const ActionRefs& actions) {
  std::string out;
  size_t size = 0;
  for (const ActionRecord* a : actions) {
    size += 40 + a->path.size() + ToText(a->action).size() + ToText(a->cause).size() +
            a->detail.size();
  }
  out.reserve(size);
  for (const ActionRecord* action : actions) {
    const ActionRecord& a = *action;
    PutInt(out, static_cast<uint64_t>(a.media_id), 8);
    PutInt(out, static_cast<uint64_t>(a.time_ms), 8);
    PutInt(out, static_cast<uint64_t>(a.cause_id), 8);
    PutText(out, a.path);
    PutText(out, ToText(a.action));
    PutText(out, ToText(a.cause));
    PutText(out, a.detail);
  }
  return out;
}

// Reads what Encode() wrote; false if the bytes end early.
class Reader {
 public:
  explicit Reader(const std::string& bytes) : bytes_(bytes) {}
  bool done() const { return at_ == bytes_.size(); }
  bool Int(int64_t& value, int bytes) {
    if (bytes_.size() - at_ < static_cast<size_t>(bytes)) return false;
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) {
      v |= static_cast<uint64_t>(static_cast<unsigned char>(bytes_[at_ + i])) << (8 * i);
    }
    at_ += static_cast<size_t>(bytes);
    value = static_cast<int64_t>(v);
    return true;
  }
  // An enum value (journal/vocabulary.h) by its text; false for text this
  // binary does not know.
  template <typename E>
  bool Value(E& value, std::optional<E> (*parse)(std::string_view)) {
    std::string text;
    if (!Text(text)) return false;
    const auto parsed = parse(text);
    if (parsed) value = *parsed;
    return parsed.has_value();
  }
  bool Text(std::string& text) {
    int64_t size = 0;
    if (!Int(size, 4) || bytes_.size() - at_ < static_cast<size_t>(size)) return false;
    text.assign(bytes_, at_, static_cast<size_t>(size));
    at_ += static_cast<size_t>(size);
    return true;
  }

 private:
  const std::string& bytes_;
  size_t at_ = 0;
};

bool Decode(const std::string& bytes, int64_t intent_id, std::vector<ActionRecord>& out) {
  Reader in(bytes);
  while (!in.done()) {
    ActionRecord a;
    a.id = intent_id;
    if (!in.Int(a.media_id, 8) || !in.Int(a.time_ms, 8) || !in.Int(a.cause_id, 8) ||
        !in.Text(a.path) || !in.Value(a.action, ParseActionKind) ||
        !in.Value(a.cause, ParseCause) || !in.Text(a.detail)) {
      return false;
    }
    out.push_back(std::move(a));
  }
  return true;
}

int64_t LatestTime(const ActionRefs& actions) {
  int64_t latest = 0;
  for (const ActionRecord* a : actions) latest = std::max(latest, a->time_ms);
  return latest;
}

void InsertIntent(SQLite::Database& db, const ActionRefs& actions) {
  const std::string bytes = Encode(actions);
  SQLite::Statement st(db, "INSERT INTO intents(time_ms, format, actions) VALUES (?, ?, ?)");
  st.bind(1, static_cast<int64_t>(LatestTime(actions)));
  st.bind(2, kIntentFormat);
  // No copy: `bytes` outlives the statement's run.
  st.bindNoCopy(3, static_cast<const void*>(bytes.data()), static_cast<int>(bytes.size()));
  st.exec();
}

}  // namespace

namespace journal_internal {

void MoveLegacyIntents(SQLite::Database& db) {
  SQLite::Statement st(db, std::string("SELECT ") + kActionColumns +
                               " FROM actions WHERE confirmed = 0 ORDER BY id");
  std::vector<ActionRecord> unconfirmed;
  while (st.executeStep()) unconfirmed.push_back(ReadAction(st));
  if (!unconfirmed.empty()) {
    InsertIntent(db, RefsOf(unconfirmed));
    db.exec("DELETE FROM actions WHERE confirmed = 0");
  }
  // Dropped last: the index served the two statements above.
  db.exec("DROP INDEX actions_unconfirmed");
}

}  // namespace journal_internal

Result<int64_t> Journal::RecordIntent(const ActionRefs& actions) {
  // Intents() could not list an empty intent, so nothing would ever drop it.
  if (actions.empty()) {
    return Status(Code::kInvalid, "journal " + path_ + ": an intent without actions");
  }
  return Guarded(path_, [&]() -> Result<int64_t> {
    SQLite::Transaction txn(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    InsertIntent(*db_, actions);
    const int64_t id = db_->getLastInsertRowid();
    txn.commit();
    return id;
  });
}

Result<bool> Journal::ConfirmIntents(const std::vector<int64_t>& intent_ids,
                                     const ActionRefs& happened,
                                     std::optional<int64_t> committed_ms) {
  return Guarded(path_, [&]() -> Result<bool> {
    SQLite::Transaction txn(*db_, SQLite::TransactionBehavior::IMMEDIATE);
    // Dropping first tells whether another connection (the daemon settles at
    // start on two) recorded these actions already.
    SQLite::Statement drop(*db_, "DELETE FROM intents WHERE id = ?");
    for (int64_t id : intent_ids) {
      drop.bind(1, static_cast<int64_t>(id));
      if (drop.exec() != 1) return false;  // the guard rolls back
      drop.reset();
    }
    InsertActions(*db_, happened, committed_ms);
    txn.commit();
    return true;
  });
}

Result<std::vector<ActionRecord>> Journal::Intents(std::vector<int64_t>* damaged) {
  return Guarded(path_, [&]() -> Result<std::vector<ActionRecord>> {
    SQLite::Statement st(*db_, "SELECT id, format, actions FROM intents ORDER BY id");
    std::vector<ActionRecord> out;
    while (st.executeStep()) {
      const int64_t id = st.getColumn(0).getInt64();
      const size_t before = out.size();
      if (st.getColumn(1).getInt() != kIntentFormat ||
          !Decode(ColumnBytes(st.getColumn(2)), id, out)) {
        out.resize(before);
        if (damaged) damaged->push_back(id);
      }
    }
    return out;
  });
}

}  // namespace recsync
