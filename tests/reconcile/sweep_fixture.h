// A recordings tree on the real filesystem, its rows in a real MariaDB
// database, a real journal, and a way to run the sweep over them.
#pragma once

#include <catch2/catch.hpp>

#include <cstdio>
#include <ctime>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "common/clock.h"
#include "journal/journal.h"
#include "reconcile/sweep.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_database.h"

namespace recsync::testing {

class SweepFixture {
 public:
  explicit SweepFixture(TestDatabaseOptions db_options = {})
      : db(db_options), root(tmp.Sub("recordings")) {
    MakeDirs(root);
    WriteFile(tmp.Sub("fstab"), "");
  }

  // A day-old recording of camera `device` named `name` under `base` (the
  // root by default): its file (unless create_file is false) and its rows.
  int64_t AddRecording(const std::string& name, int device = 1, bool create_file = true,
                       const std::string& base = "") {
    const std::string path = RecordingPath(name, device, base);
    if (create_file) WriteFile(path, "video");
    return db.InsertMedia(path, std::time(nullptr) - 86400, device);
  }

  // `count` day-old recordings over `cameras` camera folders, their rows
  // interleaved in id order as a recorder's cameras write them and inserted
  // in bulk; recording i has a file when has_file(i). Returns the ids.
  std::vector<int64_t> AddManyRecordings(int count, int cameras,
                                         const std::function<bool(int)>& has_file) {
    std::vector<std::string> paths;
    for (int i = 0; i < count; ++i) {
      char name[32];
      const int n = i / cameras;
      std::snprintf(name, sizeof(name), "%02d-%02d-%02d.mp4", n / 3600, n / 60 % 60, n % 60);
      paths.push_back(RecordingPath(name, 1 + i % cameras));
      if (i < cameras) MakeDirs(paths.back().substr(0, paths.back().rfind('/')));
      if (has_file(i)) WriteFile(paths.back(), "video");
    }
    return db.InsertMediaBulk(paths, std::time(nullptr) - 86400);
  }

  std::string RecordingPath(const std::string& name, int device = 1,
                            const std::string& base = "") const {
    char dev[16];
    std::snprintf(dev, sizeof(dev), "%06d", device);
    return (base.empty() ? root : base) + "/2026/11/23/" + dev + "/" + name;
  }

  SweepOptions Options() const {
    SweepOptions o;
    o.roots = {root};
    o.min_age_s = 120;
    o.max_missing_ratio = 0.5;
    o.batch_size = 3;
    o.probe_timeout = std::chrono::milliseconds(5000);
    return o;
  }

  std::unique_ptr<Journal> OpenJournal() {
    auto j = Journal::Open(tmp.Sub("journal.db"), Journal::Mode::kReadWrite);
    REQUIRE(j.ok());
    return std::move(*j);
  }

  std::unique_ptr<Catalog> Connect(const DbConfig& config) {
    CatalogOptions copt;
    copt.retry_for = std::chrono::milliseconds(1500);
    auto c = Catalog::Connect(config, copt);
    REQUIRE(c.ok());
    return std::move(*c);
  }

  // Runs one sweep on the real disk (or `disk`) and returns its report.
  Result<SweepReport> Sweep(const SweepOptions& options,
                            std::shared_ptr<DiskInterface> disk = nullptr) {
    auto catalog = Connect(db.config());
    auto journal = OpenJournal();
    if (!disk) disk = MakeRealDisk(tmp.Sub("fstab"));
    Sweeper sweeper(*catalog, *journal, disk, clock);
    return sweeper.Run(options);
  }

  TempDir tmp;
  TestDatabase db;
  std::string root;
  SystemClock clock;
};

// Old Bluecherry databases are latin1, where any byte string is a valid
// value; only there can a path with invalid UTF-8 be stored at all.
struct Latin1SweepFixture : SweepFixture {
  static TestDatabaseOptions Latin1() {
    TestDatabaseOptions o;
    o.charset = "latin1";
    return o;
  }
  Latin1SweepFixture() : SweepFixture(Latin1()) {}
};

}  // namespace recsync::testing
