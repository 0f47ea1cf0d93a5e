#include "admission_sync.h"

#include <limits>

#include <spdlog/spdlog.h>

namespace grid::balancer {

AdmissionSync::AdmissionSync(QueryOutbox& outbox, BalancerMetrics& metrics, SyncSettings settings, const Clock& clock,
                             Random& random)
    : outbox_(outbox),
      metrics_(metrics),
      settings_(settings),
      clock_(clock),
      // Tokens differ across balancer boots, so a page meant for a previous boot never matches.
      next_token_(random.below(std::numeric_limits<std::uint64_t>::max())) {}

void AdmissionSync::on_connected(const std::string& substation) {
  reread_.erase(substation);
  Reading& reading = readings_[substation];
  reading = Reading{.token = ++next_token_, .started = clock_.now()};
  ask(substation, reading);
}

bool AdmissionSync::on_page(const std::string& substation, const proto::AdmissionIndex& page) {
  const auto found = readings_.find(substation);
  if (found == readings_.end()) return false;
  Reading& reading = found->second;
  if (page.token != reading.token || page.page != reading.page) return false;
  if (page.pages == 0) {
    // The substation no longer holds our snapshot (it restarted, or other readers pushed it out).
    reading = Reading{.token = ++next_token_, .started = reading.started};
    ask(substation, reading);
    return true;
  }
  reading.entries += page.request_ids.size();
  if (page.page + 1 < page.pages) {
    ++reading.page;
    reading.asked = 0;
    ask(substation, reading);
    return true;
  }
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - reading.started);
  spdlog::info("read the admissions of '{}': {} requests in {} pages, {} ms", substation, reading.entries, page.pages,
               took.count());
  metrics_.index_read("complete");
  readings_.erase(found);
  return true;
}

void AdmissionSync::on_timers() {
  const TimePoint now = clock_.now();
  for (auto it = readings_.begin(); it != readings_.end();) {
    Reading& reading = it->second;
    if (now < reading.deadline) {
      ++it;
    } else if (reading.asked < settings_.attempts) {
      ask(it->first, reading);
      ++it;
    } else {
      spdlog::warn("gave up reading the admissions of '{}' after {} unanswered asks for page {}: a retry of a request "
                   "it holds may be placed elsewhere until it reconnects",
                   it->first, reading.asked, reading.page);
      metrics_.index_read("abandoned");
      it = readings_.erase(it);
    }
  }
}

std::optional<TimePoint> AdmissionSync::next_deadline() const {
  std::optional<TimePoint> next;
  for (const auto& [substation, reading] : readings_) {
    if (!next || reading.deadline < *next) next = reading.deadline;
  }
  return next;
}

void AdmissionSync::ask(const std::string& substation, Reading& reading) {
  ++reading.asked;
  reading.deadline = clock_.now() + settings_.page_timeout;
  // An unreachable substation is asked again at the deadline, like an unanswered one.
  outbox_.to_substation(substation, proto::IndexQuery{reading.token, reading.page});
}

}  // namespace grid::balancer
