// Test helpers for the real filesystem: a temporary directory removed on scope
// exit, file creation with parents, and running the recsync binary.
#pragma once

#include <string>
#include <vector>

namespace recsync::testing {

// A fresh directory under $TMPDIR (or /tmp), removed recursively on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + relative
  std::string Sub(const std::string& relative) const;

 private:
  std::string path_;
};

// Creates `path` (and its parent directories) with `content`.
void WriteFile(const std::string& path, const std::string& content = "x");
// mkdir -p
void MakeDirs(const std::string& path);
bool Exists(const std::string& path);
// Removes a file; fails the test if it cannot.
void RemoveFile(const std::string& path);

// The output of a finished child process.
struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;
  std::string err;
};

// Runs `argv` (argv[0] is a path) to completion, capturing stdout and stderr.
ProcessResult RunProcess(const std::vector<std::string>& argv);

}  // namespace recsync::testing
