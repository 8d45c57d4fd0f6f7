#include "bench/bench_daemon.h"

#include <mysql.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <thread>
#include <utility>

namespace bench {

BenchDaemon::BenchDaemon(std::string recsync, std::string conf, std::string work)
    : recsync_(std::move(recsync)),
      conf_(std::move(conf)),
      work_(std::move(work)),
      journal_(work_ + "/daemon-journal.db"),
      control_(work_ + "/daemon.sock") {}

BenchDaemon::~BenchDaemon() {
  if (pid_ > 0) Stop();
}

ChildResult BenchDaemon::Cli(const std::vector<std::string>& words, const std::string& out) const {
  std::vector<std::string> argv = {recsync_};
  argv.insert(argv.end(), words.begin(), words.end());
  argv.insert(argv.end(), {"--journal", journal_, "--control-socket", control_,
                           "--bluecherry-conf", conf_});
  return RunChild(argv, out, work_ + "/cli.err");
}

nlohmann::json BenchDaemon::Status() const {
  const std::string out = work_ + "/status.json";
  if (Cli({"status", "--json"}, out).exit_code != 0) return nlohmann::json(nlohmann::json::value_t::discarded);
  return nlohmann::json::parse(ReadFile(out), nullptr, false);
}

void BenchDaemon::Start(const std::string& root, const std::vector<std::string>& run_args) {
  for (const char* suffix : {"", "-wal", "-shm", ".lock"}) unlink((journal_ + suffix).c_str());
  std::vector<std::string> argv = {recsync_, "run", "--storage", root};
  argv.insert(argv.end(), run_args.begin(), run_args.end());
  argv.insert(argv.end(), {"--journal", journal_, "--control-socket", control_,
                           "--bluecherry-conf", conf_});
  const double t_start = NowMs();
  const int pid = StartChild(argv, "", work_ + "/daemon.log");
  pid_ = pid;
  OnDie([pid] {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
  });
  for (;;) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      OnDie(nullptr);  // nothing left to stop
      Die("recsync run exited; see " + work_ + "/daemon.log");
    }
    if (NowMs() - t_start > 600'000) Die("the daemon did not finish its startup sweep within 600 s");
    const nlohmann::json s = Status();
    if (!s.is_discarded() && s.value("ready", false) && !s["sweep"]["last"].is_null() &&
        !s["sweep"]["running"].get<bool>()) {
      startup_sweep_ = s["sweep"]["last"];
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  startup_s_ = (NowMs() - t_start) / 1e3;
}

int BenchDaemon::Stop() {
  OnDie(nullptr);
  int status = 0;
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  return status;
}

void DropFilepathIndex(Db& db) {
  const std::string q = "SHOW INDEX FROM Media WHERE Column_name='filepath' AND Seq_in_index=1";
  if (mysql_real_query(db.raw(), q.data(), q.size()) != 0) Die(mysql_error(db.raw()));
  MYSQL_RES* r = mysql_store_result(db.raw());
  std::set<std::string> names;
  while (MYSQL_ROW row = mysql_fetch_row(r)) names.insert(row[2]);
  mysql_free_result(r);
  for (const auto& n : names) db.Exec("DROP INDEX `" + n + "` ON Media");
}

}  // namespace bench
