#include "http/page/page_assets.h"

#include <array>
#include <vector>

#include "http/page/page_assets_data.h"

namespace recsync {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 7> kTypes{{
    {".html", "text/html; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    // Module scripts load only with a JavaScript MIME type.
    {".js", "text/javascript; charset=utf-8"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".json", "application/json"},
    {".txt", "text/plain; charset=utf-8"},
}};

std::string_view ContentTypeOf(std::string_view path) {
  for (const auto& [ext, type] : kTypes) {
    if (path.size() > ext.size() && path.substr(path.size() - ext.size()) == ext) return type;
  }
  return "application/octet-stream";
}

const std::vector<PageAsset>& Table() {
  static const std::vector<PageAsset> table = [] {
    std::vector<PageAsset> t;
    for (std::size_t i = 0; i < page_data::kFileCount; ++i) {
      const page_data::EmbeddedFile& f = page_data::kFiles[i];
      t.push_back({f.path, ContentTypeOf(f.path),
                   std::string_view(reinterpret_cast<const char*>(f.bytes), f.size)});
    }
    return t;
  }();
  return table;
}

}  // namespace

const PageAsset* FindPageAsset(std::string_view path) {
  if (path.empty()) path = "index.html";
  for (const PageAsset& asset : Table()) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

std::span<const PageAsset> PageAssets() { return Table(); }

}  // namespace recsync
