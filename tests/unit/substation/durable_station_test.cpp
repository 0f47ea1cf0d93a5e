// The write-before-answer rule: a child process admits cars on a state file and dies at every step
// a commit makes (before it, after it but before the answer); the file must then hold every
// admission the child answered, none twice, and energy never counted twice. And a restart in one
// process: the same allocations, departed cars ended as departed, the feeder in its fallback.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "state_fixture.h"
#include "station_fixture.h"

using namespace grid;
using namespace std::chrono_literals;
using grid::substation::Progress;
using grid::test::DurableFixture;
using grid::test::job;
using grid::test::TempDirectory;

namespace {

constexpr int admissions = 12;
constexpr auto step_time = 100ms;
const substation::StationSettings crash_settings{.capacity_kw = 1000, .time_scale = 3600};  // a grid hour per second

// Admits r0..r11 one per 100 ms (retrying some), checkpointing every other one, and calls `answer`
// with each answer as it would be sent. `die_at`: the commit step (before or after) to _exit at.
// Returns how many steps there were.
int admit_cars(const std::string& path, int die_at, const std::function<void(const std::string&)>& answer) {
  int steps = 0;
  const auto step = [&steps, die_at] {
    if (++steps == die_at) _exit(3);
  };
  FakeClock clock;
  DurableFixture f(path, crash_settings, grid::test::test_wall_offset, step, step);
  Progress restored;
  f.station.restore(clock.now(), restored);
  for (int i = 0; i < admissions; ++i) {
    clock.advance(step_time);
    Progress progress;
    const std::string request = "r" + std::to_string(i);
    const auto admission = f.station.admit(job(request, 11, 50), clock.now(), progress);
    answer(request + " " + admission.session_id);
    if (i % 3 == 2) {  // a retry of the one before
      const std::string before = "r" + std::to_string(i - 1);
      answer(before + " " + f.station.admit(job(before, 11, 50), clock.now(), progress).session_id);
    }
    if (i % 2 == 1) f.station.advance(clock.now(), progress, true);
  }
  return steps;
}

}  // namespace

TEST_CASE("a substation killed at any commit step keeps every admission it answered, once, with its energy counted once") {
  TempDirectory dir;
  const int total = admit_cars(dir / "count.db", INT_MAX, [](const std::string&) {});
  REQUIRE(total > 2 * admissions);
  for (int die_at = 1; die_at <= total + 1; ++die_at) {
    CAPTURE(die_at);
    const std::string path = dir / ("crash-" + std::to_string(die_at) + ".db");
    int answers[2];
    REQUIRE(::pipe(answers) == 0);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      ::close(answers[0]);
      admit_cars(path, die_at, [fd = answers[1]](const std::string& line) {
        const std::string text = line + "\n";
        if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) _exit(4);
      });
      _exit(0);
    }
    ::close(answers[1]);
    std::string received;
    char buffer[512];
    for (ssize_t got; (got = ::read(answers[0], buffer, sizeof buffer)) > 0;) received.append(buffer, static_cast<std::size_t>(got));
    ::close(answers[0]);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == (die_at <= total ? 3 : 0));

    std::map<std::string, std::string> answered;  // request -> session, as the child answered
    std::istringstream lines(received);
    for (std::string request, session; lines >> request >> session;) {
      const auto [known, fresh] = answered.emplace(request, session);
      CHECK_MESSAGE(known->second == session, "a retry was answered with another session");
    }

    // The restart: the lock is free again (the child died holding it), and every answer is there.
    FakeClock clock;
    clock.advance(step_time * (admissions + 1));
    DurableFixture f(path, crash_settings);
    Progress progress;
    f.station.restore(clock.now(), progress);
    const auto state = f.station.station().snapshot();
    std::set<std::string> sessions, requests;
    std::uint64_t last_arrival = 0;
    for (const auto& s : state.sessions) {
      CHECK(sessions.insert(s.session_id).second);
      CHECK(requests.insert(s.request_id).second);
      last_arrival = std::max(last_arrival, s.arrival);
      // At most 11 kW since its admission (request rN was admitted at (N+1) steps): never twice.
      const int n = std::stoi(s.request_id.substr(1));
      const double hours_since = std::chrono::duration<double>(step_time * (admissions - n)).count();
      CHECK(s.delivered_kwh <= 11 * hours_since + 1e-6);
      CHECK(s.delivered_kwh >= 0);
    }
    CHECK(state.next_session > last_arrival);
    for (const auto& [request, session] : answered) {
      CAPTURE(request);
      REQUIRE(f.station.station().admitted(request) != nullptr);
      CHECK(*f.station.station().admitted(request) == session);
      CHECK(f.station.station().session(session) != nullptr);
      Progress retry;
      const auto again = f.station.admit(job(request, 11, 50), clock.now(), retry);
      CHECK(again.repeated);
      CHECK(again.session_id == session);
    }
    // Nothing beyond what the child admitted, answered or not: at most one more.
    CHECK(state.sessions.size() <= answered.size() + 1);
  }
}

