// ControlServer: the daemon's control socket (`recsync status`, `recsync
// sync`, ...), a unix stream socket served on the daemon's libuv loop.
//
// Protocol: newline-delimited JSON, one object per line each way. A
// connection may carry several requests; responses go out in the order Reply
// is called, which need not be the order of the requests. Replies to errors
// the server finds itself have the shape of ErrorResponse():
//   - a line that is not a JSON object -> {"ok":false,"error":"<what was wrong>"}
//     and the connection stays open;
//   - a line longer than kMaxRequestLine (1 MiB) -> that error, then the
//     connection is closed.
// Blank lines are ignored (people type at the socket with socat). A trailing
// "\r" is dropped. At EOF a last line without its newline is still a request.
//
// EOF: reading stops; the connection closes once every request it carried has
// had its first Reply call and those replies are written. So a client that
// half-closes after sending (`socat`, `nc -N`) still gets its answers, and one
// that went away entirely costs one failed write. A Handler that never calls
// its Reply keeps such a connection open until the server is destroyed.
//
// Limits (ControlLimits), so that no number of clients can take the daemon's
// file descriptors:
//   - A connection is *busy* while a request it sent has not had its first
//     Reply call (a status long-poll, a sweep or sync in progress), and
//     *idle* otherwise. An idle connection that received nothing and had no
//     reply written for idle_timeout is closed.
//   - At most max_connections are open. A new one beyond that takes the place
//     of the connection idle the longest, which is sent one error line and
//     closed; when every connection is busy, the new one is sent
//     {"ok":false,"error":"too many control connections (N busy); ..."} and
//     closed at once. Either way its descriptor is given back immediately, so
//     a flood of idle clients never locks out a real request.
//   - When accept fails (the process is out of descriptors: EMFILE, ENFILE),
//     listening pauses for accept_retry instead of failing again at once:
//     libuv retries a failed accept in a loop, which would otherwise spin.
//     Clients meanwhile wait in the socket's backlog.
// Refusals, evictions and accept failures are logged at most once a minute.
//
// Threads: everything, Reply included, on the loop thread.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>

#include "common/status.h"
#include "common/unique_fd.h"

namespace recsync {

class ControlConnection;

// {"ok": false, "error": message}: the shape of every error response.
nlohmann::json ErrorResponse(const std::string& message);

// See "Limits" above. The defaults are the daemon's.
struct ControlLimits {
  size_t max_connections = 64;
  std::chrono::milliseconds idle_timeout{30000};
  std::chrono::milliseconds accept_retry{1000};
};

class ControlServer {
 public:
  // Sends `response`, as one line, to the client whose request this answers.
  // Loop thread only. Meant to be called once per request, possibly later
  // (after asynchronous work); extra calls send extra lines. A no-op when the
  // client has gone away or the server was destroyed meanwhile: a Reply holds
  // only a weak reference to its connection, so it may outlive both.
  using Reply = std::function<void(const nlohmann::json& response)>;

  // Called on the loop thread for every request line that parses as a JSON
  // object. It must not destroy the server. An exception it throws is logged
  // and answered with ErrorResponse("internal error: ...").
  using Handler = std::function<void(const nlohmann::json& request, Reply reply)>;

  // Listens on the unix socket `path` on `loop`. Creates the socket's parent
  // directory (0750, as far as the umask allows) when missing; the socket
  // gets mode 0660 before it accepts anyone. A socket file nobody answers on
  // (left by a crash) is replaced. Errors name the path and the fix:
  //   kBusy     another process answers on the socket (a live daemon);
  //   kInvalid  something other than a socket is at `path`, or `path` does
  //             not fit a unix socket address;
  //   kIo / kNotFound  mkdir, bind or listen failed.
  // Sets SIGPIPE to ignored for the whole process: a client that disconnects
  // while its reply is being written must cost a failed write (EPIPE), not the
  // daemon.
  static Result<std::unique_ptr<ControlServer>> Listen(uv_loop_t* loop, const std::string& path,
                                                       Handler handler,
                                                       ControlLimits limits = {});

  // Closes the listener and every connection (pending writes are dropped) and
  // unlinks the socket file if it is still the one we bound (same device and
  // inode), so a successor's socket is left alone. Loop thread only; the loop
  // must run once more afterwards to free the handles.
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  // Open connections, including half-closed ones still owed a reply.
  size_t client_count() const;
  const std::string& path() const { return path_; }
  // Connections refused (all busy), closed for a newcomer, closed idle, and
  // the times accept failed; since Listen.
  uint64_t refused_count() const { return refused_; }
  uint64_t evicted_count() const { return evicted_; }
  uint64_t idle_closed_count() const { return idle_closed_; }
  uint64_t accept_failures() const { return accept_failures_; }

 private:
  friend class ControlConnection;  // calls handler_, Forget() and NowMs()

  // A warning logged at most once per interval, with the number of
  // occurrences it stands for.
  struct Throttled {
    uint64_t last_ms = 0;
    uint64_t unlogged = 0;
    bool ever = false;
  };

  ControlServer(uv_loop_t* loop, std::string path, Handler handler, ControlLimits limits);
  Status StartListening();
  static void OnConnection(uv_stream_t* listener, int status);
  void Accept();
  // Makes room for one more connection; false when every one is busy.
  bool MakeRoom();
  void PauseAccepting(int uv_error);
  void ResumeAccepting();
  void CloseIdle();
  void UpdateIdleTimer();
  void Warn(Throttled& throttle, const std::string& message);
  uint64_t NowMs() const { return uv_now(loop_); }
  // A connection that closes stops counting; it frees itself later.
  void Forget(ControlConnection* connection);

  uv_loop_t* loop_;
  std::string path_;
  Handler handler_;
  ControlLimits limits_;
  // The listening socket, kept open across accept pauses; libuv's listener
  // handle holds a duplicate of it.
  UniqueFd listen_fd_;
  uv_pipe_t* listener_ = nullptr;  // freed by its close callback; null while paused
  uv_timer_t* idle_timer_ = nullptr;   // freed by its close callback
  uv_timer_t* retry_timer_ = nullptr;  // freed by its close callback
  bool idle_timer_running_ = false;
  bool recovering_ = false;  // accept failed; not one has succeeded since
  bool bound_ = false;             // whether dev_/ino_ name our socket file
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  std::unordered_map<ControlConnection*, std::shared_ptr<ControlConnection>> connections_;
  uint64_t activity_counter_ = 0;  // orders the connections' activity
  uint64_t refused_ = 0, evicted_ = 0, idle_closed_ = 0, accept_failures_ = 0;
  Throttled refused_log_, evicted_log_, accept_log_;
};

}  // namespace recsync
