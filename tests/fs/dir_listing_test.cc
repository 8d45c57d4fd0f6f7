// DirListing, the packed names of one folder that a sweep asks about every
// recording.
#include <catch2/catch.hpp>

#include <random>
#include <set>
#include <string>

#include "fs/dir_listing.h"

using namespace recsync;

TEST_CASE("a directory listing finds each of its names and nothing else") {
  DirListing listing;
  CHECK_FALSE(listing.Contains("a.mp4"));
  std::set<std::string> names;
  std::mt19937 rng(7);
  for (int i = 0; i < 5000; ++i) {  // enough to grow the index many times
    std::string name = std::to_string(rng()) + (i % 3 ? ".mp4" : "-motion.mp4");
    if (i % 500 == 0) name += std::string("\xff\n ", 3);
    if (names.insert(name).second) listing.Add(name);
  }
  CHECK(listing.size() == names.size());
  for (const auto& name : names) {
    INFO(name);
    CHECK(listing.Contains(name));
    CHECK_FALSE(listing.Contains(name + "x"));
    CHECK_FALSE(listing.Contains(name.substr(0, name.size() - 1)));
  }
  CHECK_FALSE(listing.Contains(""));
  listing.Clear();
  CHECK(listing.size() == 0);
  CHECK_FALSE(listing.Contains(*names.begin()));
}
