// The text format written by hand: escapes, numbers, families and
// cumulative histogram buckets, as Prometheus reads them.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "metrics/histogram.h"
#include "metrics/prometheus_text.h"
#include "tests/metrics/promtool.h"

using namespace recsync;
using namespace recsync::testing;

TEST_CASE("label values escape backslash, double quote and newline, and nothing else") {
  CHECK(EscapeLabelValue("/mnt/a\\b\"c\nd\te") == "/mnt/a\\\\b\\\"c\\nd\te");
  CHECK(EscapeLabelValue("") == "");
  CHECK(EscapeHelp("a\\b\nc \"q\"") == "a\\\\b\\nc \"q\"");
}

TEST_CASE("values are exact integers, shortest doubles and the format's special words") {
  CHECK(FormatMetricValue(0.1) == "0.1");
  CHECK(FormatMetricValue(1) == "1");
  CHECK(FormatMetricValue(1780000000.123) == "1780000000.123");
  CHECK(FormatMetricValue(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(FormatMetricValue(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(FormatMetricValue(std::nan("")) == "NaN");
  PrometheusText w;
  w.Family("big_total", MetricType::kCounter, "h");
  w.Sample(int64_t{9007199254740993});  // not representable as a double
  CHECK(w.text().ends_with("big_total 9007199254740993\n"));
}

TEST_CASE("a histogram counts each observation in the first bucket whose bound holds it") {
  Histogram h({0.1, 1, 10});
  for (double v : {0.05, 0.1, 0.5, 20.0, std::nan("")}) h.Observe(v);
  CHECK(h.counts() == std::vector<uint64_t>{2, 1, 0, 1});
  CHECK(h.count() == 4);
  CHECK(h.sum() == Approx(20.65));
  // Bounds that are not increasing or not finite are dropped.
  Histogram odd({1, 1, 0.5, std::numeric_limits<double>::infinity(), 2});
  CHECK(odd.bounds() == std::vector<double>{1, 2});
  CHECK(odd.counts().size() == 3);
}

TEST_CASE("a histogram is written with cumulative buckets, +Inf, _sum and _count") {
  Histogram h({0.1, 1, 10});
  for (double v : {0.05, 0.1, 0.5, 20.0}) h.Observe(v);
  PrometheusText w;
  w.Family("x_seconds", MetricType::kHistogram, "How long x took.");
  w.Observations({{"root", "/a\"b"}}, h);
  CHECK(w.text() ==
        "# HELP x_seconds How long x took.\n"
        "# TYPE x_seconds histogram\n"
        "x_seconds_bucket{root=\"/a\\\"b\",le=\"0.1\"} 2\n"
        "x_seconds_bucket{root=\"/a\\\"b\",le=\"1\"} 3\n"
        "x_seconds_bucket{root=\"/a\\\"b\",le=\"10\"} 3\n"
        "x_seconds_bucket{root=\"/a\\\"b\",le=\"+Inf\"} 4\n"
        "x_seconds_sum{root=\"/a\\\"b\"} 20.65\n"
        "x_seconds_count{root=\"/a\\\"b\"} 4\n");
  CHECK(PromtoolCheck(w.text()).exit_code == 0);
}

TEST_CASE("promtool refuses what the escaping prevents: a raw quote or newline in a label") {
  // Proves the check below is a real one: the same text unescaped fails it.
  const std::string raw = "# HELP a_total h\n# TYPE a_total counter\na_total{root=\"/x\"y\"} 1\n";
  CHECK(PromtoolCheck(raw).exit_code != 0);
  const std::string newline = "# HELP a_total h\n# TYPE a_total counter\na_total{root=\"/x\ny\"} 1\n";
  CHECK(PromtoolCheck(newline).exit_code != 0);
  PrometheusText w;
  w.Family("a_total", MetricType::kCounter, "h");
  w.Sample({{"root", "/x\"y"}}, int64_t{1});
  w.Sample({{"root", "/x\ny\\"}}, int64_t{2});
  auto checked = PromtoolCheck(w.text());
  INFO(w.text() << checked.out << checked.err);
  CHECK(checked.exit_code == 0);
}
