// PrometheusText: writes the Prometheus text exposition format, version
// 0.0.4 (what `GET /metrics` answers with Content-Type
// "text/plain; version=0.0.4; charset=utf-8").
//
// Contract
// - A metric family is started with Family(name, type, help), which writes
//   its `# HELP` and `# TYPE` lines; the samples that follow belong to it
//   and are written under its name (a histogram's as name_bucket{le=...},
//   name_sum and name_count). Each family must be started once.
// - Names (of families and labels) are the caller's constants and must
//   match [a-zA-Z_:][a-zA-Z0-9_:]* (labels: no colon, not "le" for a
//   histogram); they are written as given. Label VALUES are any bytes and
//   are escaped here: backslash, double quote and newline become \\, \" and
//   \n. Help text escapes backslash and newline.
// - Values: integers exactly; other numbers in the shortest form that reads
//   back to the same double; +Inf, -Inf and NaN as the format spells them.
// - A histogram's buckets are written cumulative, its bounds as `le`, the
//   last `le="+Inf"` equal to name_count.
//
// Thread rules: a plain value.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "metrics/histogram.h"

namespace recsync {

enum class MetricType { kCounter, kGauge, kHistogram };

// name="value" pairs, written in this order.
using MetricLabels = std::vector<std::pair<std::string_view, std::string_view>>;

// The escapes of the format, exposed for tests.
std::string EscapeLabelValue(std::string_view value);
std::string EscapeHelp(std::string_view help);
std::string FormatMetricValue(double value);

class PrometheusText {
 public:
  void Family(std::string_view name, MetricType type, std::string_view help);
  // A sample of the current family (a counter's or a gauge's).
  void Sample(const MetricLabels& labels, double value);
  void Sample(const MetricLabels& labels, int64_t value);
  void Sample(double value) { Sample(MetricLabels{}, value); }
  void Sample(int64_t value) { Sample(MetricLabels{}, value); }
  // The current family's histogram with `labels`.
  void Observations(const MetricLabels& labels, const Histogram& histogram);

  const std::string& text() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Line(std::string_view suffix, const MetricLabels& labels, std::string_view le,
            std::string_view value);

  std::string out_;
  std::string family_;
};

}  // namespace recsync
