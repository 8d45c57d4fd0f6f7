// Shared pieces of the benchmark programs (never part of the product).
//
// The generated data set is a pure function of --rows: active row i (0-based)
// has Media.id = kActiveBaseId + i and a path computed by Layout::PathOf(i),
// so every program can recompute ids and paths without a manifest. Files
// removed at ratio r are those with Removed(i, r): the 0.1 % set is a subset
// of the 10 % set, so the scenarios can run in order on one tree.
#pragma once

#include <sys/resource.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

struct st_mysql;
struct st_mysql_res;

namespace bench {

// Archived history (the "10 M archived" case) takes ids 1..kActiveBaseId-1,
// below the active rows, as older recordings do in a real install.
inline constexpr int64_t kActiveBaseId = 20'000'001;

struct Layout {
  std::string root;           // storage root, no trailing '/'
  int64_t rows = 0;           // active rows
  int cameras = 30;           // devices 000001..000030
  int slots_per_day = 93;     // recordings per camera per day (~15.5 min each)
  int64_t base_day = 19723;   // 2024-01-01 in days since the epoch

  int64_t rows_per_day() const { return int64_t{cameras} * slots_per_day; }
  int64_t days() const { return (rows + rows_per_day() - 1) / rows_per_day(); }
  int64_t IdOf(int64_t i) const { return kActiveBaseId + i; }
  int64_t IndexOf(int64_t id) const { return id - kActiveBaseId; }
  int64_t DayOf(int64_t i) const { return i / rows_per_day(); }
  int CameraOf(int64_t i) const { return static_cast<int>(i % rows_per_day() % cameras) + 1; }
  int64_t StartOf(int64_t i) const;         // unix seconds
  std::string DirOf(int64_t day, int camera) const;  // root/YYYY/MM/DD/NNNNNN
  std::string NameOf(int64_t i) const;      // HH-MM-SS[-motion].mp4
  std::string PathOf(int64_t i) const { return DirOf(DayOf(i), CameraOf(i)) + "/" + NameOf(i); }
  // Index of the first row of folder (day, camera) and the step between its rows.
  int64_t FirstOf(int64_t day, int camera) const {
    return day * rows_per_day() + (camera - 1);
  }
};

// Whether row i's file is removed at `ratio` (deterministic, nested by ratio).
bool Removed(int64_t i, double ratio);

// A MariaDB connection over a unix socket as root (the throwaway server).
class Db {
 public:
  Db(const std::string& socket, const std::string& db);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;
  int64_t Exec(const std::string& sql);  // dies on error; rows the (first) statement affected
  int64_t QueryInt(const std::string& sql);           // first column of first row
  st_mysql* raw() { return mysql_; }

 private:
  st_mysql* mysql_ = nullptr;
};

[[noreturn]] void Die(const std::string& message);
// Runs `cleanup` (once) before Die exits: a benchmark that started a daemon
// stops it, so a failed run leaves nothing watching the tree.
void OnDie(std::function<void()> cleanup);

// Monotonic milliseconds (double) and wall-clock epoch milliseconds.
double NowMs();
int64_t EpochMs();

// A child process, run to completion: wall time and peak RSS from wait4().
struct ChildResult {
  int exit_code = -1;     // -signal when killed
  double wall_ms = 0;
  int64_t maxrss_kib = 0;
};
// Runs argv with stdout to `stdout_path` (empty: inherited) and stderr to
// `stderr_path` (empty: inherited).
ChildResult RunChild(const std::vector<std::string>& argv, const std::string& stdout_path,
                     const std::string& stderr_path);
// Starts argv in the background; returns its pid.
int StartChild(const std::vector<std::string>& argv, const std::string& stdout_path,
               const std::string& stderr_path);

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& text);

// Simple "--key value" / "--flag" parser.
class Args {
 public:
  Args(int argc, char** argv, int first);
  std::string Get(const std::string& key, const std::string& def) const;
  std::string Need(const std::string& key) const;
  int64_t GetInt(const std::string& key, int64_t def) const;
  double GetDouble(const std::string& key, double def) const;
  bool Flag(const std::string& key) const;
  std::vector<std::string> All(const std::string& key) const;

 private:
  std::multimap<std::string, std::string> values_;
};

// Median, min, max of a sample (sorted copy).
struct Summary {
  double median = 0, min = 0, max = 0;
};
Summary Summarize(std::vector<double> v);
// Percentile p (0..100) by nearest rank.
double Percentile(std::vector<double> v, double p);

// Resets the generated active rows: archive=0 in Media and EventsCam for ids
// kActiveBaseId..kActiveBaseId+rows-1, and filepath back to the generated one
// where it differs. Returns the number of Media rows changed.
int64_t ResetRows(Db& db, const Layout& layout);

}  // namespace bench
