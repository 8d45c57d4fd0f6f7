// bench/generate: the benchmark data set, in Bluecherry's schema and layout.
//
//   generate load     --socket S --db D --root R --rows N [--index] [--no-files]
//       N active Media rows (ids from kActiveBaseId) with one EventsCam row
//       each, and an empty file per row under R/YYYY/MM/DD/NNNNNN/.
//   generate archived --socket S --db D --root R --rows N --count M
//       M archived rows (ids 1..M, older days, no files): the archived history.
//   generate remove   --root R --rows N --ratio X     unlink the X share of files
//   generate restore  --root R --rows N               recreate every missing file
//   generate churn    --root R --rows N --ratio X     recreate, then unlink again, the X
//                                                     share: their folders change as when
//                                                     files vanish between two sweeps
//   generate reset    --socket S --db D --root R --rows N
//       archive=0 and the generated filepath again for exactly the active rows.
// The tables must exist (scripts/bluecherry-schema.sql).
#include <fcntl.h>
#include <mysql.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_lib.h"

using namespace bench;

namespace {

constexpr int64_t kChunk = 5000;

std::string Escape(Db& db, const std::string& s) {
  std::string out(s.size() * 2 + 1, '\0');
  out.resize(mysql_real_escape_string(db.raw(), out.data(), s.data(), s.size()));
  return out;
}

void MkdirP(const std::string& dir) {
  for (size_t pos = 1; pos <= dir.size(); ++pos) {
    if (pos == dir.size() || dir[pos] == '/') {
      const std::string part = dir.substr(0, pos);
      if (mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) {
        Die("mkdir " + part + ": " + std::strerror(errno));
      }
    }
  }
}

// Inserts rows [first, first+count) of `layout` with ids id_of(i).
template <typename IdOf>
void InsertRows(Db& db, const Layout& layout, int64_t count, int archive, IdOf id_of) {
  db.Exec("SET unique_checks=0, foreign_key_checks=0, autocommit=0");
  std::string media, events;
  for (int64_t c = 0; c < count; c += kChunk) {
    media = "INSERT INTO Media (id, start, end, size, device_id, filepath, archive) VALUES ";
    events =
        "INSERT INTO EventsCam (id, time, level_id, device_id, type_id, length, archive, "
        "media_id) VALUES ";
    const int64_t end = std::min(count, c + kChunk);
    for (int64_t i = c; i < end; ++i) {
      const std::string id = std::to_string(id_of(i));
      const int64_t start = layout.StartOf(i);
      const std::string dev = std::to_string(layout.CameraOf(i));
      if (i > c) {
        media += ',';
        events += ',';
      }
      media += "(" + id + "," + std::to_string(start) + "," + std::to_string(start + 929) +
               ",0," + dev + ",'" + Escape(db, layout.PathOf(i)) + "'," +
               std::to_string(archive) + ")";
      events += "(" + id + "," + std::to_string(start) + ",'info'," + dev + ",'continuous',929," +
                std::to_string(archive) + "," + id + ")";
    }
    db.Exec(media);
    db.Exec(events);
    db.Exec("COMMIT");
  }
  db.Exec("SET autocommit=1, unique_checks=1, foreign_key_checks=1");
}

// Creates the files of every folder, folders spread over two threads (file
// creation is kernel-bound and the tree is large).
int64_t CreateFiles(const Layout& layout, bool only_missing) {
  constexpr int kThreads = 2;
  std::atomic<int64_t> created{0};
  auto work = [&](int t) {
    int64_t mine = 0;
    for (int64_t day = 0; day < layout.days(); ++day) {
      for (int cam = 1; cam <= layout.cameras; ++cam) {
        if ((day * layout.cameras + cam) % kThreads != t) continue;
        const std::string dir = layout.DirOf(day, cam);
        MkdirP(dir);
        const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0) Die("open " + dir + ": " + std::strerror(errno));
        for (int64_t i = layout.FirstOf(day, cam); i < layout.rows && layout.DayOf(i) == day;
             i += layout.cameras) {
          const std::string name = layout.NameOf(i);
          const int fd =
              openat(dfd, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
          if (fd >= 0) {
            close(fd);
            ++mine;
          } else if (errno != EEXIST || !only_missing) {
            Die("create " + dir + "/" + name + ": " + std::strerror(errno));
          }
        }
        close(dfd);
      }
    }
    created += mine;
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t) pool.emplace_back(work, t);
  for (auto& th : pool) th.join();
  return created;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) Die("usage: generate load|archived|remove|restore|reset --root R --rows N ...");
  const std::string cmd = argv[1];
  Args args(argc, argv, 2);
  Layout layout;
  layout.root = args.Need("root");
  layout.rows = args.GetInt("rows", 1'000'000);
  const double t0 = NowMs();

