// Which root a row belongs to: its root's canonical path or any configured
// spelling of it; and rows under roots a sweep was not asked to check are
// left to their own sweeps.
#include <unistd.h>

#include "tests/reconcile/sweep_fixture.h"

using namespace recsync;
using namespace recsync::testing;

TEST_CASE_METHOD(SweepFixture, "a root configured as a symlink takes the rows of both spellings") {
  const std::string link = tmp.Sub("recordings-link");
  REQUIRE(::symlink(root.c_str(), link.c_str()) == 0);
  AddRecording("10-00-00.mp4");                                 // resolved, as bc-server writes
  const int64_t gone = AddRecording("10-15-00.mp4", 1, false);  // resolved, file gone
  const int64_t gone_by_link = AddRecording("10-30-00.mp4", 1, false, link);
  AddRecording("10-45-00.mp4", 1, true, link);
  auto options = Options();
  options.roots = {link};
  auto report = Sweep(options);
  REQUIRE(report.ok());
  REQUIRE(report->roots.size() == 1);  // no root inferred for either spelling
  const RootReport& r = report->roots[0];
  CHECK(r.path == root);
  CHECK(r.spellings == std::vector<std::string>{link});
  CHECK(r.state == RootState::kOnline);
  CHECK(r.rows == 4);
  CHECK(r.missing == 2);
  CHECK(db.ArchivedMediaIds() == std::vector<int64_t>{gone, gone_by_link});
}

TEST_CASE_METHOD(SweepFixture, "two configured spellings of one directory are one root") {
  const std::string link = tmp.Sub("recordings-link");
  REQUIRE(::symlink(root.c_str(), link.c_str()) == 0);
  AddRecording("10-00-00.mp4");
  auto options = Options();
  options.roots = {root, link, root + "/", tmp.path() + "//recordings"};
  auto report = Sweep(options);
  REQUIRE(report.ok());
  REQUIRE(report->roots.size() == 1);
  CHECK(report->roots[0].path == root);
  CHECK(report->roots[0].rows == 1);
  CHECK(report->roots[0].spellings == std::vector<std::string>{link});
}

TEST_CASE_METHOD(SweepFixture, "rows under roots the sweep was not asked to check are left alone") {
  const std::string other = tmp.Sub("other");
  MakeDirs(other);
  const int64_t mine = AddRecording("10-00-00.mp4", 1, false);
  for (int i = 1; i < 4; ++i) AddRecording("10-0" + std::to_string(i) + "-00.mp4");
  const int64_t theirs = AddRecording("10-00-00.mp4", 1, false, other);
  auto options = Options();
  options.roots = {root};
  options.other_roots = {other};
  auto report = Sweep(options);
  REQUIRE(report.ok());
  REQUIRE(report->roots.size() == 1);  // `other` is not inferred and swept
  CHECK(report->other_roots_rows == 1);
  CHECK(db.ArchivedMediaIds() == std::vector<int64_t>{mine});
  CHECK_FALSE(db.MediaArchived(theirs));
}
