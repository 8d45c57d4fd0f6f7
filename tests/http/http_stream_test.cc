// GET /api/v1/stream of a real `recsync run`, read as a browser's
// EventSource reads it: incrementally, over a connection the server keeps
// open. The status comes first; a running sweep's progress follows, only
// ever forward, and its end is announced.
#include <poll.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <optional>

#include "tests/http/http_daemon.h"

using namespace recsync::testing;
using nlohmann::json;

namespace {

struct ServerEvent {
  std::string name;
  json data;
};

// One Server-Sent Events stream: the request sent, the answer's head read,
// then the events one by one as they arrive (chunked transfer decoded).
class EventStream {
 public:
  EventStream(const std::string& address, const std::string& path) : fd_(HttpConnect(address)) {
    const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + address +
                                "\r\nAuthorization: Bearer " + kToken +
                                "\r\nAccept: text/event-stream\r\n\r\n";
    REQUIRE(::write(fd_, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  }
  ~EventStream() { ::close(fd_); }
  EventStream(const EventStream&) = delete;
  EventStream& operator=(const EventStream&) = delete;

  // Reads the status line and headers; returns the status.
  int ReadHead(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    size_t end;
    while ((end = raw_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill(deadline)) return 0;
    }
    const std::string head = raw_.substr(0, end);
    raw_.erase(0, end + 4);
    size_t pos = head.find("\r\n");
    while (pos != std::string::npos && pos < head.size()) {
      const size_t eol = std::min(head.find("\r\n", pos + 2), head.size());
      const std::string line = head.substr(pos + 2, eol - pos - 2);
      if (const size_t colon = line.find(':'); colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
      }
      pos = eol < head.size() ? eol : std::string::npos;
    }
    chunked_ = headers["transfer-encoding"] == "chunked";
    return std::stoi(head.substr(9, 3));
  }

  // The next event that carries data; nullopt if none came by `timeout`.
  std::optional<ServerEvent> Next(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      Dechunk();
      const size_t end = body_.find("\n\n");
      if (end != std::string::npos) {
        const std::string block = body_.substr(0, end + 1);
        body_.erase(0, end + 2);
        if (auto event = Parse(block)) return event;
        continue;  // e.g. "retry: 2000"
      }
      if (!Fill(deadline)) return std::nullopt;
    }
  }

  std::map<std::string, std::string> headers;

 private:
  // Reads what the server sent next; false at EOF or the deadline.
  bool Fill(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[16384];
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) return false;
    raw_.append(buf, static_cast<size_t>(n));
    return true;
  }

  // Moves every whole chunk from raw_ to body_.
  void Dechunk() {
    if (!chunked_) {
      body_ += raw_;
      raw_.clear();
      return;
    }
    while (true) {
      const size_t eol = raw_.find("\r\n");
      if (eol == std::string::npos) return;
      const size_t n = std::stoul(raw_.substr(0, eol), nullptr, 16);
      if (raw_.size() < eol + 2 + n + 2) return;
      body_ += raw_.substr(eol + 2, n);
      raw_.erase(0, eol + 2 + n + 2);
    }
  }

  static std::optional<ServerEvent> Parse(const std::string& block) {
    ServerEvent e{"message", nullptr};
    std::string data;
    bool has_data = false;
    size_t pos = 0;
    while (pos < block.size()) {
      size_t eol = block.find('\n', pos);
      if (eol == std::string::npos) eol = block.size();
      const std::string line = block.substr(pos, eol - pos);
      pos = eol + 1;
      if (line.rfind("event: ", 0) == 0) e.name = line.substr(7);
      if (line.rfind("data: ", 0) == 0) {
        if (has_data) data += '\n';
        data.append(line, 6);
        has_data = true;
      }
    }
    if (!has_data) return std::nullopt;
    e.data = json::parse(data, nullptr, false);
    INFO(block);
    REQUIRE_FALSE(e.data.is_discarded());
    return e;
  }

  int fd_;
  bool chunked_ = false;
  std::string raw_, body_;
};

// Rows whose files never existed, in 40 folders: with --batch-size 1 a
// sweep is busy archiving them for far longer than the test looks.
void AddRowsWithoutFiles(HttpDaemon& h) {
  std::vector<std::string> paths;
  for (int f = 0; f < 40; ++f) {
    for (int i = 0; i < 100; ++i) {
      paths.push_back(h.d.PathOf("2026/11/02/" + std::to_string(100000 + f) + "/clip-" +
                                 std::to_string(i) + ".mp4"));
    }
  }
  h.d.db->InsertMediaBulk(paths);
}

constexpr const char* kFigures[] = {"rows_seen", "folders_listed", "missing", "archived"};

}  // namespace

TEST_CASE("the stream sends the status first, then the running sweep's progress only forward, then its end") {
  HttpDaemon h;
  h.d.AddRecording("2026/11/01/000001/10-00-00.mp4");  // the root is not empty
  h.Start({"--batch-size", "1", "--max-missing-ratio", "1"});
  h.AwaitSweepsIdle();
  AddRowsWithoutFiles(h);

  EventStream stream(h.address, "/api/v1/stream");
  REQUIRE(stream.ReadHead(std::chrono::seconds(10)) == 200);
  CHECK(stream.headers["content-type"].rfind("text/event-stream", 0) == 0);
  CHECK(stream.headers["cache-control"] == "no-store");
  auto first = stream.Next(std::chrono::seconds(10));
  REQUIRE(first);
  CHECK(first->name == "status");
  CHECK(first->data["ready"] == true);
  CHECK(first->data["pid"] == h.d.pid());

  const int64_t id = h.StartSweep(R"({"dry_run": false})");
  std::vector<json> progress;
  std::optional<json> end;
  bool cancelled = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!end && std::chrono::steady_clock::now() < deadline) {
    auto event = stream.Next(std::chrono::seconds(10));
    REQUIRE(event);  // the server never ends the stream by itself
    if (event->name == "sweep") {
      INFO(event->data.dump());
      CHECK(event->data["id"] == id);
      CHECK(event->data["state"] == "running");
      CHECK(event->data["dry_run"] == false);
      progress.push_back(event->data["progress"]);
    } else if (event->name == "sweep_end") {
      end = event->data;
    }
    // Seen moving: enough; a cancel ends it sooner than its thousands of batches.
    if (!cancelled && progress.size() >= 3 && progress.back()["archived"].get<int64_t>() > 0) {
      REQUIRE(h.WithToken("DELETE", "/api/v1/sweeps/" + std::to_string(id)).status == 202);
      cancelled = true;
    }
  }
  REQUIRE(end);
  CHECK((*end)["id"] == id);
  REQUIRE(progress.size() >= 3);
  for (size_t i = 1; i < progress.size(); ++i) {
    for (const char* figure : kFigures) {
      INFO(figure << ": " << progress[i - 1].dump() << " then " << progress[i].dump());
      CHECK(progress[i][figure].get<int64_t>() >= progress[i - 1][figure].get<int64_t>());
    }
  }
  int64_t moved = 0;
  for (const char* figure : kFigures) {
    moved += progress.back()[figure].get<int64_t>() - progress.front()[figure].get<int64_t>();
  }
  CHECK(moved > 0);
  CHECK(h.AwaitSweepEnd(id)["state"] == "cancelled");
}
