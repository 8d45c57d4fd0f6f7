// HttpApi: the journal's pages (sweeps, events, actions, history) and the
// stream of Server-Sent Events.
#include <ctime>

#include "common/json.h"
#include "common/time_text.h"
#include "daemon/http_api.h"
#include "journal/journal_json.h"

namespace recsync {
namespace {

using json = nlohmann::json;

constexpr int64_t kMaxPage = 1000;
constexpr int64_t kDayMs = 86'400'000;

HttpResponse BadQuery(const std::string& detail) {
  return HttpResponse::Error(400, "bad query", detail);
}

// `name` as a whole number in [min, max]; `fallback` when absent.
Result<int64_t> IntArg(const HttpBackend::Query& q, const std::string& name, int64_t fallback,
                       int64_t min, int64_t max) {
  auto it = q.find(name);
  if (it == q.end() || it->second.empty()) return fallback;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max) {
    return Status(Code::kInvalid, name + " must be a whole number from " + std::to_string(min) +
                                      " to " + std::to_string(max));
  }
  return static_cast<int64_t>(v);
}

// The API's sweep state from the journal's outcome.
const char* SweepState(const std::string& outcome) {
  if (outcome == "running") return "running";
  if (outcome == "cancelled") return "cancelled";
  if (outcome == "error") return "failed";
  return "done";  // done | partial
}

json SweepSummary(const SweepRecord& r) {
  return {{"id", r.id},
          {"trigger", r.trigger},
          {"state", SweepState(r.outcome)},
          {"outcome", r.outcome},
          {"dry_run", r.dry_run},
          {"started_ms", r.started_ms},
          {"finished_ms", r.finished_ms},
          {"duration_ms", r.finished_ms > 0 ? r.finished_ms - r.started_ms : 0},
          {"checked", r.checked},
          {"missing", r.missing},
          {"unknown", r.unknown},
          {"archived", r.archived}};
}

std::string LocalDay(int64_t ms) {
  const time_t t = static_cast<time_t>(ms / 1000);
  tm local{};
  localtime_r(&t, &local);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", &local);
  return text;
}

// One page of records and the cursor of the next one (null on the last).
HttpResponse Page(const char* key, nlohmann::ordered_json items, std::optional<int64_t> next) {
  nlohmann::ordered_json out;
  out[key] = std::move(items);
  out["next_cursor"] = next ? nlohmann::ordered_json(std::to_string(*next)) : nullptr;
  HttpResponse r;
  r.body = out.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
  return r;
}

std::string SseEvent(const char* name, const json& data) {
  return std::string("event: ") + name + "\ndata: " + DumpJson(data) + "\n\n";
}

}  // namespace

void HttpApi::OnJournal(std::function<HttpResponse(Journal&)> read, Answer answer) {
  parts_.worker->Post([read, answer, mailbox = mailbox_](Connections& c) {
    auto response = std::make_shared<HttpResponse>(read(c.journal()));
    mailbox.Post([answer, response] { answer(std::move(*response)); });
  });
}

void HttpApi::ListSweeps(const Query& query, Answer answer) {
  auto limit = IntArg(query, "limit", 50, 1, kMaxPage);
  if (!limit.ok()) return answer(BadQuery(limit.status().message()));
  OnJournal(
      [limit = *limit](Journal& j) {
        auto sweeps = j.ListSweeps(limit);
        if (!sweeps.ok()) return HttpResponse::Error(503, "journal", sweeps.status().message());
        json out = json::array();
        for (const auto& r : *sweeps) out.push_back(SweepSummary(r));
        return HttpResponse::Json(200, {{"sweeps", std::move(out)}});
      },
      answer);
}

