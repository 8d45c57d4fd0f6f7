// Internal to recsync_page: the shape of the table that embed_page.cmake
// generates (page_assets_data.cc in the build tree). Constant-initialised,
// so it is complete before any code runs.
#pragma once

#include <cstddef>

namespace recsync::page_data {

struct EmbeddedFile {
  const char* path;
  const unsigned char* bytes;
  std::size_t size;
};

extern const EmbeddedFile kFiles[];
extern const std::size_t kFileCount;

}  // namespace recsync::page_data
