// Remembered listings: a folder unchanged since a sweep listed it is not
// listed again, and the answers stay exactly those of lstat; a folder that
// changed, a listing too fresh to trust, too old, or of another format is
// listed again.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <set>

#include "reconcile/listing_cache.h"
#include "reconcile/presence_check.h"
#include "tests/support/settled_disk.h"
#include "tests/support/temp_dir.h"

using namespace recsync;
using namespace recsync::testing;

namespace {

constexpr int64_t kNowMs = 1'790'000'000'000;  // any fixed wall-clock time

std::unique_ptr<Journal> OpenJournal(const std::string& path) {
  auto j = Journal::Open(path, Journal::Mode::kReadWrite);
  REQUIRE(j.ok());
  return std::move(*j);
}

std::shared_ptr<const ListingCache> LoadCache(Journal& journal, int64_t now_ms = kNowMs) {
  auto cache = ListingCache::Load(journal, now_ms);
  REQUIRE(cache.ok());
  return *cache;
}

// Stores what `check` remembered, as a sweep does at its end.
void Store(Journal& journal, PresenceCheck& check) {
  std::vector<ListingRecord> put;
  for (const auto& [dir, listing] : check.remembered()) {
    put.push_back(ListingCache::ToRecord(dir, listing));
  }
  REQUIRE(journal.UpdateListings(put, {}).ok());
}

uint64_t DevOf(const std::string& path) {
  struct stat st;
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<uint64_t>(st.st_dev);
}

DirListing Stamped(int64_t mtime_s, int64_t ctime_s, int64_t opened_s) {
  DirListing l;
  l.stamp = FolderStamp{1, 2, mtime_s * 1'000'000'000, ctime_s * 1'000'000'000};
  l.opened_ns = opened_s * 1'000'000'000;
  return l;
}

}  // namespace

TEST_CASE("a listing is remembered only when its folder's times are older than the settle margin") {
  const auto margin = std::chrono::seconds(5);
  CHECK(Rememberable(Stamped(100, 100, 105), margin));
  CHECK(Rememberable(Stamped(90, 100, 200), margin));
  CHECK_FALSE(Rememberable(Stamped(100, 101, 105), margin));  // ctime too recent
  CHECK_FALSE(Rememberable(Stamped(101, 100, 105), margin));  // mtime too recent
  DirListing failed = Stamped(100, 100, 200);
  failed.err = EIO;
  CHECK_FALSE(Rememberable(failed, margin));
  DirListing unstamped;  // a disk that cannot tell
  CHECK_FALSE(Rememberable(unstamped, margin));

  // Only where this kernel sets the folders' times itself.
  CHECK(RemembersListings("ext4"));
  CHECK(RemembersListings("xfs"));
  CHECK(RemembersListings("tmpfs"));
  CHECK_FALSE(RemembersListings("nfs4"));
  CHECK_FALSE(RemembersListings("cifs"));
  CHECK_FALSE(RemembersListings("fuse.sshfs"));
  CHECK_FALSE(RemembersListings("overlay"));
  CHECK_FALSE(RemembersListings(""));
}

