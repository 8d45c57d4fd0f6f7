// bench/naive_sweep: the baseline, the sweep as Bluecherry 3.1.14 does it.
//
// One SELECT of every active id and filepath, held in memory
// (mysql_store_result); one stat() per row; then, per batch of 100 missing
// ids, one transaction of
//   UPDATE Media SET archive=1 WHERE id IN (...)
//   UPDATE EventsCam SET archive=1 WHERE media_id IN (...)
// Only ENOENT counts as missing, as in recsync, so both archive the same rows.
//
//   naive_sweep --socket S --db D [--batch 100] [--ids-out FILE]
// Prints one JSON line: checked, missing, archived and the time of each phase.
#include <mysql.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/bench_lib.h"

using namespace bench;

int main(int argc, char** argv) {
  Args args(argc, argv, 1);
  const size_t batch = static_cast<size_t>(args.GetInt("batch", 100));
  const double t0 = NowMs();
  Db db(args.Need("socket"), args.Need("db"));

  const std::string q = "SELECT id, filepath FROM Media WHERE archive=0 AND filepath != ''";
  if (mysql_real_query(db.raw(), q.data(), q.size()) != 0) Die(mysql_error(db.raw()));
  MYSQL_RES* result = mysql_store_result(db.raw());
  if (!result) Die(mysql_error(db.raw()));
  const double t_query = NowMs();

  std::vector<int64_t> missing;
  int64_t checked = 0, unknown = 0;
  struct stat st {};
  while (MYSQL_ROW row = mysql_fetch_row(result)) {
    ++checked;
    if (lstat(row[1], &st) == 0) continue;
    if (errno == ENOENT) {
      missing.push_back(std::strtoll(row[0], nullptr, 10));
    } else {
      ++unknown;
    }
  }
  mysql_free_result(result);
  const double t_stat = NowMs();

  int64_t archived = 0;
  db.Exec("SET autocommit=0");
  for (size_t b = 0; b < missing.size(); b += batch) {
    std::string in;
    for (size_t i = b; i < missing.size() && i < b + batch; ++i) {
      if (!in.empty()) in += ',';
      in += std::to_string(missing[i]);
    }
    db.Exec("START TRANSACTION");
    archived += db.Exec("UPDATE Media SET archive=1 WHERE id IN (" + in + ")");
    db.Exec("UPDATE EventsCam SET archive=1 WHERE media_id IN (" + in + ")");
    db.Exec("COMMIT");
  }
  const double t_end = NowMs();

  const std::string ids_out = args.Get("ids-out", "");
  if (!ids_out.empty()) {
    std::string text;
    for (int64_t id : missing) text += std::to_string(id) + "\n";
    WriteFile(ids_out, text);
  }
  std::printf(
      "{\"tool\":\"naive\",\"checked\":%lld,\"missing\":%zu,\"unknown\":%lld,\"archived\":%lld,"
      "\"query_ms\":%.1f,\"stat_ms\":%.1f,\"update_ms\":%.1f,\"total_ms\":%.1f}\n",
      static_cast<long long>(checked), missing.size(), static_cast<long long>(unknown),
      static_cast<long long>(archived), t_query - t0, t_stat - t_query, t_end - t_stat,
      t_end - t0);
  return 0;
}
