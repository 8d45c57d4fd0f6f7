// A real `recsync run` with its HTTP server on a free loopback port, a
// Users table holding an administrator and a viewer, and an API token.
#pragma once

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

  DaemonProcess d;
  std::string address;
  std::string cookie;  // "recsync_session=..."
  std::string csrf;
};

}  // namespace recsync::testing
