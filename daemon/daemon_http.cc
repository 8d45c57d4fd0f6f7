// The daemon's HTTP front: the server on http_listen, the rules of who may
// ask (HttpFront) and the daemon as its backend (HttpApi).
#include <spdlog/spdlog.h>

#include "daemon/daemon.h"
#include "http/credentials.h"
#include "http/listen_address.h"
#include "metrics/daemon_metrics.h"
#include "http/page/page_assets.h"

namespace recsync {
namespace {

// The storage page's files (http/page/), the same for everyone: "/" is the
// page.
std::optional<HttpResponse> PageFile(const std::string& path) {
  const PageAsset* asset = FindPageAsset(path.empty() ? path : path.substr(1));
  if (!asset) return std::nullopt;
  HttpResponse r;
  r.content_type = std::string(asset->content_type);
  r.body = std::string(asset->body);
  return r;  // HttpFront adds the security headers to every answer
}

}  // namespace

HttpFrontOptions Daemon::FrontOptions(const Result<std::string>& token) const {
  HttpFrontOptions o;
  o.allowed_hosts = settings_.http_allowed_hosts.empty() ? DefaultAllowedHosts()
                                                          : settings_.http_allowed_hosts;
  for (auto& h : o.allowed_hosts) {
    for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (token.ok()) {
    o.api_token = *token;
  } else if (settings_.http_listen != "off") {
    spdlog::warn("http: no bearer token accepted: {}", token.status().message());
  }
  o.session_idle = std::chrono::seconds(settings_.http_session_idle);
  o.page = PageFile;
  return o;
}

Status Daemon::StartHttp() {
  auto address = ParseListenAddress(settings_.http_listen);
  if (!address.ok()) return address.status();
  if (address->kind == ListenAddress::Kind::kOff) return Status::Ok();
  auto listener = Listen(*address, settings_.http_allow_remote);
  if (!listener.ok()) return listener.status();
  std::string where = address->ToText();
  if (address->kind == ListenAddress::Kind::kTcp && address->port == 0) {
    if (auto port = BoundPort(listener->get()); port.ok()) {
      where = address->host + ":" + std::to_string(*port);
    }
  }
  HttpApi::Parts parts;
  parts.loop = &loop_;
  parts.clock = &clock_;
  parts.snapshot = [this] { return Snapshot(); };
  parts.worker = probe_.get();
  parts.control = [this](const nlohmann::json& request, ControlServer::Reply reply) {
    OnControl(request, std::move(reply));
  };
  parts.start_sweep = [this](const SweepAsk& ask, std::function<void(Result<int64_t>)> started) {
    StartHttpSweep(ask, std::move(started));
  };
  parts.cancel_sweep = [this](int64_t id) { return sweeps_->Cancel(id); };
  parts.metrics = [](const DaemonStatus& s) { return MetricsText(s); };
  http_api_ = std::make_unique<HttpApi>(std::move(parts), mailbox_->ref());
  // Read here once, before the loop runs; on reload, on the probe worker.
  http_front_ = std::make_unique<HttpFront>(*http_api_, clock_,
                                            FrontOptions(ReadApiToken(settings_.api_token_file)));
  auto server = HttpServer::Start(&loop_, std::move(*listener), HttpServerOptions{},
                                  [this](const HttpExchange& e) { http_front_->Handle(e); });
  if (!server.ok()) return server.status();
  http_ = std::move(*server);
  http_where_ = where;
  spdlog::info("http: the storage page and the API listen on {}", where);
  return Status::Ok();
}

void Daemon::ReloadHttp() {
  if (!http_front_) return;
  probe_->Post([this, path = settings_.api_token_file, mailbox = mailbox_->ref()](Connections&) {
    auto token = std::make_shared<Result<std::string>>(ReadApiToken(path));
    mailbox.Post([this, token] {
      if (http_front_) http_front_->Reconfigure(FrontOptions(*token));
    });
  });
}

void Daemon::StartHttpSweep(const SweepAsk& ask, std::function<void(Result<int64_t>)> started) {
  std::vector<std::string> roots;
  if (!ask.storage.empty()) {
    std::vector<DaemonRoot> known;
    for (const auto& [id, v] : monitor_->roots()) known.push_back({id, v.spellings});
    auto matched = MatchDaemonRoots(ask.storage, known);
    if (!matched.ok()) return started(matched.status());
    roots = SpellingsOf(*matched);
  }
  // The client hears once the sweep has its journal id (or, when it failed
  // before it had one, the error); the outcome is read back by id.
  auto answered = std::make_shared<bool>(false);
  sweeps_->Request(SweepRequest::Manual(
      ask.spec, std::move(roots),
      [started, answered](const SweepOutcome& o) {
        if (*answered) return;
        *answered = true;
        if (!o.status.ok()) return started(o.status);
        started(o.report.sweep_id);
      },
      [started, answered](int64_t id) {
        if (*answered) return;
        *answered = true;
        started(id);
      }));
}

}  // namespace recsync
