// bench/floors: what the hardware and the servers allow, measured on the same
// data as the sweep benchmark, so every figure can be read against its floor.
//
//   floors --socket S --db D --root R --rows N --workdir W [--reps 3]
// 1. stream every active id, filepath with mysql_use_result (text protocol),
//    and id, start, filepath with a prepared statement (binary, as the sweep);
// 2. list the whole tree (opendir/readdir, i.e. getdents);
// 3. lstat() every row's path, on 1 thread and on 2;
// 4. archive the recovery scenario's ids (the 10 % removed set, spread over
//    the table) in Media and EventsCam, IN lists of 5,000 vs 100, one
//    transaction per list (the rows are reset afterwards);
// 5. SQLite inserts into a journal-like table (WAL, synchronous=FULL, as the
//    journal; NORMAL too): 1 row per transaction vs 1,000.
//    [--sqlite-single 20000] rows for the 1-row-per-transaction case.
// Prints a markdown table: median of `reps` runs, min–max, and the rate.
#include <dirent.h>
#include <mysql.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_lib.h"

using namespace bench;

namespace {

struct Line {
  std::string what;
  std::string work;
  Summary secs;
  double per_s;
  std::string unit;
};

// Times `body` `reps` times; body returns the number of items it handled.
Line Measure(const std::string& what, const std::string& work, const std::string& unit, int reps,
             const std::function<int64_t()>& body, const std::function<void()>& between = {}) {
  std::vector<double> secs;
  int64_t items = 0;
  for (int r = 0; r < reps; ++r) {
    if (between && r > 0) between();
    const double t0 = NowMs();
    items = body();
    secs.push_back((NowMs() - t0) / 1e3);
  }
  Line line{what, work, Summarize(secs), 0, unit};
  line.per_s = items / line.secs.median;
  std::fprintf(stderr, "floors: %s: %.3f s\n", what.c_str(), line.secs.median);
  return line;
}

int64_t ListTree(const std::string& dir, int64_t& folders) {
  DIR* d = opendir(dir.c_str());
  if (!d) Die("opendir " + dir + ": " + std::strerror(errno));
  ++folders;
  int64_t files = 0;
  std::vector<std::string> subdirs;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]))) continue;
    if (e->d_type == DT_DIR) {
      subdirs.push_back(dir + "/" + e->d_name);
    } else {
      ++files;
    }
  }
  closedir(d);
  for (const auto& s : subdirs) files += ListTree(s, folders);
  return files;
}

void Sqlite(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) Die(std::string("sqlite: ") + err);
}

int64_t SqliteInserts(const std::string& path, int64_t rows, int64_t per_txn, const char* sync) {
  for (const char* suffix : {"", "-wal", "-shm"}) unlink((path + suffix).c_str());
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) Die("sqlite open " + path);
  Sqlite(db, "PRAGMA journal_mode=WAL");
  Sqlite(db, (std::string("PRAGMA synchronous=") + sync).c_str());
  Sqlite(db,
         "CREATE TABLE actions(id INTEGER PRIMARY KEY AUTOINCREMENT, media_id INTEGER, path BLOB, "
         "time_ms INTEGER, action TEXT, cause TEXT, cause_id INTEGER, detail TEXT)");
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO actions(media_id, path, time_ms, action, cause, cause_id, detail) "
                     "VALUES (?, ?, ?, 'archive', 'sweep', 1, '')",
                     -1, &st, nullptr);
  const std::string path_text = "/var/lib/bluecherry/recordings/2024/01/01/000001/00-00-00.mp4";
  // At most 5 s: with synchronous=FULL each commit is an fsync, and a slow
  // disk would make 1 row per transaction take minutes.
  const double t0 = NowMs();
  int64_t done = 0;
  for (int64_t i = 0; i < rows && NowMs() - t0 < 5000; i += per_txn) {
    done = std::min(rows, i + per_txn);
    Sqlite(db, "BEGIN");
    for (int64_t k = i; k < rows && k < i + per_txn; ++k) {
      sqlite3_bind_int64(st, 1, k);
      sqlite3_bind_blob(st, 2, path_text.data(), static_cast<int>(path_text.size()),
                        SQLITE_STATIC);
      sqlite3_bind_int64(st, 3, k);
      if (sqlite3_step(st) != SQLITE_DONE) Die("sqlite insert");
      sqlite3_reset(st);
    }
    Sqlite(db, "COMMIT");
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  for (const char* suffix : {"", "-wal", "-shm"}) unlink((path + suffix).c_str());
  return done;
}

}  // namespace