void HttpApi::GetSweep(int64_t id, Answer answer) {
  if (auto running = CurrentSweep(parts_.snapshot()); running && running->value("id", 0) == id) {
    return answer(HttpResponse::Json(200, *running));
  }
  OnJournal(
      [id](Journal& j) {
        auto sweep = j.GetSweep(id);
        if (!sweep.ok()) return HttpResponse::Error(503, "journal", sweep.status().message());
        if (!*sweep) {
          return HttpResponse::Error(404, "not found", "no sweep " + std::to_string(id) +
                                                           " in the journal");
        }
        json out = SweepSummary(**sweep);
        out["phase"] = "finished";
        out["progress"] = {{"rows_seen", (*sweep)->checked},
                           {"rows_expected", (*sweep)->checked},
                           {"missing", (*sweep)->missing},
                           {"archived", (*sweep)->archived}};
        out["report"] = SweepJson(**sweep)["report"];
        return HttpResponse::Json(200, out);
      },
      answer);
}

void HttpApi::ListEvents(const Query& query, Answer answer) {
  EventFilter filter;
  auto limit = IntArg(query, "limit", 100, 1, kMaxPage);
  auto cursor = IntArg(query, "cursor", 0, 0, INT64_MAX);
  if (!limit.ok()) return answer(BadQuery(limit.status().message()));
  if (!cursor.ok()) return answer(BadQuery("cursor must be the next_cursor of a page"));
  filter.limit = *limit;
  if (*cursor > 0) filter.before_seq = *cursor;
  if (auto it = query.find("state"); it != query.end() && !it->second.empty()) {
    filter.state = ParseEventState(it->second);
    if (!filter.state) return answer(BadQuery("state must be one of " + JoinTexts(kEventStates)));
  }
  if (auto it = query.find("kind"); it != query.end() && !it->second.empty()) {
    filter.kind = ParseJournaledKind(it->second);
    if (!filter.kind) return answer(BadQuery("kind must be one of " + JoinTexts(kJournaledKinds)));
  }
  if (auto it = query.find("since"); it != query.end() && !it->second.empty()) {
    auto since = ParseTimeSpec(it->second, parts_.clock->NowMs());
    if (!since.ok()) return answer(BadQuery("since: " + since.status().message()));
    filter.since_ms = *since;
  }
  if (auto it = query.find("path"); it != query.end() && !it->second.empty()) {
    filter.path_glob = it->second;
  }
  OnJournal(
      [filter](Journal& j) {
        auto events = j.ListEvents(filter);
        if (!events.ok()) return HttpResponse::Error(503, "journal", events.status().message());
        auto out = nlohmann::ordered_json::array();
        for (const auto& e : *events) out.push_back(EventJson(e));
        const bool more = static_cast<int64_t>(events->size()) == filter.limit;
        return Page("events", std::move(out),
                    more ? std::optional<int64_t>(events->back().seq) : std::nullopt);
      },
      answer);
}

void HttpApi::ListActions(const Query& query, Answer answer) {
  ActionFilter filter;
  filter.newest_first = true;
  auto limit = IntArg(query, "limit", 100, 1, kMaxPage);
  auto cursor = IntArg(query, "cursor", 0, 0, INT64_MAX);
  auto sweep = IntArg(query, "sweep", 0, 0, INT64_MAX);
  if (!limit.ok()) return answer(BadQuery(limit.status().message()));
  if (!cursor.ok()) return answer(BadQuery("cursor must be the next_cursor of a page"));
  if (!sweep.ok()) return answer(BadQuery("sweep must be a sweep id"));
  filter.limit = *limit;
  if (*cursor > 0) filter.before_id = *cursor;
  if (*sweep > 0) filter.sweep_id = *sweep;
  if (auto it = query.find("since"); it != query.end() && !it->second.empty()) {
    auto since = ParseTimeSpec(it->second, parts_.clock->NowMs());
    if (!since.ok()) return answer(BadQuery("since: " + since.status().message()));
    filter.since_ms = *since;
  }
  OnJournal(
      [filter](Journal& j) {
        auto actions = j.ListActions(filter);
        if (!actions.ok()) return HttpResponse::Error(503, "journal", actions.status().message());
        auto out = nlohmann::ordered_json::array();
        for (const auto& a : *actions) out.push_back(ActionJson(a));
        const bool more = static_cast<int64_t>(actions->size()) == filter.limit;
        return Page("actions", std::move(out),
                    more ? std::optional<int64_t>(actions->back().id) : std::nullopt);
      },
      answer);
}