TEST_CASE("remembered listings round-trip through the journal; stale, future and foreign ones are not reused") {
  TempDir tmp;
  auto journal = OpenJournal(tmp.Sub("journal.db"));
  RememberedListing fresh{{7, 8, 1, 2}, kNowMs - 1000, {3, 9, 0xffffffffu}};
  RememberedListing old{{7, 9, 1, 2}, kNowMs - 25 * 3600 * 1000, {1}};
  RememberedListing future{{7, 10, 1, 2}, kNowMs + 3600 * 1000, {1}};
  const std::string odd = std::string("/rec/new\nline/\xff\xfe");
  std::vector<ListingRecord> put = {ListingCache::ToRecord(odd, fresh),
                                    ListingCache::ToRecord("/rec/old", old),
                                    ListingCache::ToRecord("/rec/future", future),
                                    ListingCache::ToRecord("/rec/other-format", fresh),
                                    ListingCache::ToRecord("/rec/dropped", fresh)};
  put[3].format = kNameDigestFormat + 1;
  REQUIRE(journal->UpdateListings(put, {}).ok());
  REQUIRE(journal->UpdateListings({}, {"/rec/dropped"}).ok());

  auto cache = LoadCache(*journal);
  CHECK(cache->size() == 1);
  const RememberedListing* got = cache->Find(odd);
  REQUIRE(got != nullptr);
  CHECK(got->stamp == fresh.stamp);
  CHECK(got->listed_ms == fresh.listed_ms);
  CHECK(got->digests == fresh.digests);
  CHECK(cache->Find("/rec/old") == nullptr);
  CHECK(cache->Find("/rec/future") == nullptr);
  CHECK(cache->Find("/rec/other-format") == nullptr);
  CHECK(cache->Find("/rec/dropped") == nullptr);

  // A listing rebuilt from digests finds what the real one found.
  DirListing real;
  for (const char* name : {"10-00-00.mp4", "10-00-00.jpg", "sp ace.mp4", "\xff.mp4"}) {
    real.Add(name);
  }
  const DirListing rebuilt = DirListing::FromDigests(real.Digests());
  CHECK(rebuilt.size() == 4);
  for (const char* name : {"10-00-00.mp4", "10-00-00.jpg", "sp ace.mp4", "\xff.mp4"}) {
    CHECK(rebuilt.Contains(name));
  }
  CHECK_FALSE(rebuilt.Contains("10-00-01.mp4"));
  CHECK(rebuilt.Digests() == real.Digests());
}

TEST_CASE("on random trees changed after a sweep, reused listings answer exactly as lstat does") {
  for (unsigned seed = 1; seed <= 12; ++seed) {
    INFO("seed " << seed);
    TempDir tmp;
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> pct(0, 99);
    const std::string root = tmp.Sub("rec");
    std::vector<std::string> folders, paths;
    for (int f = 0; f < 16; ++f) {
      const std::string dir = root + "/2026/11/0" + std::to_string(1 + f / 8) + "/00000" +
                              std::to_string(f % 8);
      folders.push_back(dir);
      MakeDirs(dir);
      for (int i = 0; i < 12; ++i) {
        const std::string path = dir + "/" + std::to_string(i) + ".mp4";
        paths.push_back(path);
        if (pct(rng) < 80) WriteFile(path);
      }
    }
    auto disk = std::make_shared<SettledDisk>(tmp.Sub("fstab"));
    auto journal = OpenJournal(tmp.Sub("journal.db"));

    // The first sweep: every folder listed and remembered.
    PresenceCheck first(disk);
    first.UseListingMemory({nullptr, kSettleMargin, DevOf(tmp.path()), kNowMs});
    CHECK(first.Check(paths).size() == paths.size());
    CHECK(first.listings() == folders.size());
    REQUIRE(first.remembered().size() == folders.size());
    int64_t newest = 0;
    for (const auto& [dir, l] : first.remembered()) {
      newest = std::max({newest, l.stamp.mtime_ns, l.stamp.ctime_ns});
    }
    Store(*journal, first);

    // Then some folders change: files removed or added, a folder removed,
    // a folder replaced by a new one of the same name.
    AwaitNewerTimestamps(tmp.path(), newest);
    std::set<std::string> changed;
    for (const auto& dir : folders) {
      const int what = pct(rng);
      if (what < 15) {
        // A file that exists, so that the folder does change.
        std::string victim;
        for (int i = 0; i < 12 && victim.empty(); ++i) {
          const std::string path = dir + "/" + std::to_string(i) + ".mp4";
          if (::access(path.c_str(), F_OK) == 0) victim = path;
        }
        if (victim.empty()) continue;
        RemoveFile(victim);
      } else if (what < 25) {
        WriteFile(dir + "/12.mp4");
        paths.push_back(dir + "/12.mp4");
      } else if (what < 30) {
        RunProcess({"/bin/rm", "-rf", dir});
      } else if (what < 35) {
        RunProcess({"/bin/rm", "-rf", dir});
        MakeDirs(dir);
        WriteFile(dir + "/0.mp4");
      } else {
        continue;
      }
      changed.insert(dir);
    }

    PresenceCheck second(disk, 1 + seed % 4);  // a small LRU: lookups repeat
    second.UseListingMemory({LoadCache(*journal), kSettleMargin, DevOf(tmp.path()), kNowMs});
    std::shuffle(paths.begin(), paths.end(), rng);
    const auto expected = CheckEach(*disk, paths);
    const auto got = second.Check(paths);
    REQUIRE(got.size() == expected.size());
    for (size_t i = 0; i < paths.size(); ++i) {
      INFO(paths[i]);
      CHECK(got[i].presence == expected[i].presence);
      CHECK(got[i].err == expected[i].err);
    }
    // Exactly the unchanged folders were reused.
    const std::set<std::string> reused(second.reused_folders().begin(),
                                       second.reused_folders().end());
    for (const auto& dir : folders) {
      INFO(dir);
      CHECK(reused.count(dir) == (changed.count(dir) ? 0u : 1u));
    }
  }
}

