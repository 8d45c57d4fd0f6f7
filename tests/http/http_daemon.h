// A real `recsync run` with its HTTP server on a free loopback port, a
// Users table holding an administrator and a viewer, and an API token.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "tests/cli/daemon_process.h"
#include "tests/support/http_client.h"

namespace recsync::testing {

inline constexpr char kAdminUser[] = "Admin";
inline constexpr char kAdminPassword[] = "bluecherry";  // Bluecherry's default
inline constexpr char kViewerUser[] = "viewer";
inline constexpr char kViewerPassword[] = "look only";
inline constexpr char kToken[] = "0123456789abcdef0123456789abcdef0123456789abcdef";

class HttpDaemon {
 public:
  HttpDaemon();
  // Starts the daemon and learns its address from `recsync status`.
  void Start(const std::vector<std::string>& extra = {});

  HttpAnswer Get(const std::string& path, const std::map<std::string, std::string>& headers = {});
  HttpAnswer WithToken(const std::string& method, const std::string& path,
                       const std::string& body = "");
  // Signs in as `user`; the answer's cookie and CSRF token are kept.
  HttpAnswer SignIn(const std::string& user, const std::string& password);
  // A request with the session cookie (and the CSRF token unless `csrf` is false).
  HttpAnswer AsSession(const std::string& method, const std::string& path,
                       const std::string& body = "", bool csrf = true);

  // POST /api/v1/sweeps with the token; fails the test unless it is 202.
  // Returns the sweep's id.
  int64_t StartSweep(const std::string& body);
  // Waits (GET /api/v1/sweeps/{id}) until sweep `id` is neither queued nor
  // running; returns its last answer. Fails the test after `deadline`.
  nlohmann::json AwaitSweepEnd(int64_t id,
                               std::chrono::milliseconds deadline = std::chrono::seconds(60));
  // Waits until no sweep runs or waits (the startup sweep has ended).
  void AwaitSweepsIdle();

  DaemonProcess d;
  std::string address;
  std::string cookie;  // "recsync_session=..."
  std::string csrf;
};

}  // namespace recsync::testing
