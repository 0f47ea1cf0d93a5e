#include "grid/metrics/buckets.h"

#include <cmath>
#include <stdexcept>

namespace grid::metrics {

Buckets exponential_buckets(double start, double factor, int count) {
  if (!(start > 0.0) || !(factor > 1.0) || count < 1) {
    throw std::invalid_argument("exponential_buckets needs start > 0, factor > 1 and count >= 1");
  }
  Buckets bounds;
  bounds.reserve(static_cast<std::size_t>(count));
  double bound = start;
  for (int i = 0; i < count; ++i) {
    bounds.push_back(bound);
    bound *= factor;
  }
  return bounds;
}

Buckets linear_buckets(double start, double width, int count) {
  if (!std::isfinite(start) || !(width > 0.0) || count < 1) {
    throw std::invalid_argument("linear_buckets needs a finite start, width > 0 and count >= 1");
  }
  Buckets bounds;
  bounds.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    // Multiply rather than accumulate, so rounding errors do not pile up over many buckets.
    bounds.push_back(start + width * i);
  }
  return bounds;
}

}  // namespace grid::metrics
