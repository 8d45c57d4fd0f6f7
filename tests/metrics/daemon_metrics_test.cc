// GET /metrics as rendered from one DaemonStatus: every metric of issue 16
// with the snapshot's values, accepted by the real `promtool check metrics`,
// whatever bytes the storage roots' paths hold.
#include "metrics/daemon_metrics.h"

#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "tests/metrics/promtool.h"

using namespace recsync;
using namespace recsync::testing;

namespace {

RootView Root(const std::string& id, RootState state, double used_percent = -1) {
  RootView v;
  v.id = id;
  v.spellings = {id};
  v.status.state = state;
  v.armed = state == RootState::kOnline;
  v.used_percent = used_percent;
  return v;
}

DaemonStatus Counted() {
  DaemonStatus s;
  s.version = "1.2.3";
  s.database.connected = true;
  s.journal_bytes = 123456;
  s.events.pending = 4;
  s.events.failed = 1;
  s.watcher.watches = 17;
  s.watcher.overflows = 2;
  s.sweep.running = true;
  DaemonCounters& c = s.counters;
  c.events[{EventKind::kDeleted, EventState::kApplied}] = 3;
  c.events[{EventKind::kDeleted, EventState::kIgnored}] = 1;
  c.events[{EventKind::kMovedTo, EventState::kFailed}] = 1;
  c.rows_archived_by_events = 5;
  c.rows_archived_by_sweeps = 7;
  c.rows_repointed = 2;
  c.rows_restored = 1;
  c.sweeps[{SweepTrigger::kStartup, SweepResult::kDone}] = 1;
  c.sweeps[{SweepTrigger::kOverflow, SweepResult::kPartial}] = 2;
  c.sweeps[{SweepTrigger::kManual, SweepResult::kPreview}] = 1;
  c.refusals[RefusalReason::kRatio] = 2;
  c.refusals[RefusalReason::kOffline] = 1;
  c.sweep_duration_s.Observe(0.3);
  c.sweep_duration_s.Observe(42);
  c.last_sweep_success_ms = 1780000000500;
  for (double seconds : {0.02, 0.04, 2.0}) c.delete_to_archive_s.Observe(seconds);
  s.roots = {Root("/var/lib/bluecherry/recordings", RootState::kOnline, 42.5),
             Root("/mnt/\"quoted\"", RootState::kOffline),
             Root("/mnt/back\\slash", RootState::kSuspect, 99),
             Root("/mnt/new\nline", RootState::kOffline)};
  return s;
}

}  // namespace