void HttpApi::History(const Query& query, Answer answer) {
  auto days = IntArg(query, "days", 28, 1, 366);
  if (!days.ok()) return answer(BadQuery(days.status().message()));
  const int64_t now = parts_.clock->NowMs();
  const int64_t since = now - (*days - 1) * kDayMs;
  OnJournal(
      [now, since, days = *days](Journal& j) {
        auto per_day = j.ArchivesPerDay(since - kDayMs);  // the first local day whole
        auto sweeps = j.ListSweeps(kMaxPage);
        if (!per_day.ok()) return HttpResponse::Error(503, "journal", per_day.status().message());
        if (!sweeps.ok()) return HttpResponse::Error(503, "journal", sweeps.status().message());
        json out_days = json::array();
        for (int64_t d = days - 1; d >= 0; --d) {
          const std::string day = LocalDay(now - d * kDayMs);
          int64_t archived = 0;
          for (const auto& c : *per_day) {
            if (c.day == day) archived = c.archived;
          }
          out_days.push_back({{"day", day}, {"archived", archived}});
        }
        json out_sweeps = json::array();
        for (auto it = sweeps->rbegin(); it != sweeps->rend(); ++it) {
          if (it->started_ms < since || it->finished_ms == 0) continue;
          out_sweeps.push_back({{"id", it->id},
                                {"started_ms", it->started_ms},
                                {"duration_ms", it->finished_ms - it->started_ms},
                                {"trigger", it->trigger},
                                {"archived", it->archived}});
        }
        return HttpResponse::Json(200, {{"days", out_days}, {"sweeps", out_sweeps}});
      },
      answer);
}

void HttpApi::RetryEvents(const nlohmann::json& body, Answer answer) {
  json request = body;
  request["cmd"] = "retry";
  parts_.control(request, [answer](const json& reply) {
    if (reply.value("ok", false)) {
      json out = reply;
      out.erase("ok");
      return answer(HttpResponse::Json(200, out));
    }
    const bool usage = reply.value("exit", 0) == 2;
    answer(HttpResponse::Error(usage ? 400 : 503, usage ? "bad retry request" : "retry failed",
                               reply.value("error", "")));
  });
}

// ---- the stream ----

void HttpApi::Subscribe(std::shared_ptr<HttpStream> stream) {
  const DaemonStatus s = parts_.snapshot();
  stream->Send(SseEvent("status", StatusToJson(s)));
  if (auto running = CurrentSweep(s)) stream->Send(SseEvent("sweep", *running));
  streams_.push_back(std::move(stream));
  if (streams_.size() == 1) stream_timer_.Start(500, 500);
}

void HttpApi::Publish() {
  std::erase_if(streams_, [](const auto& s) { return s->closed(); });
  if (streams_.empty()) {
    stream_timer_.Stop();
    last_status_.clear();
    last_sweep_.clear();
    last_events_.clear();
    return;
  }
  const DaemonStatus s = parts_.snapshot();
  std::string out;
  json status = StatusToJson(s);
  status.erase("uptime_s");  // changes every second; not news
  if (std::string text = DumpJson(status); text != last_status_) {
    last_status_ = text;
    out += SseEvent("status", StatusToJson(s));
  }
  const auto running = CurrentSweep(s);
  const std::string sweep = running ? DumpJson(*running) : "";
  if (sweep != last_sweep_) {
    // A sweep that ended ends on the stream too, even when the next one
    // started within the same tick.
    if (!last_sweep_.empty()) {
      json last = json::parse(last_sweep_);
      if (!running || running->value("id", 0) != last.value("id", 0)) {
        out += SseEvent("sweep_end", last);
      }
    }
    if (running) out += SseEvent("sweep", *running);
    last_sweep_ = sweep;
  }
  const json events{{"applied", s.events.committed - s.events.pending},
                    {"pending", s.events.pending},
                    {"failed", s.events.failed}};
  if (std::string text = DumpJson(events); text != last_events_) {
    last_events_ = text;
    out += SseEvent("events", events);
  }
  if (out.empty()) return;
  for (const auto& stream : streams_) stream->Send(out);
}

}  // namespace recsync
