// GET /metrics of a real `recsync run`: Prometheus's text format as the real
// `promtool check metrics` judges it, and counters that agree with the
// journal after deletions the watcher saw and sweeps started over HTTP.
#include <catch2/catch.hpp>
#include <sstream>

#include "tests/http/http_daemon.h"
#include "tests/metrics/promtool.h"

using namespace recsync::testing;
using nlohmann::json;

namespace {

const std::string kDay = "2026/11/20/000001/";

// The metrics' result label of a sweep the journal recorded.
std::string ResultOf(const json& sweep) {
  const std::string outcome = sweep["outcome"];
  if (outcome == "error") return "failed";
  if (outcome == "cancelled") return "cancelled";
  if (sweep["dry_run"].get<bool>()) return "preview";
  return outcome;  // done | partial
}

int64_t Value(const std::map<std::string, std::string>& samples, const std::string& series) {
  const auto it = samples.find(series);
  INFO("no sample " << series);
  REQUIRE(it != samples.end());
  return std::stoll(it->second);
}

}  // namespace

TEST_CASE("/metrics passes promtool and its counters match the journal after events and sweeps") {
  HttpDaemon h;
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) names.push_back(kDay + "clip-" + std::to_string(i) + ".mp4");
  h.d.AddRecordings(names);
  h.Start();
  h.AwaitSweepsIdle();

  // Deleted while watched: archived by events.
  for (int i = 0; i < 3; ++i) RemoveFile(h.d.PathOf(names[i]));
  h.d.Sync();
  // Rows whose files never existed: only a sweep finds them.
  h.d.db->InsertMediaBulk({h.d.PathOf(kDay + "never-1.mp4"), h.d.PathOf(kDay + "never-2.mp4")});
  CHECK(h.AwaitSweepEnd(h.StartSweep("{}"))["state"] == "done");  // a preview
  const json real = h.AwaitSweepEnd(h.StartSweep(R"({"dry_run": false})"));
  CHECK(real["state"] == "done");
  CHECK(real["archived"] == 2);

  const auto answer = h.WithToken("GET", "/metrics");
  REQUIRE(answer.status == 200);
  CHECK(answer.headers.at("content-type").rfind("text/plain; version=0.0.4", 0) == 0);
  const auto checked = PromtoolCheck(answer.body);
  INFO(answer.body << "\npromtool: " << checked.out << checked.err);
  CHECK(checked.exit_code == 0);

  const auto samples = MetricSamples(answer.body);
  const auto actions = h.d.JournalLines({"journal", "actions", "--limit", "0", "--json"});
  const auto sweeps = h.d.JournalLines({"journal", "sweeps", "--limit", "0", "--json"});
  int64_t by_event = 0, by_sweep = 0;
  for (const auto& a : actions) {
    if (a["action"] != "archive") continue;
    (a["cause"] == "event" ? by_event : by_sweep) += 1;
  }
  CHECK(by_event == 3);
  CHECK(by_sweep == 2);
  CHECK(Value(samples, R"(recsync_rows_archived_total{cause="event"})") == by_event);
  CHECK(Value(samples, R"(recsync_rows_archived_total{cause="sweep"})") == by_sweep);

  // Every (trigger, result) series counts the journal's sweeps of that kind.
  std::map<std::string, int64_t> journaled;
  for (const auto& s : sweeps) {
    ++journaled["recsync_sweeps_total{trigger=\"" + s["trigger"].get<std::string>() +
                "\",result=\"" + ResultOf(s) + "\"}"];
  }
  CHECK(journaled.size() >= 2);  // the startup sweep, the preview and the real one
  int64_t series = 0;
  for (const auto& [name, value] : samples) {
    if (name.rfind("recsync_sweeps_total{", 0) != 0) continue;
    ++series;
    INFO(name);
    CHECK(std::stoll(value) == journaled[name]);
  }
  CHECK(series == 6 * 5);  // every trigger and result, zeros included
  for (const auto& [name, count] : journaled) CHECK(Value(samples, name) == count);
  CHECK(Value(samples, R"(recsync_sweeps_total{trigger="manual",result="preview"})") == 1);
  CHECK(Value(samples, R"(recsync_sweeps_total{trigger="manual",result="done"})") == 1);
}