TEST_CASE("every metric of the snapshot is written with its value") {
  const std::string text = MetricsText(Counted());
  INFO(text);
  auto m = MetricSamples(text);
  CHECK(m["recsync_build_info{version=\"1.2.3\"}"] == "1");
  CHECK(m["recsync_catalog_up"] == "1");
  CHECK(m["recsync_journal_bytes"] == "123456");
  CHECK(m["recsync_events_total{kind=\"deleted\",result=\"applied\"}"] == "3");
  CHECK(m["recsync_events_total{kind=\"deleted\",result=\"ignored\"}"] == "1");
  CHECK(m["recsync_events_total{kind=\"moved_to\",result=\"failed\"}"] == "1");
  CHECK(m["recsync_events_total{kind=\"created\",result=\"applied\"}"] == "0");
  CHECK(m["recsync_events_pending"] == "4");
  CHECK(m["recsync_events_failed"] == "1");
  CHECK(m["recsync_rows_archived_total{cause=\"event\"}"] == "5");
  CHECK(m["recsync_rows_archived_total{cause=\"sweep\"}"] == "7");
  CHECK(m["recsync_rows_repointed_total"] == "2");
  CHECK(m["recsync_rows_restored_total"] == "1");
  CHECK(m["recsync_sweeps_total{trigger=\"startup\",result=\"done\"}"] == "1");
  CHECK(m["recsync_sweeps_total{trigger=\"overflow\",result=\"partial\"}"] == "2");
  CHECK(m["recsync_sweeps_total{trigger=\"manual\",result=\"preview\"}"] == "1");
  CHECK(m["recsync_sweeps_total{trigger=\"periodic\",result=\"failed\"}"] == "0");
  CHECK(m["recsync_sweep_running"] == "1");
  CHECK(m["recsync_sweep_duration_seconds_bucket{le=\"0.5\"}"] == "1");
  CHECK(m["recsync_sweep_duration_seconds_bucket{le=\"60\"}"] == "2");
  CHECK(m["recsync_sweep_duration_seconds_bucket{le=\"+Inf\"}"] == "2");
  CHECK(m["recsync_sweep_duration_seconds_sum"] == "42.3");
  CHECK(m["recsync_sweep_duration_seconds_count"] == "2");
  CHECK(m["recsync_last_sweep_success_timestamp_seconds"] == "1780000000.5");
  CHECK(m["recsync_sweep_refusals_total{reason=\"ratio\"}"] == "2");
  CHECK(m["recsync_sweep_refusals_total{reason=\"offline\"}"] == "1");
  CHECK(m["recsync_sweep_refusals_total{reason=\"suspect\"}"] == "0");
  CHECK(m["recsync_sweep_refusals_total{reason=\"unresponsive\"}"] == "0");
  CHECK(m["recsync_root_up{root=\"/var/lib/bluecherry/recordings\"}"] == "1");
  CHECK(m["recsync_root_used_ratio{root=\"/var/lib/bluecherry/recordings\"}"] == "0.425");
  CHECK(m["recsync_root_watched{root=\"/var/lib/bluecherry/recordings\"}"] == "1");
  CHECK(m["recsync_root_up{root=\"/mnt/\\\"quoted\\\"\"}"] == "0");
  CHECK(m["recsync_root_up{root=\"/mnt/back\\\\slash\"}"] == "0");  // suspect is not up
  CHECK(m["recsync_root_used_ratio{root=\"/mnt/back\\\\slash\"}"] == "0.99");
  CHECK(m["recsync_root_up{root=\"/mnt/new\\nline\"}"] == "0");
  CHECK(m.count("recsync_root_used_ratio{root=\"/mnt/new\\nline\"}") == 0);  // never measured
  CHECK(m["recsync_watches"] == "17");
  CHECK(m["recsync_watch_overflows_total"] == "2");
  CHECK(m["recsync_delete_to_archive_seconds_bucket{le=\"0.025\"}"] == "1");
  CHECK(m["recsync_delete_to_archive_seconds_bucket{le=\"0.05\"}"] == "2");
  CHECK(m["recsync_delete_to_archive_seconds_bucket{le=\"2.5\"}"] == "3");
  CHECK(m["recsync_delete_to_archive_seconds_bucket{le=\"+Inf\"}"] == "3");
  CHECK(m["recsync_delete_to_archive_seconds_count"] == "3");
}

TEST_CASE("the metrics pass promtool check metrics, hostile root paths included") {
  const std::string text = MetricsText(Counted());
  auto checked = PromtoolCheck(text);
  INFO(text << "\npromtool: " << checked.out << checked.err);
  CHECK(checked.exit_code == 0);
}

TEST_CASE("a daemon that counted nothing yet writes every series at zero and passes promtool") {
  DaemonStatus s;  // no roots, no database, journal not measured yet
  s.version = "0.1.0";
  const std::string text = MetricsText(s);
  INFO(text);
  auto m = MetricSamples(text);
  // 4 kinds x 3 results, 6 triggers x 5 results: rate() sees them from the start.
  size_t events = 0, sweeps = 0;
  for (const auto& [series, value] : m) {
    events += series.starts_with("recsync_events_total{") && value == "0";
    sweeps += series.starts_with("recsync_sweeps_total{") && value == "0";
  }
  CHECK(events == 12);
  CHECK(sweeps == 30);
  CHECK(m["recsync_catalog_up"] == "0");
  CHECK(m["recsync_last_sweep_success_timestamp_seconds"] == "0");
  CHECK(m.count("recsync_journal_bytes") == 0);
  CHECK(text.find("# TYPE recsync_root_up gauge") != std::string::npos);
  auto checked = PromtoolCheck(text);
  INFO("promtool: " << checked.out << checked.err);
  CHECK(checked.exit_code == 0);
}
