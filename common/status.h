// Status and Result<T>: the one way recsync reports expected failures.
//
// A Status is either OK or a code plus a one-line message that names the thing
// that failed and, where there is one, the fix. Exceptions are reserved for bugs
// and start-up; anything an operator can cause (a missing file, a dead database,
// a full disk) travels as a Status. errno is turned into a Status in exactly one
// place: ErrnoStatus().
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace recsync {

enum class Code {
  kOk = 0,
  kInvalid,      // bad input: config, arguments, a malformed path
  kNotFound,     // the thing asked for does not exist
  kIo,           // a filesystem or journal I/O failure
  kTimeout,      // an operation did not finish within its deadline
  kUnavailable,  // transient: the database is unreachable or the connection was lost
  kDatabase,     // a non-transient database error (auth, missing table, SQL error)
  kBusy,         // the resource is held by someone else (a locked journal)
  kRejected,     // the database refused this particular value (a path longer than
                 // its column, or bytes the column's character set cannot hold);
                 // retrying cannot help, and nothing was written
  kCorrupt,      // a file recsync keeps (the journal) is damaged: move it aside
};

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {
    assert(code != Code::kOk);
  }

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with context ("journal /var/lib/x.db: " + message).
  Status With(std::string_view context) const {
    if (ok()) return *this;
    return Status(code_, std::string(context) + ": " + message_);
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

// The single place where errno becomes a Status: "<what>: <strerror>", with the
// code chosen from the errno value (ENOENT -> kNotFound, ETIMEDOUT -> kTimeout,
// EBUSY/EAGAIN -> kBusy, EINVAL -> kInvalid, anything else -> kIo).
Status ErrnoStatus(int err, std::string_view what);

// strerror() that is safe to call from any thread.
std::string ErrnoText(int err);

// Result<T>: a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // The error; OK when the result holds a value.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace recsync

// Returns early from the enclosing function when `expr` (a Status) is not OK.
#define RECSYNC_RETURN_IF_ERROR(expr)          \
  do {                                         \
    ::recsync::Status _st = (expr);            \
    if (!_st.ok()) return _st;                 \
  } while (0)
