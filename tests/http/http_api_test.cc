// The JSON API of a real `recsync run`: sweeps started, watched and read
// back, the audit trail paged, the roots' figures.
#include <catch2/catch.hpp>
#include <set>

#include "tests/http/http_daemon.h"

using namespace recsync::testing;
using nlohmann::json;

TEST_CASE("a sweep over the API previews by default, then archives, and the audit trail pages") {
  HttpDaemon h;
  h.d.AddRecordings({"2026/11/01/000001/10-00-00.mp4", "2026/11/01/000001/10-01-00.mp4",
                     "2026/11/01/000001/10-02-00.mp4", "2026/11/01/000001/10-03-00.mp4",
                     "2026/11/01/000001/10-04-00.mp4", "2026/11/01/000001/10-05-00.mp4",
                     "2026/11/01/000001/10-06-00.mp4"});
  h.Start();
  // Rows whose files never existed: only a sweep can find them.
  std::set<int64_t> gone;
  for (const char* name : {"11-00-00.mp4", "11-01-00.mp4", "11-02-00.mp4"}) {
    gone.insert(h.d.db->InsertMedia(h.d.PathOf(std::string("2026/11/01/000001/") + name),
                                    1700000000, 1));
  }

  const json preview = h.AwaitSweepEnd(h.StartSweep("{}"));
  CHECK(preview["state"] == "done");
  CHECK(preview["dry_run"] == true);
  CHECK(preview["report"]["would_archive_count"] == 3);
  CHECK(preview["report"]["would_archive"].size() == 3);
  CHECK(preview["report"]["roots"][0]["would_archive"] == 3);
  CHECK(h.d.db->QueryInt("SELECT COUNT(*) FROM Media WHERE archive = 0") == 10);
  // The root's last sweep is the preview, and says so: nothing was archived.
  json after_preview = h.WithToken("GET", "/api/v1/roots").Json()["roots"][0]["last_sweep"];
  CHECK(after_preview["id"] == preview["id"]);
  CHECK(after_preview["dry_run"] == true);
  CHECK(after_preview["would_archive"] == 3);
  CHECK(after_preview["archived"] == 0);

  const int64_t real_id = h.StartSweep(R"({"dry_run": false})");
  const json real = h.AwaitSweepEnd(real_id);
  CHECK(real["state"] == "done");
  CHECK(real["archived"] == 3);
  CHECK(h.d.db->QueryInt("SELECT COUNT(*) FROM Media WHERE archive = 1") == 3);
  json after_real = h.WithToken("GET", "/api/v1/roots").Json()["roots"][0]["last_sweep"];
  CHECK(after_real["id"] == real_id);
  CHECK(after_real["dry_run"] == false);
  CHECK(after_real["archived"] == 3);

  // The audit trail, newest first, two at a time.
  std::set<int64_t> listed;
  std::string cursor;
  int pages = 0;
  do {
    const auto page = h.WithToken("GET", "/api/v1/actions?limit=2&sweep=" +
                                             std::to_string(real_id) +
                                             (cursor.empty() ? "" : "&cursor=" + cursor));
    REQUIRE(page.status == 200);
    const json j = page.Json();
    for (const auto& a : j["actions"]) {
      CHECK(a["action"] == "archive");
      listed.insert(a["media_id"].get<int64_t>());
    }
    cursor = j["next_cursor"].is_null() ? "" : j["next_cursor"].get<std::string>();
    ++pages;
  } while (!cursor.empty() && pages < 10);
  CHECK(listed == gone);
  CHECK(pages == 2);

  const json sweeps = h.WithToken("GET", "/api/v1/sweeps?limit=5").Json()["sweeps"];
  REQUIRE(sweeps.size() >= 2);
  CHECK(sweeps[0]["id"] == real_id);
  CHECK(sweeps[0]["state"] == "done");
}

TEST_CASE("a sweep of a root the daemon does not have is a 400 naming its roots") {
  HttpDaemon h;
  h.Start();
  const auto a = h.WithToken("POST", "/api/v1/sweeps", R"({"roots": ["/srv/not-a-root"]})");
  INFO(a.body);
  CHECK(a.status == 400);
  CHECK(a.Json()["error"] == "bad sweep request");
  CHECK_THAT(a.Json()["detail"].get<std::string>(),
             Catch::Contains("/srv/not-a-root is not one of the daemon's roots (" + h.d.root));
}

TEST_CASE("the roots answer with state, usage in bytes, thresholds and the last sweep") {
  HttpDaemon h;
  h.d.AddRecording("2026/11/01/000001/10-00-00.mp4");
  h.Start();
  const json roots = h.WithToken("GET", "/api/v1/roots").Json()["roots"];
  REQUIRE(roots.size() == 1);
  const json& r = roots[0];
  CHECK(r["state"] == "online");
  CHECK(r["watched"] == true);
  CHECK(r["bytes_total"].get<uint64_t>() > 0);
  CHECK(r["bytes_used"].get<uint64_t>() + r["bytes_free"].get<uint64_t>() ==
        r["bytes_total"].get<uint64_t>());
  CHECK(r["used_percent"].get<double>() > 0);
}

TEST_CASE("events page with filters, and a bad filter is a 400 naming the choices") {
  HttpDaemon h;
  h.Start();
  const auto bad = h.WithToken("GET", "/api/v1/events?state=sideways");
  CHECK(bad.status == 400);
  CHECK(bad.Json()["detail"].get<std::string>().find("pending") != std::string::npos);
  const auto ok = h.WithToken("GET", "/api/v1/events?state=failed&limit=5");
  REQUIRE(ok.status == 200);
  CHECK(ok.Json()["events"].is_array());
  CHECK(h.WithToken("GET", "/api/v1/events?limit=0").status == 400);
  const auto retry = h.WithToken("POST", "/api/v1/events/retry", R"({"all": true})");
  CHECK(retry.status == 200);
  CHECK(retry.Json()["retried"].is_array());
}
