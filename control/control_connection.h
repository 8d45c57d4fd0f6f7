// ControlConnection: one client of a ControlServer (internal to control/).
// Splits the byte stream into lines, parses them, calls the server's Handler
// and writes the replies; the protocol is described in control_server.h.
#pragma once

#include <uv.h>

#include <array>
#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "control/control_server.h"

namespace recsync {

class ControlConnection : public std::enable_shared_from_this<ControlConnection> {
 public:
  // Owned by the server's table while open; once closing, by itself until
  // libuv's close callback. Replies hold weak references only.
  explicit ControlConnection(ControlServer* server) : server_(server) {}
  ControlConnection(const ControlConnection&) = delete;
  ControlConnection& operator=(const ControlConnection&) = delete;

  // The handle; the server initialises it, sets data to this and accepts on it.
  uv_pipe_t* pipe() { return &pipe_; }
  // uv_read_start; closes on failure. The connection counts as active from
  // here.
  void Start();
  // Sends `message` as an error line if it fits in the socket at once (it
  // always does on a new connection), then closes: the descriptor is given
  // back now, not after a write completes.
  void Refuse(const std::string& message);
  // Whether a request is still owed its first Reply (control_server.h).
  bool busy() const { return unanswered_ > 0; }
  // When something was last received, or a Reply was called or its write
  // completed (the loop's clock, ms), and the order of those moments among
  // all connections (the clock has ties).
  uint64_t last_activity_ms() const { return last_activity_ms_; }
  uint64_t activity_order() const { return activity_order_; }
  // Starts closing (idempotent) and drops pending writes. The object frees
  // itself in the close callback.
  void Close();
  // The server is going away: forget it, then close.
  void Detach() {
    server_ = nullptr;
    Close();
  }

 private:
  struct WriteRequest {
    uv_write_t req;  // req.data == this
    std::string line;
  };

  static void OnAlloc(uv_handle_t* handle, size_t size, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWrite(uv_write_t* req, int status);
  static void OnClosed(uv_handle_t* handle);
  ControlServer::Reply MakeReply();
  // Queues `response` as one line. A no-op once closing.
  void Send(const nlohmann::json& response);
  void Consume(const char* data, size_t size);
  void HandleLine(std::string line);
  void Overlong();
  // Closes once a finished connection (EOF, or an overlong line) has written
  // what it owes.
  void MaybeFinish();
  void Touch();

  ControlServer* server_;  // null once the server is destroyed
  uv_pipe_t pipe_;         // pipe_.data == this
  std::array<char, 64 * 1024> read_buf_;
  std::string inbox_;   // bytes of the current, unfinished line
  size_t scanned_ = 0;  // inbox_[0, scanned_) holds no newline
  size_t writes_in_flight_ = 0;
  size_t unanswered_ = 0;  // requests whose Reply was not called yet
  uint64_t last_activity_ms_ = 0;
  uint64_t activity_order_ = 0;
  bool eof_ = false;
  bool close_when_flushed_ = false;
  bool closing_ = false;
  std::shared_ptr<ControlConnection> self_;  // set while libuv closes the pipe
};

}  // namespace recsync
