#include "metrics/prometheus_text.h"

#include <charconv>
#include <cmath>

namespace recsync {
namespace {

std::string_view TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "untyped";
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (char c : help) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  // Shortest text that reads back to the same double ("0.1", not
  // "0.10000000000000001").
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  if (ec != std::errc()) return "NaN";  // cannot happen with 64 bytes
  return std::string(buf, end);
}

void PrometheusText::Family(std::string_view name, MetricType type, std::string_view help) {
  family_ = name;
  out_ += "# HELP ";
  out_ += name;
  out_ += ' ';
  out_ += EscapeHelp(help);
  out_ += "\n# TYPE ";
  out_ += name;
  out_ += ' ';
  out_ += TypeName(type);
  out_ += '\n';
}

void PrometheusText::Line(std::string_view suffix, const MetricLabels& labels,
                          std::string_view le, std::string_view value) {
  out_ += family_;
  out_ += suffix;
  if (!labels.empty() || !le.empty()) {
    out_ += '{';
    bool first = true;
    for (const auto& [name, v] : labels) {
      if (!first) out_ += ',';
      first = false;
      out_ += name;
      out_ += "=\"";
      out_ += EscapeLabelValue(v);
      out_ += '"';
    }
    if (!le.empty()) {
      if (!first) out_ += ',';
      out_ += "le=\"";
      out_ += le;
      out_ += '"';
    }
    out_ += '}';
  }
  out_ += ' ';
  out_ += value;
  out_ += '\n';
}

void PrometheusText::Sample(const MetricLabels& labels, double value) {
  Line("", labels, "", FormatMetricValue(value));
}

void PrometheusText::Sample(const MetricLabels& labels, int64_t value) {
  Line("", labels, "", std::to_string(value));
}

void PrometheusText::Observations(const MetricLabels& labels, const Histogram& histogram) {
  uint64_t cumulative = 0;
  const auto& counts = histogram.counts();
  for (size_t i = 0; i < histogram.bounds().size(); ++i) {
    cumulative += counts[i];
    Line("_bucket", labels, FormatMetricValue(histogram.bounds()[i]), std::to_string(cumulative));
  }
  Line("_bucket", labels, "+Inf", std::to_string(histogram.count()));
  Line("_sum", labels, "", FormatMetricValue(histogram.sum()));
  Line("_count", labels, "", std::to_string(histogram.count()));
}

}  // namespace recsync
