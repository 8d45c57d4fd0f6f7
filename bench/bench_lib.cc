#include "bench/bench_lib.h"

#include <functional>
#include <utility>

#include <fcntl.h>
#include <mysql.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

namespace bench {

int64_t Layout::StartOf(int64_t i) const {
  const int64_t day = DayOf(i);
  const int64_t slot = (i % rows_per_day()) / cameras;
  return (base_day + day) * 86400 + slot * 929 + (CameraOf(i) - 1) * 7;
}

std::string Layout::DirOf(int64_t day, int camera) const {
  const time_t t = static_cast<time_t>((base_day + day) * 86400);
  struct tm tm {};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "/%04d/%02d/%02d/%06d", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, camera);
  return root + buf;
}

std::string Layout::NameOf(int64_t i) const {
  const time_t t = static_cast<time_t>(StartOf(i));
  struct tm tm {};
  gmtime_r(&t, &tm);
  const int64_t slot = (i % rows_per_day()) / cameras;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%02d-%02d-%02d%s.mp4", tm.tm_hour, tm.tm_min, tm.tm_sec,
                slot % 4 == 1 ? "-motion" : "");
  return buf;
}

bool Removed(int64_t i, double ratio) {
  // splitmix64 of the index: a fixed pseudo-random order of the rows.
  uint64_t z = static_cast<uint64_t>(i) + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) / 9007199254740992.0 < ratio;
}

namespace {
std::function<void()> g_on_die;
}  // namespace

void OnDie(std::function<void()> cleanup) { g_on_die = std::move(cleanup); }

void Die(const std::string& message) {
  std::fprintf(stderr, "bench: %s\n", message.c_str());
  if (auto cleanup = std::exchange(g_on_die, nullptr)) cleanup();
  std::exit(1);
}

Db::Db(const std::string& socket, const std::string& db) {
  mysql_ = mysql_init(nullptr);
  if (!mysql_real_connect(mysql_, nullptr, "root", nullptr, db.c_str(), 0, socket.c_str(),
                          CLIENT_MULTI_STATEMENTS)) {
    Die("cannot connect to " + socket + ": " + mysql_error(mysql_));
  }
}

Db::~Db() { mysql_close(mysql_); }

int64_t Db::Exec(const std::string& sql) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    Die("query failed: " + std::string(mysql_error(mysql_)) + " in: " + sql.substr(0, 200));
  }
  // Read before draining: the drain resets it.
  const auto affected = static_cast<int64_t>(mysql_affected_rows(mysql_));
  // Drain every result of a multi-statement.
  do {
    if (MYSQL_RES* r = mysql_store_result(mysql_)) mysql_free_result(r);
  } while (mysql_next_result(mysql_) == 0);
  return affected;
}

int64_t Db::QueryInt(const std::string& sql) {
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) {
    Die("query failed: " + std::string(mysql_error(mysql_)) + " in: " + sql);
  }
  MYSQL_RES* r = mysql_store_result(mysql_);
  if (!r) Die("no result for: " + sql);
  MYSQL_ROW row = mysql_fetch_row(r);
  const int64_t v = row && row[0] ? std::strtoll(row[0], nullptr, 10) : 0;
  mysql_free_result(r);
  return v;
}

double NowMs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int64_t EpochMs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

namespace {
pid_t Spawn(const std::vector<std::string>& argv, const std::string& out, const std::string& err) {
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) Die("fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    auto redirect = [](const std::string& path, int fd) {
      if (path.empty()) return;
      const int f = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (f < 0 || dup2(f, fd) < 0) _exit(127);
    };
    redirect(out, 1);
    redirect(err, 2);
    execv(args[0], args.data());
    std::fprintf(stderr, "bench: cannot exec %s: %s\n", args[0], std::strerror(errno));
    _exit(127);
  }
  return pid;
}
}  // namespace

ChildResult RunChild(const std::vector<std::string>& argv, const std::string& stdout_path,
                     const std::string& stderr_path) {
  ChildResult result;
  const double t0 = NowMs();
  const pid_t pid = Spawn(argv, stdout_path, stderr_path);
  int status = 0;
  rusage ru{};
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) Die("wait4: " + std::string(std::strerror(errno)));
  }
  result.wall_ms = NowMs() - t0;
  result.maxrss_kib = ru.ru_maxrss;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
  return result;
}

int StartChild(const std::vector<std::string>& argv, const std::string& stdout_path,
               const std::string& stderr_path) {
  return Spawn(argv, stdout_path, stderr_path);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) Die("cannot write " + path);
}

Args::Args(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) Die("unexpected argument " + a);
    a = a.substr(2);
    if (i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0) {
      values_.emplace(a, argv[++i]);
    } else {
      values_.emplace(a, "");
    }
  }
}
std::string Args::Get(const std::string& key, const std::string& def) const {
  auto it = values_.find(key);
  return it == values_.end() ? def : it->second;
}
std::string Args::Need(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end() || it->second.empty()) Die("missing --" + key);
  return it->second;
}
int64_t Args::GetInt(const std::string& key, int64_t def) const {
  auto it = values_.find(key);
  return it == values_.end() ? def : std::strtoll(it->second.c_str(), nullptr, 10);
}
double Args::GetDouble(const std::string& key, double def) const {
  auto it = values_.find(key);
  return it == values_.end() ? def : std::strtod(it->second.c_str(), nullptr);
}
bool Args::Flag(const std::string& key) const { return values_.count(key) > 0; }
std::vector<std::string> Args::All(const std::string& key) const {
  std::vector<std::string> v;
  auto [b, e] = values_.equal_range(key);
  for (auto it = b; it != e; ++it) v.push_back(it->second);
  return v;
}

Summary Summarize(std::vector<double> v) {
  Summary s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.min = v.front();
  s.max = v.back();
  const size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return s;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * v.size()));
  if (rank < 1) rank = 1;
  return v[std::min(rank, v.size()) - 1];
}

int64_t ResetRows(Db& db, const Layout& layout) {
  const std::string lo = std::to_string(layout.IdOf(0));
  const std::string hi = std::to_string(layout.IdOf(layout.rows - 1));
  db.Exec("SET autocommit=1");
  // Filepaths first: a renamed row gets its generated path back.
  std::vector<std::pair<int64_t, std::string>> wrong;
  const std::string q = "SELECT id, filepath FROM Media WHERE id BETWEEN " + lo + " AND " + hi;
  if (mysql_real_query(db.raw(), q.data(), q.size()) != 0) Die(mysql_error(db.raw()));
  MYSQL_RES* r = mysql_use_result(db.raw());
  while (MYSQL_ROW row = mysql_fetch_row(r)) {
    const int64_t id = std::strtoll(row[0], nullptr, 10);
    const std::string want = layout.PathOf(layout.IndexOf(id));
    if (want != row[1]) wrong.emplace_back(id, want);
  }
  mysql_free_result(r);
  for (const auto& [id, path] : wrong) {
    std::string esc(path.size() * 2 + 1, '\0');
    esc.resize(mysql_real_escape_string(db.raw(), esc.data(), path.data(), path.size()));
    db.Exec("UPDATE Media SET filepath='" + esc + "' WHERE id=" + std::to_string(id));
  }
  const int64_t changed =
      db.Exec("UPDATE Media SET archive=0 WHERE id BETWEEN " + lo + " AND " + hi + " AND archive=1");
  db.Exec("UPDATE EventsCam SET archive=0 WHERE media_id BETWEEN " + lo + " AND " + hi +
          " AND archive=1");
  return changed;
}

}  // namespace bench
