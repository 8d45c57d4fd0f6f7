// DiskInterface: the filesystem as the sweep sees it, behind a small interface
// so the safety rules can be tested with a virtual disk (hung mounts, EIO,
// unmounted roots) and proven on the real one.
//
// The one rule that matters: only ENOENT means missing. Every other failure
// (EACCES, EIO, ESTALE, ENOTCONN, ENOTDIR, a timeout) means "unknown", and an
// unknown file is never archived.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/path.h"
#include "common/status.h"

namespace recsync {

enum class Presence { kPresent, kMissing, kUnknown };

struct PathCheck {
  Presence presence = Presence::kUnknown;
  int err = 0;  // errno for kUnknown (0 for a timeout)
};

// What a storage root directory looks like right now.
struct DirProbe {
  int err = 0;           // errno of stat/opendir; 0 when it is a readable directory
  bool is_dir = false;
  bool empty = false;    // no entries besides . and ..
  uint64_t st_dev = 0;
  std::string real_path; // realpath() of the root: its identity, and for the mount table lookup
  // When the root is a symlink: where it points (readlink), so that a link to
  // a storage that is not mounted can say so.
  std::string link_target;
  // For EACCES: the directory that refused us (the root or the first of its
  // parents we may not search), its mode and owner, and who we are.
  std::string denied_dir;
  uint32_t denied_mode = 0;
  uint32_t denied_uid = 0, denied_gid = 0;
};

// A directory's identity and change times as stat(2) gives them. Adding,
// removing or renaming a name in a directory sets its mtime and ctime, so
// an equal stamp later means the same names, within the limits that
// listing_cache.h guards against.
struct FolderStamp {
  uint64_t dev = 0;
  uint64_t ino = 0;
  int64_t mtime_ns = 0;
  int64_t ctime_ns = 0;
  bool operator==(const FolderStamp&) const = default;
};

// The digest of a file name that a remembered listing keeps instead of the
// name: 4 bytes, whatever the name's length, because a sweep remembers a
// listing of every folder and the bytes cost time to store and load. It is
// stored in the journal: a change to it must change kNameDigestFormat,
// which retires every listing stored with the old one.
inline constexpr int kNameDigestFormat = 1;
uint32_t NameDigest(std::string_view name);

// The names in one directory, as readdir(3) (getdents) gives them, packed
// into one buffer with an open-addressing index: a sweep lists every folder
// of the storage and asks about every recording, so neither may cost an
// allocation per name.
class DirListing {
 public:
  int err = 0;  // errno of opendir/readdir; 0 when listed whole
  // Set by a disk that can tell (the real one): the directory's stamp, taken
  // from the open directory before its first entry was read, and the wall
  // clock just before that.
  std::optional<FolderStamp> stamp;
  int64_t opened_ns = 0;

  // Adds a name (not "." or ".."; the caller skips those). Names are
  // assumed distinct, as a directory's are.
  void Add(std::string_view name);
  // Whether `name` was added.
  bool Contains(std::string_view name) const;
  size_t size() const { return from_digests_ ? digest_count_ : starts_.size(); }
  // Drops every name (a listing that failed half-way).
  void Clear();

  // NameDigest() of every name, sorted: what a remembered listing keeps.
  std::vector<uint32_t> Digests() const;
  // A listing rebuilt from Digests(). Its Contains() compares digests, so a
  // gone file whose digest equals that of a name still in the folder counts
  // as listed: odds of about 1 in 40 million for a folder of 100 names, and
  // the cost is a later archive (when the folder changes or the listing
  // expires), never a wrong one.
  static DirListing FromDigests(const std::vector<uint32_t>& digests);

 private:
  std::string_view At(uint32_t i) const;
  void Rehash(size_t slots);

