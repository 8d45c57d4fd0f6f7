// One sweep at a time over HTTP: a second POST while one runs is 409 naming
// the running sweep and how far it got; DELETE cancels it between batches,
// and what it archived before stays archived. Real daemon, real MariaDB.
#include <catch2/catch.hpp>

#include "tests/http/http_daemon.h"

using namespace recsync::testing;
using nlohmann::json;

namespace {

// Rows whose files never existed, `per_folder` in each of `folders` camera
// folders: a sweep that archives one row per batch (--batch-size 1) is busy
// with them for a good while.
int64_t AddRowsWithoutFiles(HttpDaemon& h, int folders, int per_folder) {
  std::vector<std::string> paths;
  for (int f = 0; f < folders; ++f) {
    const std::string folder = "2026/11/02/" + std::to_string(100000 + f) + "/";
    for (int i = 0; i < per_folder; ++i) {
      paths.push_back(h.d.PathOf(folder + "clip-" + std::to_string(i) + ".mp4"));
    }
  }
  h.d.db->InsertMediaBulk(paths);
  return static_cast<int64_t>(paths.size());
}

// The status's running sweep has archived a row.
bool HasArchived(const json& s) {
  const json& current = s["sweep"]["current"];
  return current.is_object() && current["progress"]["archived"].get<int64_t>() > 0;
}

}  // namespace

TEST_CASE("while a sweep runs another is 409 with its id and progress; a cancel keeps what it archived") {
  HttpDaemon h;
  h.d.AddRecording("2026/11/01/000001/10-00-00.mp4");  // the root is not empty
  h.Start({"--batch-size", "1", "--max-missing-ratio", "1"});
  h.AwaitSweepsIdle();
  const int64_t rows = AddRowsWithoutFiles(h, 40, 100);

  const int64_t id = h.StartSweep(R"({"dry_run": false})");
  REQUIRE(h.d.AwaitStatus(HasArchived));

  const auto busy = h.WithToken("POST", "/api/v1/sweeps", R"({"dry_run": true})");
  INFO(busy.body);
  REQUIRE(busy.status == 409);
  json running = busy.Json();
  CHECK(running["error"] == "a sweep is running");
  CHECK(running["id"] == id);
  CHECK(running["state"] == "running");
  CHECK(running["dry_run"] == false);
  CHECK(running["progress"]["archived"].get<int64_t>() > 0);
  CHECK(running["progress"]["rows_seen"].get<int64_t>() > 0);

  const auto cancel = h.WithToken("DELETE", "/api/v1/sweeps/" + std::to_string(id));
  INFO(cancel.body);
  REQUIRE(cancel.status == 202);
  CHECK(cancel.Json()["state"] == "cancelling");

  json ended = h.AwaitSweepEnd(id);
  INFO(ended.dump());
  CHECK(ended["state"] == "cancelled");
  const int64_t archived = ended["archived"].get<int64_t>();
  CHECK(archived > 0);
  CHECK(archived < rows);
  CHECK(h.d.db->QueryInt("SELECT COUNT(*) FROM Media WHERE archive = 1") == archived);
  CHECK(h.d.db->QueryInt("SELECT COUNT(*) FROM Media WHERE archive = 0") == rows + 1 - archived);

  // Not running any more: nothing to cancel.
  const auto again = h.WithToken("DELETE", "/api/v1/sweeps/" + std::to_string(id));
  CHECK(again.status == 409);
  CHECK(h.WithToken("DELETE", "/api/v1/sweeps/999999").status == 409);
}
