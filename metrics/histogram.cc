#include "metrics/histogram.h"

#include <algorithm>
#include <cmath>

namespace recsync {

Histogram::Histogram(std::vector<double> upper_bounds) {
  for (double b : upper_bounds) {
    if (std::isfinite(b) && (bounds_.empty() || b > bounds_.back())) bounds_.push_back(b);
  }
  counts_.assign(bounds_.size() + 1, 0);
}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  // The first bound >= value: Prometheus buckets are "less than or equal".
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  ++counts_[static_cast<size_t>(it - bounds_.begin())];
  ++count_;
  sum_ += value;
}

}  // namespace recsync
