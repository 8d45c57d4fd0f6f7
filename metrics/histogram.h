// Histogram: a count of observations in fixed buckets, with their sum, as
// Prometheus histograms are exposed (metrics/prometheus_text.h writes one).
//
// Contract
// - The bucket bounds are fixed at construction: finite, strictly
//   increasing upper bounds (an observation v falls in the first bucket
//   whose bound is >= v); observations above the last bound are counted in
//   the implicit +Inf bucket. Bounds that are not finite or not increasing
//   are dropped, so a histogram is always well formed.
// - Observe() ignores NaN (it has no bucket and would poison the sum).
// - counts() are per bucket (not cumulative), one more than bounds(): the
//   last is the +Inf bucket. count() is their total.
//
// Thread rules: a plain value; the owner serialises access.
#pragma once

#include <cstdint>
#include <vector>

namespace recsync {

class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);

  void Observe(double value);

  const std::vector<double>& bounds() const { return bounds_; }
  const std::vector<uint64_t>& counts() const { return counts_; }
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // bounds_.size() + 1: the last is +Inf
  uint64_t count_ = 0;
  double sum_ = 0;
};

}  // namespace recsync
