// Journal faults: the process-wide handler and the damaged marker.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>

#include "common/time_text.h"
#include "journal/internal.h"
#include "journal/journal_fault.h"

namespace recsync {
namespace {

std::mutex& HandlerMutex() {
  static std::mutex mu;
  return mu;
}

JournalFaultHandler& Handler() {
  static JournalFaultHandler handler;
  return handler;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Marker {
  uint64_t dev = 0, ino = 0;
  std::string when, reason;
};

// The marker's fields, or nullopt when it cannot be read or parsed (then it
// marks nothing we could match).
std::optional<Marker> ReadMarker(const std::string& marker_path) {
  std::ifstream in(marker_path);
  if (!in) return std::nullopt;
  Marker m;
  std::string line;
  bool identity = false;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string word;
    fields >> word;
    if (word == "file") identity = static_cast<bool>(fields >> m.dev >> m.ino);
    if (word == "time") std::getline(fields >> std::ws, m.when);
    if (word == "reason") std::getline(fields >> std::ws, m.reason);
  }
  if (!identity) return std::nullopt;
  return m;
}

}  // namespace

void SetJournalFaultHandler(JournalFaultHandler handler) {
  std::lock_guard<std::mutex> lock(HandlerMutex());
  Handler() = std::move(handler);
}

namespace journal_internal {

// Called under the handler's lock, so a handler being removed is not running.
void ReportFault(const JournalFault& fault) {
  std::lock_guard<std::mutex> lock(HandlerMutex());
  if (Handler()) Handler()(fault);
}

std::string MoveAsideFix(const std::string& path) {
  return "move it aside (mv " + path + " " + path +
         ".corrupt) and restart recsync; a new journal is created";
}

}  // namespace journal_internal

std::string JournalDamagedMarkerPath(const std::string& path) { return path + ".damaged"; }

Status MarkJournalDamaged(const std::string& path, const std::string& reason) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    return ErrnoStatus(err, "journal " + path);
  }
  const std::string marker = JournalDamagedMarkerPath(path);
  const std::string temp = marker + ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << "recsync found this journal damaged; it refuses to use it until it is moved aside\n"
        << "file " << st.st_dev << " " << st.st_ino << "\n"
        << "time " << FormatTimeIso(NowMs()) << "\n"
        << "reason " << reason.substr(0, reason.find('\n')) << "\n";
    out.flush();
    if (!out) return Status(Code::kIo, "journal " + path + ": cannot write " + temp);
  }
  if (::rename(temp.c_str(), marker.c_str()) != 0) {
    int err = errno;
    return ErrnoStatus(err, "journal " + path + ": renaming " + temp);
  }
  return Status::Ok();
}

Status CheckJournalNotMarkedDamaged(const std::string& path) {
  const std::string marker = JournalDamagedMarkerPath(path);
  struct stat mst;
  if (::lstat(marker.c_str(), &mst) != 0) return Status::Ok();
  std::optional<Marker> m = ReadMarker(marker);
  struct stat st;
  const bool same = m && ::stat(path.c_str(), &st) == 0 &&
                    static_cast<uint64_t>(st.st_dev) == m->dev &&
                    static_cast<uint64_t>(st.st_ino) == m->ino;
  if (!same) {
    // The journal it marked was moved aside (or the marker is unreadable).
    ::unlink(marker.c_str());
    return Status::Ok();
  }
  return Status(Code::kCorrupt, "journal " + path + " was found damaged while recsync ran (" +
                                    m->when + ": " + m->reason + "): " +
                                    journal_internal::MoveAsideFix(path) + " (or, if you "
                                    "repaired it, remove " + marker + ")");
}

}  // namespace recsync
