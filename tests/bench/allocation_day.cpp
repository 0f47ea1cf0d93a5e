// A synthetic workplace day on one constrained substation, once per allocation policy, through the
// substation's real books (Station) on a fake clock: how much of the energy the cars asked for
// they got before they left, and how many left (nearly) full. The numbers behind the default
// allocation policy (docs/performance.md); the live, multi-process version is issue 13's trace
// replay. Seeded, so runs compare.
//
//   grid_allocation_day [--cars N] [--limit-share F] [--seed S] [--days D]
#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "grid/allocation/policy_registry.h"
#include "station.h"

namespace {

using namespace grid;

struct Car {
  double arrival_s;
  double stay_s;
  double energy_kwh;
  double max_kw;
};

// Arrivals peak around 8:30 (sd 1 h), stays of 2-10 h, 5-40 kWh, 6.6 or 11 kW cars.
std::vector<Car> workplace_day(int cars, std::mt19937_64& random) {
  std::normal_distribution<double> arrival(8.5 * 3600, 3600);
  std::uniform_real_distribution<double> stay(2 * 3600, 10 * 3600);
  std::uniform_real_distribution<double> energy(5, 40);
  std::vector<Car> day;
  for (int i = 0; i < cars; ++i) {
    day.push_back({std::clamp(arrival(random), 5.0 * 3600, 14.0 * 3600), stay(random), energy(random),
                   random() % 2 ? 11.0 : 6.6});
  }
  std::sort(day.begin(), day.end(), [](const Car& a, const Car& b) { return a.arrival_s < b.arrival_s; });
  return day;
}

struct Result {
  double requested = 0, delivered = 0;
  int admitted = 0, refused = 0, full = 0;
  std::uint64_t switches = 0;
};

Result replay(const std::vector<Car>& day, double limit_kw, const std::string& policy_name) {
  const auto policy = allocation::make_policy(policy_name);
  FakeClock clock;
  const TimePoint start = clock.now();
  substation::Station station({.id = "site", .capacity_kw = limit_kw, .time_scale = 1.0, .boot = 1}, *policy);
  Result result;
  substation::Progress progress;
  const auto account = [&] {
    for (const auto& ended : progress.ended) {
      result.delivered += ended.session.delivered_kwh;
      if (ended.session.delivered_kwh >= 0.99 * ended.session.energy_kwh) ++result.full;
    }
    result.switches += progress.switches;
    progress = {};
  };
  // Advances to `until` with a control tick every minute and every event in between.
  const auto run_until = [&](TimePoint until) {
    while (clock.now() < until) {
      TimePoint next = std::min(until, clock.now() + std::chrono::seconds(60));
      if (const auto event = station.next_event(clock.now())) next = std::min(next, *event);
      clock.advance(std::max<Duration>(next - clock.now(), std::chrono::milliseconds(1)));
      station.advance(clock.now(), progress);
      account();
    }
  };
  int n = 0;
  for (const auto& car : day) {
    run_until(start + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(car.arrival_s)));
    proto::ChargeJob job;
    job.job_id = 1;
    job.request_id = "car-" + std::to_string(n++);
    job.vehicle_id = job.request_id;
    job.power_kw = car.max_kw;
    job.energy_kwh = car.energy_kwh;
    job.departs_in_s = car.stay_s;
    const auto admission = station.admit(job, clock.now(), progress);
    account();
    if (admission.accepted) {
      ++result.admitted;
      result.requested += car.energy_kwh;
    } else {
      ++result.refused;
    }
  }
  run_until(start + std::chrono::hours(26));
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  int cars = 60;
  double limit_share = 0.15;  // the limit as a share of the cars' summed maximum power
  std::uint64_t seed = 2026;
  int days = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--cars") cars = std::stoi(argv[i + 1]);
    else if (flag == "--limit-share") limit_share = std::stod(argv[i + 1]);
    else if (flag == "--seed") seed = std::stoull(argv[i + 1]);
    else if (flag == "--days") days = std::stoi(argv[i + 1]);
    else { std::fprintf(stderr, "unknown flag %s\n", argv[i]); return 2; }
  }
  std::printf("%d workplace days of %d cars, limit %.0f%% of the cars' summed maximum power\n", days, cars,
              limit_share * 100);
  std::printf("%-12s %10s %10s %10s %12s\n", "policy", "admitted", "energy %", "full %", "switches/car");
  for (const auto& name : allocation::policy_names()) {
    std::mt19937_64 random(seed);
    Result total;
    for (int d = 0; d < days; ++d) {
      const auto day = workplace_day(cars, random);
      double summed_max = 0;
      for (const auto& car : day) summed_max += car.max_kw;
      const auto result = replay(day, summed_max * limit_share, name);
      total.requested += result.requested;
      total.delivered += result.delivered;
      total.admitted += result.admitted;
      total.refused += result.refused;
      total.full += result.full;
      total.switches += result.switches;
    }
    std::printf("%-12s %10d %9.1f%% %9.1f%% %12.2f\n", name.c_str(), total.admitted,
                100 * total.delivered / total.requested, 100.0 * total.full / total.admitted,
                static_cast<double>(total.switches) / total.admitted);
  }
  return 0;
}