TEST_CASE("a disk that cannot stamp its folders never has a listing reused") {
  TempDir tmp;
  const std::string dir = tmp.Sub("rec/2026/11/01/000001");
  MakeDirs(dir);
  WriteFile(dir + "/1.mp4");
  auto journal = OpenJournal(tmp.Sub("journal.db"));
  std::shared_ptr<DiskInterface> settled = std::make_shared<SettledDisk>(tmp.Sub("fstab"));
  PresenceCheck first(settled);
  first.UseListingMemory({nullptr, kSettleMargin, DevOf(tmp.path()), kNowMs});
  first.Check(std::vector<std::string>{dir + "/1.mp4"});
  Store(*journal, first);
  REQUIRE(LoadCache(*journal)->size() == 1);

  // The default StampDir knows nothing: the folder is listed again.
  struct Unstamped : SettledDisk {
    using SettledDisk::SettledDisk;
    std::optional<FolderStamp> StampDir(const std::string&) override { return std::nullopt; }
  };
  auto unstamped = std::make_shared<Unstamped>(tmp.Sub("fstab"));
  PresenceCheck second(unstamped);
  second.UseListingMemory({LoadCache(*journal), kSettleMargin, DevOf(tmp.path()), kNowMs});
  CHECK(second.Check(std::vector<std::string>{dir + "/1.mp4", dir + "/2.mp4"})[1].presence ==
        Presence::kMissing);
  CHECK(second.listings() == 1);
  CHECK(second.reused() == 0);
}

TEST_CASE("a folder taken again after the cache let it go counts once as reused") {
  TempDir tmp;
  const std::string a = tmp.Sub("rec/2026/11/01/000001");
  const std::string b = tmp.Sub("rec/2026/11/01/000002");
  MakeDirs(a);
  MakeDirs(b);
  WriteFile(a + "/1.mp4");
  WriteFile(b + "/1.mp4");
  auto journal = OpenJournal(tmp.Sub("journal.db"));
  std::shared_ptr<DiskInterface> settled = std::make_shared<SettledDisk>(tmp.Sub("fstab"));
  PresenceCheck first(settled);
  first.UseListingMemory({nullptr, kSettleMargin, DevOf(tmp.path()), kNowMs});
  first.Check(std::vector<std::string>{a + "/1.mp4", b + "/1.mp4"});
  Store(*journal, first);
  REQUIRE(LoadCache(*journal)->size() == 2);

  // A cache of one folder and rows alternating between the two: each folder
  // is taken from memory twice.
  PresenceCheck second(settled, /*cached_dirs=*/1);
  second.UseListingMemory({LoadCache(*journal), kSettleMargin, DevOf(tmp.path()), kNowMs});
  const auto checks = second.Check(
      std::vector<std::string>{a + "/1.mp4", b + "/1.mp4", a + "/2.mp4", b + "/1.mp4"});
  CHECK(checks[2].presence == Presence::kMissing);
  CHECK(checks[3].presence == Presence::kPresent);
  CHECK(second.listings() == 0);
  CHECK(second.reused() == 2);
}
