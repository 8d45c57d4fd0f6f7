// HttpLoad: a steady GET load on an HTTP server (benchmarks only).
//
// One thread per path, each on its own keep-alive TCP connection (as
// Prometheus scrapes), sends `GET path` with `Authorization: Bearer token`
// at `rate` requests per second on a fixed schedule: request k is due at
// start + k / rate. A request's latency runs from when it was due to the last
// byte of its answer, so a slow answer that holds up the next requests
// counts against them too (as it would for independent clients), rather
// than hiding them. A connection the server closed is opened again before
// the next request (the reconnect counts in that request's latency).
//
// An answer counts as ok only with status 200 and a complete body (by
// Content-Length); anything else, or no answer within 10 s, is a failed
// sample. Only Content-Length bodies are read (what the daemon's server
// sends): a chunked answer is a failed sample.
//
// The client's threads ask for nice -10 (root or CAP_SYS_NICE), so that on
// a host whose cores the daemon and MariaDB saturate, the client's own
// wake-ups do not count as the server's latency; each sample still records
// how late it was sent (late_ms), and raised_priority() says whether that
// worked.
//
// Thread rules: Start() and Stop() from one thread; Samples() after Stop().
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace bench {

struct HttpSample {
  double due_ms = 0;      // NowMs() when the request was due
  double late_ms = 0;     // how long after that it was sent: this client's own delay
  double latency_ms = 0;  // to the answer's last byte
  bool ok = false;
};

class HttpLoad {
 public:
  HttpLoad(std::string host, int port, std::string token, std::vector<std::string> paths,
           double rate);
  ~HttpLoad();
  HttpLoad(const HttpLoad&) = delete;
  HttpLoad& operator=(const HttpLoad&) = delete;

  void Start();
  void Stop();
  // The samples of paths()[i], in the order sent.
  const std::vector<HttpSample>& Samples(size_t i) const { return samples_[i]; }
  const std::vector<std::string>& paths() const { return paths_; }
  bool raised_priority() const { return raised_ == static_cast<int>(paths_.size()); }
  static constexpr int kClientNice = -10;

 private:
  void Run(size_t i);

  std::string host_, token_;
  int port_;
  std::vector<std::string> paths_;
  double rate_;
  std::atomic<bool> stop_{false};
  std::atomic<int> raised_{0};
  std::vector<std::thread> threads_;
  std::vector<std::vector<HttpSample>> samples_;
};

}  // namespace bench
