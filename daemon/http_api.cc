// HttpApi: status, roots, sign-in and sweeps (http_api_journal.cc: the
// journal's pages and the stream).
#include "daemon/http_api.h"

#include <spdlog/spdlog.h>

#include "common/text.h"
#include "http/credentials.h"
#include "journal/journal_json.h"
#include "reconcile/sweep_progress.h"
#include "reconcile/sweep_report.h"

namespace recsync {
namespace {

using json = nlohmann::json;

// A Bluecherry root starts its pressure sweep this far above max_thresh
// (root_monitor.cc).
constexpr double kPressureMargin = 5.0;

const char* StateText(const RootView& v) {
  if (v.status.state == RootState::kOffline) {
    return v.status.reason.find("unresponsive") != std::string::npos ? "unresponsive" : "offline";
  }
  return v.status.state == RootState::kSuspect ? "suspect" : "online";
}

// The last sweep's figures for root `id`, from its report. A preview's
// say dry_run: its rows were not archived, only counted (would_archive).
json LastSweepOf(const SweepStatus& sweep, const RootView& v) {
  if (!sweep.last || !sweep.last->status.ok()) return nullptr;
  const SweepReport& r = sweep.last->report;
  for (const auto& root : r.roots) {
    if (root.path != v.id) continue;
    return {{"id", r.sweep_id},
            {"dry_run", r.dry_run},
            {"finished_ms", r.started_ms + r.duration_ms},
            {"checked", root.checked},
            {"missing", root.missing},
            {"archived", root.archived},
            {"would_archive", root.would_archive},
            {"refused", root.refused},
            {"refused_reason", root.refused_reason}};
  }
  return nullptr;
}

// The name a client tried, for the log: one line however it is spelled,
// and not the whole of a name as long as a request body.
std::string TriedName(const std::string& user) {
  constexpr size_t kLongest = 64;
  return PrintableText(std::string_view(user).substr(0, kLongest)) +
         (user.size() > kLongest ? "..." : "");
}

// Every sign-in is logged with the name that was tried (a wrong password
// included: that is the one an administrator looks for), never the password.
void LogSignIn(const std::string& user, const Result<SignInVerdict>& verdict) {
  if (!verdict.ok()) {
    spdlog::warn("http: sign-in as \"{}\": cannot check the account: {}", TriedName(user),
                 verdict.status().message());
    return;
  }
  switch (verdict->kind) {
    case SignInVerdict::Kind::kAdmin:
      spdlog::info("http: sign-in as \"{}\": administrator", TriedName(verdict->user));
      return;
    case SignInVerdict::Kind::kNotAdmin:
      spdlog::info("http: sign-in as \"{}\": refused, not an administrator",
                   TriedName(verdict->user));
      return;
    case SignInVerdict::Kind::kWrong:
      spdlog::info("http: sign-in as \"{}\": refused, wrong username or password",
                   TriedName(user));
      return;
  }
}

Result<bool> OptionalBool(const json& body, const char* key, bool fallback) {
  auto it = body.find(key);
  if (it == body.end()) return fallback;
  if (!it->is_boolean()) return Status(Code::kInvalid, std::string(key) + " must be true or false");
  return it->get<bool>();
}

}  // namespace

HttpApi::HttpApi(Parts parts, LoopMailbox::Ref mailbox)
    : parts_(std::move(parts)), mailbox_(std::move(mailbox)), stream_timer_(parts_.loop, [this] { Publish(); }) {}

HttpResponse HttpApi::Health() {
  const DaemonStatus s = parts_.snapshot();
  return HttpResponse::Json(200, {{"ok", true}, {"ready", s.ready}, {"degraded", DegradedLines(s)}});
}

nlohmann::json HttpApi::Status() { return StatusToJson(parts_.snapshot()); }

std::string HttpApi::Metrics() {
  return parts_.metrics ? parts_.metrics(parts_.snapshot()) : std::string();
}

nlohmann::json HttpApi::Roots() {
  const DaemonStatus s = parts_.snapshot();
  json roots = json::array();
  for (const RootView& v : s.roots) {
    json r{{"path", v.id},
           {"spellings", v.spellings},
           {"state", StateText(v)},
           {"reason", v.status.reason},
           {"fs_type", v.status.fs_type},
           {"mount_point", v.status.mount_point},
           {"bytes_total", v.space.bytes_total},
           {"bytes_used", v.space.bytes_used},
           {"bytes_free", v.space.bytes_free},
           {"used_percent", v.used_percent >= 0 ? json(v.used_percent) : json(nullptr)},
           {"max_thresh", v.max_thresh > 0 ? json(v.max_thresh) : json(nullptr)},
           {"min_thresh", v.min_thresh > 0 ? json(v.min_thresh) : json(nullptr)},
           {"pressure_percent",
            v.max_thresh > 0 ? json(static_cast<double>(v.max_thresh) + kPressureMargin)
                             : json(nullptr)},
           {"watched", v.armed},
           {"arm_error", v.arm_error},
           {"pending_events", s.events.pending},
           {"last_sweep", LastSweepOf(s.sweep, v)}};
    roots.push_back(std::move(r));
  }
  return {{"roots", std::move(roots)}};
}

void HttpApi::SignIn(const std::string& user, const std::string& password,
                     std::function<void(Result<SignInVerdict>)> done) {
  parts_.worker->Post([user, password, done, mailbox = mailbox_](Connections& c) {
    auto verdict = std::make_shared<Result<SignInVerdict>>(SignInVerdict{});
    auto catalog = c.catalog();
    if (!catalog.ok()) {
      *verdict = catalog.status();
    } else if (auto account = (*catalog)->FindUser(user); !account.ok()) {
      *verdict = account.status();
    } else if (*account && BluecherryPasswordMatches(password, (*account)->salt,
                                                     (*account)->password)) {
      const auto kind = (*account)->admin ? SignInVerdict::Kind::kAdmin
                                          : SignInVerdict::Kind::kNotAdmin;
      *verdict = SignInVerdict{kind, (*account)->username};
    }
    mailbox.Post([done, verdict, user] {
      LogSignIn(user, *verdict);
      done(*verdict);
    });
  });
}

void HttpApi::StartSweep(const nlohmann::json& body, Answer answer) {
  // The API's form of a client sweep: a preview unless dry_run is false.
  json request{{"cmd", "sweep"}};
  for (const auto& [key, value] : body.items()) {
    if (key == "roots") {
      request["storage"] = value;
    } else if (key == "dry_run" || key == "force" || key == "relist") {
      request[key] = value;
    } else {
      return answer(HttpResponse::Error(400, "bad sweep request",
                                        "unknown field \"" + key +
                                            "\"; a sweep takes dry_run, force, relist and roots"));
    }
  }
  auto dry_run = OptionalBool(body, "dry_run", true);
  if (!dry_run.ok()) return answer(HttpResponse::Error(400, "bad sweep request", dry_run.status().message()));
  request["dry_run"] = *dry_run;
  auto ask = ParseSweepRequest(request);
  if (!ask.ok()) return answer(HttpResponse::Error(400, "bad sweep request", ask.status().message()));
  const DaemonStatus s = parts_.snapshot();
  if (auto running = CurrentSweep(s)) {
    json out = *running;
    out["error"] = "a sweep is running";
    out["detail"] = "sweep " + std::to_string(running->value("id", 0)) +
                    " is running; watch it or cancel it first";
    return answer(HttpResponse::Json(409, out));
  }
  parts_.start_sweep(*ask, [answer](Result<int64_t> id) {
    if (!id.ok()) {
      // A root that is not the daemon's is the caller's to fix, not a
      // service that may answer later.
      const bool bad_request = id.status().code() == Code::kInvalid;
      return answer(HttpResponse::Error(bad_request ? 400 : 503,
                                        bad_request ? "bad sweep request" : "the sweep did not start",
                                        id.status().message()));
    }
    answer(HttpResponse::Json(202, {{"id", *id}, {"state", "running"}})
               .With("Location", "sweeps/" + std::to_string(*id)));
  });
}

std::optional<nlohmann::json> HttpApi::CurrentSweep(const DaemonStatus& s) const {
  if (!s.sweep.current) return std::nullopt;
  const RunningSweep& r = *s.sweep.current;
  return json{{"id", r.id},
              {"trigger", std::string(ToText(r.trigger))},
              {"state", "running"},
              {"dry_run", r.dry_run},
              {"cancelling", r.cancelling},
              {"phase", std::string(ToText(r.progress.phase))},
              {"progress", SweepProgressToJson(r.progress)},
              {"report", nullptr}};
}

void HttpApi::CancelSweep(int64_t id, Answer answer) {
  const recsync::Status cancelled = parts_.cancel_sweep(id);
  if (cancelled.ok()) return answer(HttpResponse::Json(202, {{"id", id}, {"state", "cancelling"}}));
  answer(HttpResponse::Error(409, "not running", cancelled.message()));
}

}  // namespace recsync
