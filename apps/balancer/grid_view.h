#pragma once
// The balancer's view of the grid, with one owner and one entry point per event: heartbeats,
// job answers, dispatch outcomes, reservations and the passing of time all come in here, and
// every per-substation gauge is set from here. It owns the load table (what each substation
// reported, who is live), the outlier detector (who is ejected for failing its jobs) and the
// rules around them (how many substations the table may hold, what two processes with one id
// mean). Policies read the table; nobody else writes it.
// Time comes in as a parameter. Thread-safety: none; the balancer thread owns it.

#include <optional>
#include <string>
#include <string_view>

#include "balancer_metrics.h"
#include "feeder_controller.h"
#include "grid/balancing/load_table.h"
#include "grid/balancing/outlier_detector.h"
#include "grid/proto/messages.h"
#include "grid/util/logging.h"

namespace grid::balancer {

class AdmissionSync;

struct GridSettings {
  Duration heartbeat_interval = std::chrono::milliseconds(250);
  int liveness = 3;
  std::size_t max_substations = 10'000;  // a flood of invented ids must not grow the table forever
  balancing::EjectionSettings ejection{};
};

// What became of one job sent to a substation.
enum class DispatchOutcome { accepted, rejected, timeout, unroutable };

class GridView {
public:
  GridView(GridSettings settings, BalancerMetrics& metrics);

  const balancing::LoadTable& table() const { return table_; }

  // Returns the reason a heartbeat was not applied (the caller counts and drops it), else nothing.
  std::optional<std::string_view> on_heartbeat(const proto::Heartbeat& heartbeat, TimePoint now);
  // A job's answer carries the substation's load right after it decided; any answer proves life.
  // session_max_kw: the job's power when this accepts a job still waited for (the table then
  // counts the session's minimum and maximum until the next heartbeat), else 0.
  void on_job_result(const std::string& substation, const proto::JobResult& result, double session_max_kw,
                     TimePoint now);
  // Counts the outcome and feeds the outlier detector.
  void on_dispatch(const std::string& substation, DispatchOutcome outcome, TimePoint now);

  void reserve(const std::string& substation, const balancing::Reservation& reservation);
  void release(const std::string& substation, const balancing::Reservation& reservation);

  // Feeder control: from now on, heartbeats feed `feeders`, and each substation's routing limit is
  // capped at its feeder grant (0 while its heartbeat names another feeder than the topology).
  void attach_feeders(FeederController& feeders) { feeders_ = &feeders; }
  // From now on, a substation that joins, restarts or comes back has its admissions read.
  void attach_admission_sync(AdmissionSync& sync) { sync_ = &sync; }
  // Re-divides the feeder budgets when a heartbeat changed something since, or the lease is due.
  void control_feeders(TimePoint now);
  proto::FeederLimitAck on_feeder_limit(const proto::FeederLimit& limit, TimePoint now);

  // Declares dead the substations past their deadline and puts back those whose ejection is over;
  // renews the feeder grants when due.
  void on_timers(TimePoint now);
  std::optional<TimePoint> next_deadline() const;

private:
  void publish(const std::string& substation);

  GridSettings settings_;
  BalancerMetrics& metrics_;
  balancing::LoadTable table_;
  balancing::OutlierDetector outliers_;
  LogRateLimit conflict_log_{1, std::chrono::seconds(1)};
  FeederController* feeders_ = nullptr;
  AdmissionSync* sync_ = nullptr;
  bool feeders_dirty_ = false;
};

}  // namespace grid::balancer
