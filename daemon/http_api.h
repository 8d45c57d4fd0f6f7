// HttpApi: the daemon as the HTTP front's backend (http/http_backend.h).
//
// It has no logic of its own: status and roots come from the DaemonStatus
// snapshot, sweeps from the SweepScheduler (started, watched, cancelled),
// retries through the control socket's own request handler, and the
// journal's pages and the Users table are read on the probe worker, which
// owns a journal and a catalog connection. The stream (Server-Sent Events)
// is fed from the snapshot twice a second while anyone listens: status when
// it changed, the running sweep's progress, the event counters.
//
// Thread rules: loop thread only, like the Daemon that owns it.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "control/control_server.h"
#include "daemon/connections.h"
#include "daemon/daemon_status.h"
#include "daemon/loop_mailbox.h"
#include "daemon/loop_timer.h"
#include "daemon/control_request.h"
#include "http/http_backend.h"

namespace recsync {

class HttpApi : public HttpBackend {
 public:
  struct Parts {
    uv_loop_t* loop = nullptr;
    const Clock* clock = nullptr;
    std::function<DaemonStatus()> snapshot;
    ConnectionWorker* worker = nullptr;  // journal pages and sign-in
    // The control socket's request handler (retry goes through it).
    std::function<void(const nlohmann::json&, ControlServer::Reply)> control;
    // Starts a client sweep; `started` gets its journal id once it runs, or
    // the error that kept it from starting.
    std::function<void(const SweepAsk&, std::function<void(Result<int64_t>)> started)> start_sweep;
    // Cancels the running sweep `id` between batches (kNotFound: not running).
    std::function<recsync::Status(int64_t id)> cancel_sweep;
    // Prometheus text of a snapshot.
    std::function<std::string(const DaemonStatus&)> metrics;
  };

  HttpApi(Parts parts, LoopMailbox::Ref mailbox);

  HttpResponse Health() override;
  nlohmann::json Status() override;
  nlohmann::json Roots() override;
  std::string Metrics() override;
  void SignIn(const std::string& user, const std::string& password,
              std::function<void(Result<SignInVerdict>)> done) override;
  void StartSweep(const nlohmann::json& body, Answer answer) override;
  void ListSweeps(const Query& query, Answer answer) override;
  void GetSweep(int64_t id, Answer answer) override;
  void CancelSweep(int64_t id, Answer answer) override;
  void ListEvents(const Query& query, Answer answer) override;
  void RetryEvents(const nlohmann::json& body, Answer answer) override;
  void ListActions(const Query& query, Answer answer) override;
  void History(const Query& query, Answer answer) override;
  void Subscribe(std::shared_ptr<HttpStream> stream) override;

 private:
  // Runs `read` on the worker's journal; its JSON (or error) answers.
  void OnJournal(std::function<HttpResponse(Journal&)> read, Answer answer);
  // The running sweep as GET /sweeps/{id} shows it, when one runs.
  std::optional<nlohmann::json> RunningSweep(const DaemonStatus& s) const;
  void Publish();

  Parts parts_;
  LoopMailbox::Ref mailbox_;
  std::vector<std::shared_ptr<HttpStream>> streams_;
  LoopTimer stream_timer_;
  std::string last_status_, last_sweep_, last_events_;
};

}  // namespace recsync
