#include "http/sessions.h"

#include <algorithm>

#include "http/credentials.h"

namespace recsync {

Result<Session> SessionStore::Create(const std::string& user, int64_t now_ms) {
  DropExpired(now_ms);
  while (sessions_.size() >= max_sessions_ && !sessions_.empty()) {
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](auto& a, auto& b) {
      return a.second.last_used_ms < b.second.last_used_ms;
    });
    sessions_.erase(oldest);
  }
  auto id = RandomHex(32);
  if (!id.ok()) return id.status();
  auto csrf = RandomHex(32);
  if (!csrf.ok()) return csrf.status();
  Session s{*id, user, *csrf, now_ms};
  sessions_[s.id] = s;
  return s;
}

const Session* SessionStore::Find(const std::string& id, int64_t now_ms) {
  if (id.empty()) return nullptr;
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return nullptr;
  if (now_ms - it->second.last_used_ms > idle_ms_) {
    sessions_.erase(it);
    return nullptr;
  }
  it->second.last_used_ms = now_ms;
  return &it->second;
}

void SessionStore::Remove(const std::string& id) { sessions_.erase(id); }

void SessionStore::DropExpired(int64_t now_ms) {
  std::erase_if(sessions_, [&](const auto& s) { return now_ms - s.second.last_used_ms > idle_ms_; });
}

int64_t LoginThrottle::WaitSeconds(const std::string& client, int64_t now_ms) {
  Forget(now_ms);
  auto it = failures_.find(client);
  if (it == failures_.end() || static_cast<int>(it->second.size()) < max_failures_) return 0;
  const int64_t free_at = it->second.front() + window_ms_;
  return std::max<int64_t>(1, (free_at - now_ms + 999) / 1000);
}

void LoginThrottle::Failed(const std::string& client, int64_t now_ms) {
  Forget(now_ms);
  auto& times = failures_[client];
  times.push_back(now_ms);
  while (static_cast<int>(times.size()) > max_failures_) times.pop_front();
}

void LoginThrottle::Forget(int64_t now_ms) {
  for (auto it = failures_.begin(); it != failures_.end();) {
    auto& times = it->second;
    while (!times.empty() && now_ms - times.front() >= window_ms_) times.pop_front();
    it = times.empty() ? failures_.erase(it) : std::next(it);
  }
}

}  // namespace recsync
