#include "bench/http_load.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "bench/bench_lib.h"

namespace bench {
namespace {

// One keep-alive connection; Get() reopens it when the server closed it.
class Connection {
 public:
  Connection(const std::string& host, int port) {
    addr_.sin_family = AF_INET;
    addr_.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &addr_.sin_addr) != 1) Die("http load: bad host " + host);
  }
  ~Connection() { Close(); }

  // Sends `request`; true when a 200 with its whole body came back.
  bool Get(const std::string& request) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (fd_ < 0 && !Open()) return false;
      if (Send(request)) {
        const Answer a = Receive();
        if (a == Answer::kOk) return true;
        if (a == Answer::kBad) return false;
      }
      Close();  // closed by the server before an answer: once more, on a new one
    }
    return false;
  }

 private:
  enum class Answer { kOk, kBad, kClosed };

  bool Open() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return false;
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    const timeval timeout{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    if (connect(fd_, reinterpret_cast<const sockaddr*>(&addr_), sizeof addr_) != 0) {
      Close();
      return false;
    }
    return true;
  }

  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    buffer_.clear();
  }

  bool Send(const std::string& request) {
    size_t done = 0;
    while (done < request.size()) {
      const ssize_t n = send(fd_, request.data() + done, request.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<size_t>(n);
    }
    return true;
  }

  // Reads more into buffer_; false on close, error or timeout.
  bool Fill() {
    char chunk[65536];
    const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  Answer Receive() {
    size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return buffer_.empty() ? Answer::kClosed : Answer::kBad;
    }
    const std::string head = buffer_.substr(0, head_end);
    const bool ok_status = head.rfind("HTTP/1.1 200", 0) == 0;
    const size_t length_at = Lower(head).find("\r\ncontent-length:");
    if (length_at == std::string::npos) {
      Close();
      return Answer::kBad;
    }
    const size_t length = std::strtoull(head.c_str() + length_at + 17, nullptr, 10);
    while (buffer_.size() < head_end + 4 + length) {
      if (!Fill()) return Answer::kBad;
    }
    buffer_.erase(0, head_end + 4 + length);
    if (Lower(head).find("\r\nconnection: close") != std::string::npos) Close();
    return ok_status && length > 0 ? Answer::kOk : Answer::kBad;
  }

  static std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  sockaddr_in addr_{};
  int fd_ = -1;
  std::string buffer_;
};

}  // namespace

HttpLoad::HttpLoad(std::string host, int port, std::string token, std::vector<std::string> paths,
                   double rate)
    : host_(std::move(host)),
      token_(std::move(token)),
      port_(port),
      paths_(std::move(paths)),
      rate_(rate),
      samples_(paths_.size()) {}

HttpLoad::~HttpLoad() { Stop(); }

void HttpLoad::Start() {
  stop_ = false;
  for (size_t i = 0; i < paths_.size(); ++i) threads_.emplace_back([this, i] { Run(i); });
}

void HttpLoad::Stop() {
  stop_ = true;
  for (auto& t : threads_) t.join();
  threads_.clear();
}

void HttpLoad::Run(size_t i) {
  // Nice values are per thread on Linux: only this client's threads go first.
  if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kClientNice) == 0) ++raised_;
  Connection connection(host_, port_);
  const std::string request = "GET " + paths_[i] + " HTTP/1.1\r\nHost: " + host_ + ":" +
                              std::to_string(port_) + "\r\nAuthorization: Bearer " + token_ +
                              "\r\nAccept: */*\r\n\r\n";
  const double period_ms = 1000.0 / rate_;
  const double t0 = NowMs();
  for (int64_t k = 0; !stop_; ++k) {
    const double due = t0 + k * period_ms;
    const double now = NowMs();
    if (due > now) {
      std::this_thread::sleep_for(std::chrono::microseconds(int64_t((due - now) * 1000)));
    }
    HttpSample sample;
    sample.due_ms = due;
    sample.late_ms = NowMs() - due;
    sample.ok = connection.Get(request);
    sample.latency_ms = NowMs() - due;
    samples_[i].push_back(sample);
  }
}

}  // namespace bench