int main(int argc, char** argv) {
  Args args(argc, argv, 1);
  const std::string socket = args.Need("socket");
  const std::string dbname = args.Need("db");
  const std::string work = args.Need("workdir");
  const int reps = static_cast<int>(args.GetInt("reps", 3));
  Layout layout;
  layout.root = args.Need("root");
  layout.rows = args.GetInt("rows", 1'000'000);
  Db db(socket, dbname);
  ResetRows(db, layout);
  std::vector<Line> lines;
  const std::string n = std::to_string(layout.rows);

  lines.push_back(Measure("stream id, filepath (mysql_use_result)", n + " rows", "rows", reps, [&] {
    const std::string q = "SELECT id, filepath FROM Media WHERE archive=0 AND filepath != ''";
    if (mysql_real_query(db.raw(), q.data(), q.size()) != 0) Die(mysql_error(db.raw()));
    MYSQL_RES* r = mysql_use_result(db.raw());
    int64_t count = 0;
    size_t bytes = 0;
    while (MYSQL_ROW row = mysql_fetch_row(r)) {
      ++count;
      bytes += std::strlen(row[1]);
    }
    mysql_free_result(r);
    return count + static_cast<int64_t>(bytes & 0);
  }));
  // What the sweep does: a prepared statement, so the binary protocol.
  lines.push_back(Measure("stream id, start, filepath (prepared, binary protocol)", n + " rows",
                          "rows", reps, [&] {
    const std::string q = "SELECT id, start, filepath FROM Media WHERE archive = 0 ORDER BY id";
    MYSQL_STMT* st = mysql_stmt_init(db.raw());
    if (mysql_stmt_prepare(st, q.data(), q.size()) != 0 || mysql_stmt_execute(st) != 0) {
      Die(mysql_stmt_error(st));
    }
    long long id = 0, start = 0;
    char path[4096];
    unsigned long length = 0;
    MYSQL_BIND out[3];
    std::memset(out, 0, sizeof out);
    out[0].buffer_type = MYSQL_TYPE_LONGLONG;
    out[0].buffer = &id;
    out[1].buffer_type = MYSQL_TYPE_LONGLONG;
    out[1].buffer = &start;
    out[2].buffer_type = MYSQL_TYPE_BLOB;
    out[2].buffer = path;
    out[2].buffer_length = sizeof path;
    out[2].length = &length;
    if (mysql_stmt_bind_result(st, out) != 0) Die(mysql_stmt_error(st));
    int64_t count = 0;
    while (mysql_stmt_fetch(st) == 0) ++count;
    mysql_stmt_close(st);
    return count;
  }));

  int64_t folders = 0, files = 0;
  lines.push_back(Measure("list the tree (readdir)", "", "files", reps, [&] {
    folders = 0;
    files = ListTree(layout.root, folders);
    return files;
  }));
  lines.back().work = std::to_string(files) + " files, " + std::to_string(folders) + " folders";

  std::vector<std::string> paths;
  paths.reserve(layout.rows);
  for (int64_t i = 0; i < layout.rows; ++i) paths.push_back(layout.PathOf(i));
  for (int threads : {1, 2}) {
    lines.push_back(Measure("lstat every path, " + std::to_string(threads) + " thread" +
                                (threads > 1 ? "s" : ""),
                            n + " paths", "paths", reps, [&] {
                              std::atomic<int64_t> present{0};
                              auto work_on = [&](int t) {
                                struct stat st {};
                                int64_t mine = 0;
                                for (size_t i = t; i < paths.size(); i += threads) {
                                  if (lstat(paths[i].c_str(), &st) == 0) ++mine;
                                }
                                present += mine;
                              };
                              std::vector<std::thread> pool;
                              for (int t = 0; t < threads; ++t) pool.emplace_back(work_on, t);
                              for (auto& th : pool) th.join();
                              return static_cast<int64_t>(paths.size());
                            }));
  }

  // The ids a recovery sweep archives: the 10 % removed set, spread over the
  // whole table (not a contiguous range, which touches far fewer pages).
  std::vector<int64_t> recovery_ids;
  for (int64_t i = 0; i < layout.rows; ++i) {
    if (Removed(i, 0.1)) recovery_ids.push_back(layout.IdOf(i));
  }
  const int64_t archive_n = static_cast<int64_t>(recovery_ids.size());
  for (int64_t list : {5000, 100}) {
    lines.push_back(Measure(
        "archive the 10 % removed ids in Media + EventsCam, IN lists of " + std::to_string(list),
        std::to_string(archive_n) + " ids", "ids", reps,
        [&] {
          db.Exec("SET autocommit=0");
          for (int64_t b = 0; b < archive_n; b += list) {
            std::string in;
            for (int64_t i = b; i < archive_n && i < b + list; ++i) {
              if (!in.empty()) in += ',';
              in += std::to_string(recovery_ids[static_cast<size_t>(i)]);
            }
            db.Exec("START TRANSACTION");
            db.Exec("UPDATE Media SET archive=1 WHERE id IN (" + in + ")");
            db.Exec("UPDATE EventsCam SET archive=1 WHERE media_id IN (" + in + ")");
            db.Exec("COMMIT");
          }
          db.Exec("SET autocommit=1");
          return archive_n;
        },
        [&] { ResetRows(db, layout); }));
    ResetRows(db, layout);
  }

  const std::string sq = work + "/floors-sqlite.db";
  const int64_t single = args.GetInt("sqlite-single", 20'000);
  for (const char* sync : {"FULL", "NORMAL"}) {
    const std::string mode = std::string(" (WAL, synchronous=") + sync + ")";
    lines.push_back(Measure("SQLite inserts, 1 row per transaction" + mode,
                            "up to " + std::to_string(single) + " rows (5 s at most)", "rows", reps,
                            [&] { return SqliteInserts(sq, single, 1, sync); }));
    lines.push_back(Measure("SQLite inserts, 1,000 rows per transaction" + mode, n + " rows", "rows",
                            reps, [&] { return SqliteInserts(sq, layout.rows, 1000, sync); }));
  }

  std::printf("\n### Floors (%d runs each, medians, min–max)\n\n", reps);
  std::printf("| floor | work | s | rate |\n|---|---|---|---|\n");
  for (const auto& l : lines) {
    std::printf("| %s | %s | %.3f (%.3f–%.3f) | %.0f %s/s |\n", l.what.c_str(), l.work.c_str(),
                l.secs.median, l.secs.min, l.secs.max, l.per_s, l.unit.c_str());
  }
  return 0;
}
