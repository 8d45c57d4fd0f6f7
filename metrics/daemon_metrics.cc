#include "metrics/daemon_metrics.h"

#include "metrics/prometheus_text.h"

namespace recsync {
namespace {

template <typename Key>
int64_t CountOf(const std::map<Key, int64_t>& counts, const Key& key) {
  auto it = counts.find(key);
  return it == counts.end() ? 0 : it->second;
}

int64_t Flag(bool b) { return b ? 1 : 0; }

void WriteProcess(const DaemonStatus& s, PrometheusText& w) {
  w.Family("recsync_build_info", MetricType::kGauge, "The running recsync's version; always 1.");
  w.Sample({{"version", s.version}}, int64_t{1});
  w.Family("recsync_catalog_up", MetricType::kGauge,
           "1 when the last attempt to reach Bluecherry's database succeeded, else 0.");
  w.Sample(Flag(s.database.connected));
  if (s.journal_bytes >= 0) {
    w.Family("recsync_journal_bytes", MetricType::kGauge,
             "Size of recsync's journal: the SQLite file and its write-ahead log.");
    w.Sample(s.journal_bytes);
  }
}

void WriteEvents(const DaemonStatus& s, PrometheusText& w) {
  const DaemonCounters& c = s.counters;
  w.Family("recsync_events_total", MetricType::kCounter,
           "File events settled since recsync started, by kind and result (applied: rows "
           "were changed; ignored: nothing to change; failed: cannot be applied as things "
           "stand).");
  for (EventKind kind : kAppliedKinds) {
    for (EventState state : kSettledStates) {
      w.Sample({{"kind", ToText(kind)}, {"result", ToText(state)}},
               CountOf(c.events, std::pair{kind, state}));
    }
  }
  w.Family("recsync_events_pending", MetricType::kGauge,
           "Events in the journal not settled yet, held ones (offline storage) included.");
  w.Sample(s.events.pending);
  w.Family("recsync_events_failed", MetricType::kGauge,
           "Events in the journal that failed (recsync journal list --state failed).");
  w.Sample(s.events.failed);
  w.Family("recsync_delete_to_archive_seconds", MetricType::kHistogram,
           "From a deletion seen by the watcher to the COMMIT that archived its rows.");
  w.Observations({}, c.delete_to_archive_s);
}

void WriteRows(const DaemonCounters& c, PrometheusText& w) {
  w.Family("recsync_rows_archived_total", MetricType::kCounter,
           "Media rows archived since recsync started because their file was gone, by cause "
           "(event: a deletion the watcher saw; sweep: a sweep found the file missing).");
  w.Sample({{"cause", "event"}}, c.rows_archived_by_events);
  w.Sample({{"cause", "sweep"}}, c.rows_archived_by_sweeps);
  w.Family("recsync_rows_repointed_total", MetricType::kCounter,
           "Media rows re-pointed to their file's new name since recsync started.");
  w.Sample(c.rows_repointed);
  w.Family("recsync_rows_restored_total", MetricType::kCounter,
           "Media rows recsync had archived and restored since it started, their file back.");
  w.Sample(c.rows_restored);
}

void WriteSweeps(const DaemonStatus& s, PrometheusText& w) {
  const DaemonCounters& c = s.counters;
  w.Family("recsync_sweeps_total", MetricType::kCounter,
           "Sweeps ended since recsync started, by trigger and result (done; partial: a root "
           "was offline or refused; failed; cancelled; preview: a dry run).");
  for (SweepTrigger trigger : kSweepTriggers) {
    for (SweepResult result : kSweepResults) {
      w.Sample({{"trigger", ToText(trigger)}, {"result", ToText(result)}},
               CountOf(c.sweeps, std::pair{trigger, result}));
    }
  }
  w.Family("recsync_sweep_running", MetricType::kGauge, "1 while a sweep runs, else 0.");
  w.Sample(Flag(s.sweep.running));
  w.Family("recsync_sweep_duration_seconds", MetricType::kHistogram,
           "How long sweeps that ran to their end took, previews included.");
  w.Observations({}, c.sweep_duration_s);
  w.Family("recsync_last_sweep_success_timestamp_seconds", MetricType::kGauge,
           "When the last sweep that may change the catalog ran to its end (done or "
           "partial), in seconds since the epoch; 0 before one has since recsync started.");
  w.Sample(static_cast<double>(c.last_sweep_success_ms) / 1000.0);
  w.Family("recsync_sweep_refusals_total", MetricType::kCounter,
           "Storage roots a sweep left alone since recsync started, by reason (offline; "
           "unresponsive; suspect: looks unmounted; ratio: too many files missing).");
  for (RefusalReason reason : kRefusalReasons) {
    w.Sample({{"reason", ToText(reason)}}, CountOf(c.refusals, reason));
  }
}

void WriteRoots(const DaemonStatus& s, PrometheusText& w) {
  w.Family("recsync_root_up", MetricType::kGauge,
           "1 when the storage root is online, 0 when offline, unresponsive or suspect.");
  for (const auto& v : s.roots) {
    w.Sample({{"root", v.id}}, Flag(v.status.state == RootState::kOnline));
  }
  w.Family("recsync_root_watched", MetricType::kGauge,
           "1 when the watcher is armed on the storage root, else 0.");
  for (const auto& v : s.roots) w.Sample({{"root", v.id}}, Flag(v.armed));
  w.Family("recsync_root_used_ratio", MetricType::kGauge,
           "Share of the storage root's filesystem in use (0..1), as df counts it; absent "
           "until measured.");
  for (const auto& v : s.roots) {
    if (v.used_percent >= 0) w.Sample({{"root", v.id}}, v.used_percent / 100.0);
  }
  w.Family("recsync_watches", MetricType::kGauge, "Watches the watcher holds (inotify: folders).");
  w.Sample(static_cast<int64_t>(s.watcher.watches));
  w.Family("recsync_watch_overflows_total", MetricType::kCounter,
           "Times the kernel's event queue overflowed since recsync started (each ends in a "
           "sweep).");
  w.Sample(s.watcher.overflows);
}

}  // namespace

std::string MetricsText(const DaemonStatus& status) {
  PrometheusText w;
  WriteProcess(status, w);
  WriteEvents(status, w);
  WriteRows(status.counters, w);
  WriteSweeps(status, w);
  WriteRoots(status, w);
  return w.Take();
}

}  // namespace recsync
