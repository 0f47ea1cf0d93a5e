#pragma once
// What one node shows on GET /metrics: the prometheus-cpp Registry its parts register their
// families in, plus collectables that compute their values at scrape time (the process_*
// metrics). prometheus-cpp's Exposer does the same for the civetweb server it brings; our nodes
// answer from their own Beast server (the edge on its API port), so this is the part of it we
// need, with the text produced by prometheus::TextSerializer.
// Thread-safety: every member is safe from any thread; registry() hands out the Registry, which
// is thread-safe itself. Series references a family returns stay valid for the Exposition's life.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

namespace grid::metrics {

// The Content-Type of a /metrics answer: text format 0.0.4, what TextSerializer writes.
inline constexpr std::string_view text_content_type = "text/plain; version=0.0.4; charset=utf-8";

class Exposition {
public:
  Exposition() = default;
  Exposition(const Exposition&) = delete;
  Exposition& operator=(const Exposition&) = delete;

  // Where the node registers its families (prometheus::BuildCounter().Name(...).Register(...)).
  prometheus::Registry& registry() noexcept { return registry_; }

  // Collected with the registry at every scrape; its names must differ from the registry's.
  void add(std::shared_ptr<const prometheus::Collectable> collectable);

  // Every family with a series, ordered by name, and each family's series ordered by labels:
  // prometheus-cpp keeps series in a hash map, and two scrapes of the same state should read the
  // same (for people diffing them and for tests comparing text).
  std::vector<prometheus::MetricFamily> collect() const;

  // collect() in the text format, by prometheus::TextSerializer, independent of the global
  // locale; help texts are escaped here (backslash, newline), which that serializer does not do.
  std::string text() const;

private:
  prometheus::Registry registry_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<const prometheus::Collectable>> collectables_;
};

}  // namespace grid::metrics