  std::string bytes_;              // every name, each followed by a NUL
  std::vector<uint32_t> starts_;   // where each name begins in bytes_
  std::vector<uint32_t> slots_;    // 0 = empty, else 1 + index into starts_
  // FromDigests: an open-addressing set of the digests, 0 = empty slot
  // (digest 0 is kept in has_zero_).
  bool from_digests_ = false;
  bool has_zero_ = false;
  size_t digest_count_ = 0;
  std::vector<uint32_t> digest_slots_;
};

struct MountEntry {
  std::string mount_point;
  std::string fs_type;
};

class DiskInterface {
 public:
  virtual ~DiskInterface() = default;
  // lstat(path): success is kPresent, ENOENT is kMissing, anything else kUnknown.
  virtual PathCheck Check(const std::string& path) = 0;
  // stat + opendir + the first directory entry of `path`.
  virtual DirProbe ProbeDir(const std::string& path) = 0;
  // Lists `dir` (opendir + readdir, following a symlink to a directory as a
  // path walk would). One listing answers for every file in the directory,
  // which is what makes a sweep cheap (see presence_check.h).
  virtual DirListing ListDir(const std::string& dir) = 0;
  // stat(dir)'s stamp; nullopt on any error. A disk that cannot tell (the
  // default) never has a listing reused.
  virtual std::optional<FolderStamp> StampDir(const std::string& dir) {
    (void)dir;
    return std::nullopt;
  }
  // The mounted filesystems now (/proc/self/mountinfo), in mount order.
  virtual Result<std::vector<MountEntry>> Mounts() = 0;
  // Mount points declared in fstab (second field; swap and "none" skipped).
  virtual Result<std::vector<std::string>> DeclaredMountPoints() = 0;
};

// disk.Check() of each path, in order.
std::vector<PathCheck> CheckEach(DiskInterface& disk, const std::vector<std::string>& paths);

// The real filesystem. `fstab` is the file DeclaredMountPoints() reads.
std::unique_ptr<DiskInterface> MakeRealDisk(std::string fstab = "/etc/fstab");

// Decodes the octal escapes (\040 for a space, ...) used in fstab and mountinfo.
std::string UnescapeMountField(const std::string& field);

// Parses /proc/self/mountinfo text into mount entries.
std::vector<MountEntry> ParseMountInfo(const std::string& text);
// Parses fstab text into declared mount points.
std::vector<std::string> ParseFstab(const std::string& text);

// The entry whose mount point is the longest prefix of `path` (a resolved,
// absolute path); nullopt when the table is empty.
std::optional<MountEntry> MountContaining(const std::vector<MountEntry>& mounts,
                                          const std::string& path);

// "10 s" or "250 ms", for messages about probe timeouts.
std::string FormatTimeout(std::chrono::milliseconds timeout);

// A thread that runs posted closures one after another, for a caller that
// starts many bounded tasks in a row (a sweep's chunks) and would otherwise
// create a thread for each. Never joined: a closure stuck in a hung mount
// keeps the thread, which exits once it is unstuck and the TaskThread is gone.
// For calls about a whole root (probes), StorageLanes keeps one such thread
// per root across calls instead (storage_lanes.h).
class TaskThread {
 public:
  // Starts the thread; never throws. When no thread can be started (the
  // process is out of threads or memory), started() is false and every task
  // given to it fails at once (BoundedTask::Wait() returns nullopt).
  TaskThread();
  ~TaskThread();  // the queued closures still run; then the thread exits
  TaskThread(const TaskThread&) = delete;
  TaskThread& operator=(const TaskThread&) = delete;

  bool started() const { return started_; }
  void Post(std::function<void()> fn);

 private:
  struct Queue;
  std::shared_ptr<Queue> queue_;
  bool started_ = false;
};

// A call bounded in time, in two halves, so the caller can work meanwhile:
// Start() runs `fn` on `thread`; Wait() waits until the deadline given at
// Start and returns nullopt if it had not finished by then (the thread is
// left behind, stuck in the call; a TaskThread that timed out must not be
// given more work: it may never come back), if `fn` threw, or if the thread
// could not be started.
template <typename T>
class BoundedTask {
 public:
  static BoundedTask Start(std::function<T()> fn, std::chrono::milliseconds timeout,
                           TaskThread* thread);
  std::optional<T> Wait();

 private:
  struct State;
  std::shared_ptr<State> state_;
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace recsync

#include "reconcile/run_bounded_inl.h"
