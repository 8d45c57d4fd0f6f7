// `recsync run` under a flood of idle control clients: its descriptors are
// not exhausted, `recsync status` and `recsync sweep` still answer, and the
// storage root stays online.
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "common/unique_fd.h"
#include "tests/cli/daemon_process.h"

using namespace recsync;
using namespace recsync::testing;

namespace {

// Connects, waiting up to 10 s for room in the listener's backlog.
UniqueFd IdleClient(const std::string& path) {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  REQUIRE(fd.valid());
  timeval tv{10, 0};
  REQUIRE(::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) == 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int rc = ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  INFO(std::strerror(errno));
  REQUIRE(rc == 0);
  return fd;
}

int OpenDescriptors(pid_t pid) {
  DIR* dir = ::opendir(("/proc/" + std::to_string(pid) + "/fd").c_str());
  REQUIRE(dir != nullptr);
  int n = 0;
  while (dirent* e = ::readdir(dir)) n += e->d_name[0] != '.';
  ::closedir(dir);
  return n;
}

// The first line the daemon wrote on `fd`, waiting up to 10 s for it.
std::string FirstLine(int fd) {
  std::string in;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (in.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  return in.substr(0, in.find('\n'));
}

}  // namespace

TEST_CASE("thousands of idle control clients leave status and sweep answering and the root "
          "online") {
  DaemonProcess d;
  d.AddRecording("2026/11/20/000001/10-00-00.mp4");
  d.Start();
  // The descriptor limit systemd gives a service by default.
  rlimit service{1024, 1024};
  rlimit hard{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &hard) == 0);
  service.rlim_max = hard.rlim_max;
  REQUIRE(::prlimit(d.pid(), RLIMIT_NOFILE, &service, nullptr) == 0);
  // Ours as high as it goes, for the clients.
  rlimit mine = hard;
  mine.rlim_cur = mine.rlim_max;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &mine) == 0);
  const int clients = static_cast<int>(std::min<rlim_t>(5000, mine.rlim_cur - 200));
  REQUIRE(clients > 2000);

  std::vector<UniqueFd> idle;
  for (int i = 0; i < clients; ++i) idle.push_back(IdleClient(d.socket));

  auto status = d.Cli({"status", "--json"});
  INFO(status.err << "\n--- daemon log ---\n" << d.Log());
  REQUIRE(status.exit_code == 0);
  auto s = nlohmann::json::parse(status.out);
  CHECK(s["ok"] == true);
  REQUIRE(s["roots"].size() == 1);
  CHECK(s["roots"][0]["state"] == "online");
  auto sweep = d.Cli({"sweep", "--json"});
  INFO(sweep.err);
  CHECK(sweep.exit_code == 0);
  CHECK(OpenDescriptors(d.pid()) < 300);
  // The first client was told why it was let go.
  CHECK(FirstLine(idle.front().get()).find("too many control connections") != std::string::npos);
  CHECK(d.Signal(SIGTERM) == 0);
}
