// Sessions of signed-in administrators, and the brake on guessing passwords.
//
// A session is a random 256-bit id (the cookie) with its user and a CSRF
// token of its own (sent back by the page in X-CSRF-Token on every change).
// It ends when idle for `idle` (each use renews it) or at sign-out. Sessions
// live in the daemon's memory only: a restart signs everyone out. At most
// `max_sessions` exist; a new one beyond that ends the least recently used.
//
// LoginThrottle: a client (its address; behind a proxy, the address the
// proxy names) that failed `max_failures` sign-ins within `window` must wait
// until the oldest of them leaves the window; a success clears its record.
//
// Thread rules: loop thread only (not synchronised).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>

#include "common/status.h"

namespace recsync {

struct Session {
  std::string id;
  std::string user;
  std::string csrf;
  int64_t last_used_ms = 0;
};

class SessionStore {
 public:
  explicit SessionStore(std::chrono::seconds idle, size_t max_sessions = 256)
      : idle_ms_(idle.count() * 1000), max_sessions_(max_sessions) {}

  // kUnavailable when no random bytes could be had.
  Result<Session> Create(const std::string& user, int64_t now_ms);
  // The live session `id` names, renewed; null when unknown or expired.
  const Session* Find(const std::string& id, int64_t now_ms);
  void Remove(const std::string& id);
  void SetIdle(std::chrono::seconds idle) { idle_ms_ = idle.count() * 1000; }
  size_t size() const { return sessions_.size(); }

 private:
  void DropExpired(int64_t now_ms);

  int64_t idle_ms_;
  size_t max_sessions_;
  std::map<std::string, Session> sessions_;
};

class LoginThrottle {
 public:
  LoginThrottle(int max_failures = 5, std::chrono::seconds window = std::chrono::minutes(5))
      : max_failures_(max_failures), window_ms_(window.count() * 1000) {}

  // 0 when `client` may try now, else the seconds until it may.
  int64_t WaitSeconds(const std::string& client, int64_t now_ms);
  void Failed(const std::string& client, int64_t now_ms);
  void Succeeded(const std::string& client) { failures_.erase(client); }

 private:
  void Forget(int64_t now_ms);

  int max_failures_;
  int64_t window_ms_;
  std::map<std::string, std::deque<int64_t>> failures_;  // client -> times, oldest first
};

}  // namespace recsync
