// The storage page is in the binary: every file of http/page/ that the page
// is made of is served byte for byte with a content type a browser accepts
// (a module script with any other type does not run), every module another
// one imports is there, and nothing points outside the page's base (it is
// served under a prefix, and must fetch nothing from the network).
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "http/page/page_assets.h"

using namespace recsync;

namespace {

const std::filesystem::path kPageDir = std::filesystem::path(RECSYNC_SOURCE_DIR) / "http/page";

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The files the page is made of: everything in http/page/ but the build's own.
bool IsPageFile(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  return path.filename() != "CMakeLists.txt" && ext != ".cmake" && ext != ".h" && ext != ".cc";
}

std::string ExpectedType(const std::string& name) {
  const std::string ext = std::filesystem::path(name).extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  return "unexpected extension " + ext;
}

}  // namespace

TEST_CASE("every file of the page is embedded byte for byte with its content type") {
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kPageDir)) {
    if (!entry.is_regular_file() || !IsPageFile(entry.path())) continue;
    const std::string name = entry.path().filename().string();
    INFO(name << " (list it in http/page/CMakeLists.txt)");
    const PageAsset* asset = FindPageAsset(name);
    REQUIRE(asset != nullptr);
    CHECK(asset->path == name);
    CHECK(asset->content_type == ExpectedType(name));
    CHECK(asset->body == ReadFile(entry.path()));
    ++files;
  }
  CHECK(files == static_cast<int>(PageAssets().size()));
  CHECK(files >= 4);
}

TEST_CASE("the page's base and index.html give the page, and other paths nothing") {
  const PageAsset* root = FindPageAsset("");
  REQUIRE(root != nullptr);
  CHECK(root == FindPageAsset("index.html"));
  CHECK(root->content_type == "text/html; charset=utf-8");
  CHECK(root->body.starts_with("<!doctype html>"));
  for (const char* path : {"CMakeLists.txt", "page_assets.h", "embed_page.cmake", "../CMakeLists.txt",
                           "/index.html", "./app.js", "index.html/", "nope.js", "APP.JS"}) {
    INFO(path);
    CHECK(FindPageAsset(path) == nullptr);
  }
}

TEST_CASE("every module a script imports, and every file index.html loads, is embedded") {
  const std::regex import_from(R"(\bfrom\s+'\./([A-Za-z0-9_-]+\.js)')");
  const std::regex loads(R"re((?:src|href)="([^"]+)")re");
  int links = 0;
  for (const PageAsset& asset : PageAssets()) {
    const std::string body(asset.body);
    const std::regex& pattern = asset.path == "index.html" ? loads : import_from;
    for (std::sregex_iterator m(body.begin(), body.end(), pattern), end; m != end; ++m) {
      INFO(asset.path << " loads " << (*m)[1]);
      CHECK(FindPageAsset((*m)[1].str()) != nullptr);
      ++links;
    }
  }
  CHECK(links > 10);
}

TEST_CASE("the page fetches nothing from the network and uses only relative URLs") {
  for (const PageAsset& asset : PageAssets()) {
    std::string body(asset.body);
    // The one absolute URL allowed: SVG's namespace name, never fetched.
    for (size_t at; (at = body.find("http://www.w3.org/2000/svg")) != std::string::npos;) {
      body.erase(at, 26);
    }
    INFO(asset.path);
    CHECK(body.find("http://") == std::string::npos);
    CHECK(body.find("https://") == std::string::npos);
    CHECK(body.find("'/api") == std::string::npos);
    CHECK(body.find("`/api") == std::string::npos);
    CHECK(body.find("\"/api") == std::string::npos);
    CHECK(body.find("src=\"/") == std::string::npos);
    CHECK(body.find("href=\"/") == std::string::npos);
    // Server data goes in as text: the page never parses strings as markup.
    CHECK(body.find("innerHTML") == std::string::npos);
    CHECK(body.find("insertAdjacentHTML") == std::string::npos);
    CHECK(body.find("document.write") == std::string::npos);
  }
}
