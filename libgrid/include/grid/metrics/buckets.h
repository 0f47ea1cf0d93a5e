#pragma once
// Histogram bucket bounds, computed from a start and a step rather than typed out: prometheus-cpp
// takes the bounds as a plain list and has no helpers to build one.
// Thread-safety: pure functions.

#include <prometheus/histogram.h>

namespace grid::metrics {

using Buckets = prometheus::Histogram::BucketBoundaries;

// Throw std::invalid_argument when the bounds could not make a valid histogram: registering one
// would fail anyway, better to say so where the numbers are chosen.
// start, start*factor, ..., count bounds; needs start > 0, factor > 1, count >= 1.
Buckets exponential_buckets(double start, double factor, int count);
// start, start+width, ..., count bounds; needs a finite start, width > 0, count >= 1.
Buckets linear_buckets(double start, double width, int count);

}  // namespace grid::metrics