  if (cmd == "load") {
    Db db(args.Need("socket"), args.Need("db"));
    InsertRows(db, layout, layout.rows, 0, [&](int64_t i) { return layout.IdOf(i); });
    const double t_db = NowMs();
    int64_t files = 0;
    if (!args.Flag("no-files")) files = CreateFiles(layout, false);
    if (args.Flag("index")) {
      db.Exec("CREATE INDEX idx_media_filepath ON Media (filepath(255))");
    }
    std::printf("generate load: %lld rows (Media + EventsCam) in %.1f s, %lld files in %lld "
                "folders in %.1f s%s\n",
                static_cast<long long>(layout.rows), (t_db - t0) / 1e3,
                static_cast<long long>(files),
                static_cast<long long>(layout.days() * layout.cameras), (NowMs() - t_db) / 1e3,
                args.Flag("index") ? ", Media(filepath) index created" : "");
  } else if (cmd == "archived") {
    Db db(args.Need("socket"), args.Need("db"));
    const int64_t count = args.GetInt("count", 0);
    if (count >= kActiveBaseId) Die("--count must be below " + std::to_string(kActiveBaseId));
    Layout old = layout;
    old.rows = count;
    old.base_day = layout.base_day - old.days() - 1;
    InsertRows(db, old, count, 1, [](int64_t i) { return i + 1; });
    std::printf("generate archived: %lld archived rows (Media + EventsCam) in %.1f s\n",
                static_cast<long long>(count), (NowMs() - t0) / 1e3);
  } else if (cmd == "remove") {
    const double ratio = args.GetDouble("ratio", 0.001);
    int64_t removed = 0, total = 0;
    for (int64_t i = 0; i < layout.rows; ++i) {
      if (!Removed(i, ratio)) continue;
      ++total;
      if (unlink(layout.PathOf(i).c_str()) == 0) {
        ++removed;
      } else if (errno != ENOENT) {
        Die("unlink " + layout.PathOf(i) + ": " + std::strerror(errno));
      }
    }
    std::printf("generate remove: %lld files missing (%.3f %%), %lld unlinked now\n",
                static_cast<long long>(total), 100.0 * total / layout.rows,
                static_cast<long long>(removed));
  } else if (cmd == "churn") {
    const double ratio = args.GetDouble("ratio", 0.001);
    int64_t churned = 0;
    for (int64_t i = 0; i < layout.rows; ++i) {
      if (!Removed(i, ratio)) continue;
      const std::string path = layout.PathOf(i);
      const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) Die("create " + path + ": " + std::strerror(errno));
      close(fd);
      if (unlink(path.c_str()) != 0) Die("unlink " + path + ": " + std::strerror(errno));
      ++churned;
    }
    std::printf("generate churn: %lld files created and unlinked again\n",
                static_cast<long long>(churned));
  } else if (cmd == "restore") {
    const int64_t created = CreateFiles(layout, true);
    std::printf("generate restore: %lld files recreated\n", static_cast<long long>(created));
  } else if (cmd == "reset") {
    Db db(args.Need("socket"), args.Need("db"));
    const int64_t changed = ResetRows(db, layout);
    std::printf("generate reset: %lld rows back to archive=0 in %.2f s\n",
                static_cast<long long>(changed), (NowMs() - t0) / 1e3);
  } else {
    Die("unknown command " + cmd);
  }
  return 0;
}
