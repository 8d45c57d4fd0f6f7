// HttpBackend: what the HTTP front asks of the daemon. The front (api.h)
// decides who may ask and turns URLs into calls; the backend is the daemon's
// parts (its status snapshot, the SweepScheduler, the journal on a worker)
// and answers in JSON, so the HTTP API says what `recsync status`, `sweep`
// and `journal` say, from the same code.
//
// Thread rules: every method is called on the loop thread and must not
// block; an Answer is called exactly once, on the loop thread, possibly
// later (after a worker did the work).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "http/http_message.h"
#include "http/http_server.h"

namespace recsync {

struct SignInVerdict {
  enum class Kind { kWrong, kNotAdmin, kAdmin };
  Kind kind = Kind::kWrong;
  std::string user;  // as the Users table spells it
};

class HttpBackend {
 public:
  using Answer = std::function<void(HttpResponse)>;
  using Query = std::map<std::string, std::string>;
  virtual ~HttpBackend() = default;

  // GET /healthz: 200 while the loop answers; readiness and degraded lines.
  virtual HttpResponse Health() = 0;
  // GET /api/v1/status: what `recsync status --json` prints.
  virtual nlohmann::json Status() = 0;
  // GET /api/v1/roots.
  virtual nlohmann::json Roots() = 0;
  // GET /metrics: Prometheus text.
  virtual std::string Metrics() = 0;

  // Checks `user` and `password` against Bluecherry's Users table (on a
  // worker). An error (database down) answers kUnavailable.
  virtual void SignIn(const std::string& user, const std::string& password,
                      std::function<void(Result<SignInVerdict>)> done) = 0;

  // The sweeps: POST /api/v1/sweeps (body already parsed), GET list and one,
  // DELETE (cancel).
  virtual void StartSweep(const nlohmann::json& body, Answer answer) = 0;
  virtual void ListSweeps(const Query& query, Answer answer) = 0;
  virtual void GetSweep(int64_t id, Answer answer) = 0;
  virtual void CancelSweep(int64_t id, Answer answer) = 0;

  // The journal: events, retry, actions, per-day history.
  virtual void ListEvents(const Query& query, Answer answer) = 0;
  virtual void RetryEvents(const nlohmann::json& body, Answer answer) = 0;
  virtual void ListActions(const Query& query, Answer answer) = 0;
  virtual void History(const Query& query, Answer answer) = 0;

  // GET /api/v1/stream: the backend writes events to `stream` until it closes.
  virtual void Subscribe(std::shared_ptr<HttpStream> stream) = 0;
};

}  // namespace recsync
