#include "control/control_connection.h"

#include <string_view>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/json.h"
#include "control/unix_socket.h"

namespace recsync {
namespace {

using nlohmann::json;

// Answers still queued for one client beyond this when another is due mean
// it sends requests without reading the answers; it is dropped rather than
// letting the queue grow.
constexpr size_t kMaxQueuedBytes = size_t{64} << 20;

uv_stream_t* AsStream(uv_pipe_t* pipe) { return reinterpret_cast<uv_stream_t*>(pipe); }

// The parser's message without its "[json.exception.parse_error.101] " tag.
std::string ParseErrorText(const std::exception& e) {
  std::string_view what = e.what();
  size_t tag_end = what.starts_with("[json.exception.") ? what.find("] ") : std::string_view::npos;
  if (tag_end != std::string_view::npos) what.remove_prefix(tag_end + 2);
  return std::string(what);
}

}  // namespace

void ControlConnection::Touch() {
  if (server_ == nullptr) return;
  last_activity_ms_ = server_->NowMs();
  activity_order_ = ++server_->activity_counter_;
}

void ControlConnection::Start() {
  Touch();
  int rc = uv_read_start(AsStream(&pipe_), &OnAlloc, &OnRead);
  if (rc != 0) {
    spdlog::debug("control socket: uv_read_start: {}", uv_strerror(rc));
    Close();
  }
}

ControlServer::Reply ControlConnection::MakeReply() {
  ++unanswered_;
  std::weak_ptr<ControlConnection> weak = shared_from_this();
  auto answered = std::make_shared<bool>(false);
  return [weak, answered](const json& response) {
    std::shared_ptr<ControlConnection> c = weak.lock();
    if (!c) return;
    if (!*answered) {
      *answered = true;
      --c->unanswered_;
    }
    c->Touch();
    c->Send(response);
  };
}

void ControlConnection::Send(const json& response) {
  if (closing_) return;
  // Checked before queuing, so one large answer always goes out whole.
  if (uv_stream_get_write_queue_size(AsStream(&pipe_)) > kMaxQueuedBytes) {
    spdlog::debug("control socket: client does not read its answers; closing it");
    Close();
    return;
  }
  auto* w = new WriteRequest;
  w->line = DumpJson(response);
  w->line.push_back('\n');
  uv_buf_t buf = uv_buf_init(w->line.data(), static_cast<unsigned>(w->line.size()));
  w->req.data = w;
  int rc = uv_write(&w->req, AsStream(&pipe_), &buf, 1, &OnWrite);
  if (rc != 0) {
    delete w;  // the callback will not run
    spdlog::debug("control socket: write: {}", uv_strerror(rc));
    Close();
    return;
  }
  ++writes_in_flight_;
}

void ControlConnection::Refuse(const std::string& message) {
  if (closing_) return;
  // Only on a connection with nothing queued: a line written after the
  // start of another would garble both.
  if (uv_stream_get_write_queue_size(AsStream(&pipe_)) == 0) {
    std::string line = DumpJson(ErrorResponse(message)) + "\n";
    uv_buf_t buf = uv_buf_init(line.data(), static_cast<unsigned>(line.size()));
    int rc = uv_try_write(AsStream(&pipe_), &buf, 1);
    if (rc < 0 && rc != UV_EAGAIN) spdlog::debug("control socket: write: {}", uv_strerror(rc));
  }
  Close();
}

void ControlConnection::Close() {
  if (closing_) return;
  closing_ = true;
  self_ = shared_from_this();
  if (server_ != nullptr) server_->Forget(this);
  uv_close(reinterpret_cast<uv_handle_t*>(&pipe_), &OnClosed);
}

void ControlConnection::MaybeFinish() {
  if (closing_ || writes_in_flight_ > 0) return;
  if (close_when_flushed_ || (eof_ && unanswered_ == 0)) Close();
}

void ControlConnection::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* c = static_cast<ControlConnection*>(handle->data);
  *buf = uv_buf_init(c->read_buf_.data(), static_cast<unsigned>(c->read_buf_.size()));
}

void ControlConnection::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* c = static_cast<ControlConnection*>(stream->data);
  if (nread > 0) {
    c->Touch();
    c->Consume(buf->base, static_cast<size_t>(nread));
  } else if (nread == UV_EOF) {
    uv_read_stop(stream);
    c->eof_ = true;
    if (!c->inbox_.empty()) {
      std::string last = std::move(c->inbox_);
      c->inbox_.clear();
      c->HandleLine(std::move(last));
    }
    c->MaybeFinish();
  } else if (nread < 0) {
    spdlog::debug("control socket: read: {}", uv_strerror(static_cast<int>(nread)));
    c->Close();
  }
}

void ControlConnection::Consume(const char* data, size_t size) {
  inbox_.append(data, size);
  size_t start = 0;
  while (!closing_) {
    size_t newline = inbox_.find('\n', scanned_);
    if (newline == std::string::npos) break;
    if (newline - start > kMaxRequestLine) return Overlong();
    std::string line = inbox_.substr(start, newline - start);
    start = scanned_ = newline + 1;
    HandleLine(std::move(line));
  }
  if (closing_) return;
  inbox_.erase(0, start);
  scanned_ = inbox_.size();
  if (inbox_.size() > kMaxRequestLine) Overlong();
}

void ControlConnection::Overlong() {
  uv_read_stop(AsStream(&pipe_));
  inbox_ = std::string();
  scanned_ = 0;
  Send(ErrorResponse(fmt::format("request line longer than {} bytes; closing the connection",
                                 kMaxRequestLine)));
  close_when_flushed_ = true;
  MaybeFinish();
}

void ControlConnection::HandleLine(std::string line) {
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.find_first_not_of(" \t") == std::string::npos) return;
  json request;
  try {
    request = json::parse(line);
  } catch (const json::exception& e) {
    Send(ErrorResponse("request is not valid JSON: " + ParseErrorText(e)));
    return;
  }
  if (!request.is_object()) {
    Send(ErrorResponse(
        fmt::format("request must be a JSON object, not a JSON {}", request.type_name())));
    return;
  }
  if (server_ == nullptr) return;
  ControlServer::Reply reply = MakeReply();
  try {
    server_->handler_(request, reply);
  } catch (const std::exception& e) {
    spdlog::error("control socket: handling {}: {}", DumpJson(request).substr(0, 200), e.what());
    reply(ErrorResponse(std::string("internal error: ") + e.what()));
  }
}

void ControlConnection::OnWrite(uv_write_t* req, int status) {
  auto* w = static_cast<WriteRequest*>(req->data);
  // Write callbacks run before the close callback, so the connection is alive.
  auto* c = static_cast<ControlConnection*>(req->handle->data);
  delete w;
  --c->writes_in_flight_;
  if (status < 0) {
    if (status != UV_ECANCELED) spdlog::debug("control socket: write: {}", uv_strerror(status));
    c->Close();
    return;
  }
  c->Touch();
  c->MaybeFinish();
}

void ControlConnection::OnClosed(uv_handle_t* handle) {
  auto* c = static_cast<ControlConnection*>(handle->data);
  std::shared_ptr<ControlConnection> last = std::move(c->self_);  // frees c on return
}

}  // namespace recsync