TEST_CASE("a restarted substation has the same allocations, its departed cars ended as departed with what they got") {
  TempDirectory dir;
  const std::string path = dir / "north.db";
  const substation::StationSettings settings{.capacity_kw = 100, .time_scale = 3600};
  // The reference never stops; the durable one is restarted in a new "process" 30 minutes later.
  grid::test::StationFixture reference(DurableFixture::named(settings));
  FakeClock clock;  // the first process's steady clock (the reference's starts at the same time)
  std::string soon;
  {
    DurableFixture first(path, settings);
    Progress progress;
    first.station.restore(clock.now(), progress);
    auto leaving = job("leaving", 11, 60);
    leaving.departs_in_s = 600;  // 10 grid minutes: gone while the node is down
    for (const auto& j : {job("a", 11, 60), job("b", 7, 60), leaving}) {
      const auto admission = first.station.admit(j, clock.now(), progress);
      REQUIRE(admission.accepted);
      REQUIRE(reference.admit(j).accepted);
      if (j.request_id == "leaving") soon = admission.session_id;
    }
    first.station.set_limit(80, 0, clock.now(), progress);
    reference.station.set_limit(80, 0, reference.clock.now(), reference.progress);
    clock.advance(100ms);
    reference.advance(100ms);
    first.station.advance(clock.now(), progress, true);
  }  // the process dies
  // A new process: its steady clock started elsewhere, 0.5 real s (30 grid minutes) after the crash.
  FakeClock restarted(TimePoint{} + 7h);
  const Duration down = 500ms;
  const Duration offset = grid::test::test_wall_offset + (clock.now() + down - restarted.now());
  reference.advance(down);
  DurableFixture second(path, settings, offset);
  Progress progress;
  const auto restored = second.station.restore(restarted.now(), progress);
  CHECK(restored.sessions == 2);
  CHECK(restored.ended_while_down == 1);
  CHECK(restored.limit.limit_w == 80'000);
  REQUIRE(progress.ended.size() == 1);
  CHECK(progress.ended[0].status == proto::SessionStatus::departed);
  const auto gone = second.station.query(soon, false, restarted.now(), progress);
  REQUIRE(gone.has_value());
  CHECK(gone->status == proto::SessionStatus::departed);
  // Ten grid minutes at 11 kW, not the 36 the node was down and ran.
  CHECK(gone->delivered_kwh == doctest::Approx(11.0 * 600 / 3600).epsilon(0.01));
  // The file keeps milliseconds: at 3600x a millisecond is 3.6 grid seconds, 0.011 kWh at 11 kW,
  // and the departure read back is never later than it was, so never more energy.
  const double reference_kwh = reference.state("leaving").delivered_kwh;
  CHECK(gone->delivered_kwh <= reference_kwh + 1e-9);
  CHECK(gone->delivered_kwh >= reference_kwh - 0.011);
  for (const char* request : {"a", "b"}) {
    CAPTURE(request);
    const auto want = reference.state(request);
    const auto session = second.station.station().admitted(request);
    REQUIRE(session != nullptr);
    const auto got = second.station.query(*session, false, restarted.now(), progress);
    REQUIRE(got.has_value());
    CHECK(got->power_kw == want.power_kw);
    CHECK(got->delivered_kwh == doctest::Approx(want.delivered_kwh).epsilon(1e-6));
  }
  CHECK(second.station.station().totals(restarted.now()).allocated_w == reference.totals().allocated_w);
  // Session ids never repeat: the next one follows the last one handed out before the crash.
  const auto next = second.station.admit(job("d", 11, 10), restarted.now(), progress);
  REQUIRE(next.accepted);
  CHECK(next.session_id.substr(next.session_id.rfind('-')) == "-4");
}

TEST_CASE("a restarted substation that was fed by a grant starts in its feeder fallback, not at its capacity") {
  TempDirectory dir;
  const std::string path = dir / "north.db";
  const substation::StationSettings settings{.capacity_kw = 100};
  FakeClock clock;
  {
    DurableFixture first(path, settings);
    Progress progress;
    first.station.restore(clock.now(), progress);
    proto::FeederGrant grant{};
    grant.substation_id = "north";
    grant.feeder_id = "f1";
    grant.granted_kw = 40;
    grant.fallback_kw = 10;
    grant.lease_s = 60;
    grant.seq = 1;
    first.station.grant(grant, clock.now(), progress);
    REQUIRE(first.station.station().feeder().limit_w() == 40'000);
    REQUIRE(first.station.admit(job("a", 11), clock.now(), progress).accepted);
  }
  DurableFixture second(path, settings);
  Progress progress;
  second.station.restore(clock.now(), progress);
  const auto& feeder = second.station.station().feeder();
  CHECK(feeder.in_fallback());
  CHECK(feeder.limit_w() == 10'000);
  CHECK(feeder.grant_seq() == 0);
  CHECK(second.station.station().totals(clock.now()).allocated_w <= 10'000);
}

TEST_CASE("without a store a durable station is the station alone, in memory") {
  auto policy = allocation::make_policy("equal-share");
  substation::DurableStation station(DurableFixture::named({.capacity_kw = 30}), *policy);
  FakeClock clock;
  Progress progress;
  CHECK_FALSE(station.durable());
  CHECK(station.restore(clock.now(), progress).sessions == 0);
  CHECK(station.admit(job("a", 11), clock.now(), progress).accepted);
  station.advance(clock.now(), progress, true);
  CHECK(station.station().active_sessions() == 1);
}

TEST_CASE("a stop, a cancel and an operator limit are kept: after a restart the stop answers stopped, the cancelled request is decided afresh, the limit still expires on time") {
  TempDirectory dir;
  const std::string path = dir / "north.db";
  const substation::StationSettings settings{.capacity_kw = 50};
  FakeClock clock;
  std::string stopped, cancelled;
  {
    DurableFixture first(path, settings);
    Progress progress;
    first.station.restore(clock.now(), progress);
    stopped = first.station.admit(job("a", 11), clock.now(), progress).session_id;
    cancelled = first.station.admit(job("b", 11), clock.now(), progress).session_id;
    REQUIRE(first.station.admit(job("c", 11), clock.now(), progress).accepted);
    REQUIRE(first.station.query(stopped, true, clock.now(), progress)->status == proto::SessionStatus::stopped);
    REQUIRE(first.station.cancel("b", cancelled, clock.now(), progress).has_value());
    first.station.set_limit(20, 3600, clock.now(), progress);  // an hour of grid time (time scale 1)
  }
  clock.advance(10min);
  DurableFixture second(path, settings);
  Progress progress;
  const auto restored = second.station.restore(clock.now(), progress);
  CHECK(restored.sessions == 1);
  CHECK(restored.limit.limit_w == 20'000);
  CHECK(second.station.station().limit_kw() == 20);
  const auto expires = second.station.station().limit_expires_in_s(clock.now());
  REQUIRE(expires.has_value());
  CHECK(*expires == doctest::Approx(3000).epsilon(0.001));
  const auto state = second.station.query(stopped, false, clock.now(), progress);
  REQUIRE(state.has_value());
  CHECK(state->status == proto::SessionStatus::stopped);
  CHECK_FALSE(second.station.query(cancelled, false, clock.now(), progress).has_value());
  const auto again = second.station.admit(job("b", 11), clock.now(), progress);
  CHECK(again.accepted);
  CHECK_FALSE(again.repeated);
  CHECK(again.session_id != cancelled);
  clock.advance(51min);
  second.station.advance(clock.now(), progress, true);
  CHECK(second.station.station().limit_kw() == 50);
}
