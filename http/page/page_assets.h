// The storage page's files (http/page/: HTML, CSS, JavaScript modules, an
// icon), embedded in the binary at build time by CMake alone
// (embed_page.cmake), so `recsync run` serves them with nothing installed
// beside it and nothing fetched from the network.
//
// Paths are relative to the page's base, without a leading slash
// ("app.js"); "" and "index.html" both give the page. Anything else that is
// not one of its files (a directory, "..", the build files) gives null.
//
// Thread rules: the data is immutable and initialised at compile time;
// call from any thread.
#pragma once

#include <span>
#include <string_view>

namespace recsync {

struct PageAsset {
  std::string_view path;          // "index.html", "app.js", ...
  std::string_view content_type;  // "text/javascript; charset=utf-8", ...
  std::string_view body;          // the file's bytes, exactly
};

const PageAsset* FindPageAsset(std::string_view path);

// Every embedded file, in the order CMakeLists.txt lists them.
std::span<const PageAsset> PageAssets();

}  // namespace recsync
