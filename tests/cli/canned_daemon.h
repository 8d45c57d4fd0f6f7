// A stand-in for a running daemon, for tests of what the CLI sends and how it
// prints the answer: it listens on a unix socket and answers every request
// line with one canned JSON reply, keeping the requests it got. Its thread
// waits in poll(2) on the listener and a stop pipe, never sleeps.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "common/unique_fd.h"

namespace recsync::testing {

class CannedDaemon {
 public:
  CannedDaemon(const std::string& path, nlohmann::json reply) : reply_(std::move(reply)) {
    listener_ = UniqueFd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    REQUIRE(listener_.valid());
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof(addr.sun_path));
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    REQUIRE(::bind(listener_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::listen(listener_.get(), 8) == 0);
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    stop_read_ = UniqueFd(fds[0]);
    stop_write_ = UniqueFd(fds[1]);
    thread_ = std::thread([this] { Serve(); });
  }

  ~CannedDaemon() {
    stop_write_.Reset();  // EOF on the stop pipe ends Serve()
    thread_.join();
  }

  std::vector<nlohmann::json> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  void Serve() {
    for (;;) {
      pollfd fds[2] = {{listener_.get(), POLLIN, 0}, {stop_read_.get(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) continue;
      if (fds[1].revents != 0) return;
      UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!client.valid()) continue;
      std::string line;
      char c;
      while (::read(client.get(), &c, 1) == 1 && c != '\n') line += c;
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(nlohmann::json::parse(line, nullptr, false));
      }
      const std::string answer = reply_.dump() + "\n";
      (void)!::write(client.get(), answer.data(), answer.size());
    }
  }

  nlohmann::json reply_;
  UniqueFd listener_, stop_read_, stop_write_;
  std::mutex mu_;
  std::vector<nlohmann::json> requests_;
  std::thread thread_;
};

}  // namespace recsync::testing
