#include "rush_hour.h"

#include <doctest/doctest.h>

#include <set>

#include "support/http_get.h"
#include "support/wait.h"

namespace grid::test {

using namespace std::chrono_literals;

Requesters::Requesters(Options options) : options_(std::move(options)) {
  for (int w = 0; w < options_.workers; ++w) {
    threads_.emplace_back([this, w] {
      for (int i = 0; i < options_.per_worker && !stop_; ++i) {
        charge(options_.key_prefix + "-" + std::to_string(w) + "-" + std::to_string(i), w * 10'000 + i,
               static_cast<std::size_t>(w));
      }
    });
  }
}

int Requesters::stop() {
  stop_ = true;
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  return settled_;
}

std::map<std::string, std::vector<std::string>> Requesters::answers() const {
  std::lock_guard lock(mutex_);
  return answers_;
}

std::map<std::string, std::string> Requesters::where() const {
  std::lock_guard lock(mutex_);
  return where_;
}

std::vector<std::string> Requesters::unsettled() const {
  std::lock_guard lock(mutex_);
  return unsettled_;
}

std::vector<std::pair<Requesters::Clock::time_point, int>> Requesters::not_now() const {
  std::lock_guard lock(mutex_);
  return not_now_;
}

void Requesters::charge(const std::string& key, int vehicle, std::size_t first_edge) {
  const std::string body = R"({"vehicle_id": "EV-)" + std::to_string(vehicle) + R"(", "power_kw": )" +
                           std::to_string(options_.power_kw) + R"(, "min_power_kw": 0.1, "energy_kwh": 200})";
  const auto deadline = Clock::now() + 60s;
  for (std::size_t attempt = 0; Clock::now() < deadline; ++attempt) {
    const int edge = options_.edge_ports[(first_edge + attempt) % options_.edge_ports.size()];
    const auto reply = http_call(edge, {.method = "POST", .target = "/charge", .body = body,
                                        .content_type = "application/json",
                                        .headers = {{"Idempotency-Key", key}}, .timeout_ms = 5000});
    if (reply && reply->status == 200) {
      const auto json = nlohmann::json::parse(reply->body);
      std::lock_guard lock(mutex_);
      answers_[key].push_back(json.at("session_id").get<std::string>());
      where_[json.at("session_id").get<std::string>()] = json.at("substation").get<std::string>();
      ++settled_;
      return;
    }
    if (reply && reply->status != 503 && reply->status != 504) {
      std::lock_guard lock(mutex_);
      unsettled_.push_back(key + ": " + std::to_string(reply->status) + " " + reply->body);
      ++settled_;
      return;
    }
    {
      std::lock_guard lock(mutex_);
      not_now_.emplace_back(Clock::now(), reply ? reply->status : 0);
    }
    // 503 and 504 (and a refused connection) are "not now": ask again, same key.
    std::this_thread::sleep_for(20ms);
  }
  std::lock_guard lock(mutex_);
  unsettled_.push_back(key);
}

LimitWatcher::LimitWatcher(Cluster& cluster)
    : thread_([this, &cluster] {
        while (!stop_) {
          if (!cluster.none_overloaded()) overloaded_ = true;
          std::this_thread::sleep_for(20ms);
        }
      }) {}

bool LimitWatcher::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  return !overloaded_;
}

bool all_live(int edge, int count) {
  const auto health = http_get(edge, "/healthz");
  return health && health->status == 200 &&
         health->body.find("\"live_substations\":" + std::to_string(count)) != std::string::npos;
}

std::optional<nlohmann::json> session(int edge, const std::string& id) {
  std::optional<HttpReply> reply;
  wait_until([&] {
    reply = http_get(edge, "/sessions/" + id);
    return reply && reply->status != 503 && reply->status != 504;
  }, 10s, 20ms);
  if (!reply || reply->status != 200) {
    MESSAGE("GET /sessions/" << id << ": " << (reply ? std::to_string(reply->status) + " " + reply->body : "no answer"));
    return std::nullopt;
  }
  return nlohmann::json::parse(reply->body);
}

double held_sessions(Cluster& cluster) {
  double total = 0;
  for (auto& s : cluster.substations()) {
    const auto metrics = http_get(s.metrics_port, "/metrics");
    REQUIRE(metrics);
    total += sample(metrics->body, "substation_current_load{substation=\"" + s.id + "\"}").value_or(-1e9);
  }
  return total;
}

void check_exactly_once(Cluster& cluster, const Requesters& requesters, int keys) {
  INFO(cluster.logs());
  for (const auto& failure : requesters.unsettled()) FAIL_CHECK(failure);
  std::set<std::string> sessions;
  for (const auto& [key, answers] : requesters.answers()) {
    CAPTURE(key);
    for (const auto& answer : answers) CHECK(answer == answers.front());
    CHECK(sessions.insert(answers.front()).second);
  }
  CHECK(sessions.size() == static_cast<std::size_t>(keys));
  // The gauges follow every event: wait for them to settle after the last admission.
  CHECK(wait_until([&] { return held_sessions(cluster) == static_cast<double>(keys); }, 5s));
  CAPTURE(held_sessions(cluster));
  for (const auto& id : sessions) {
    const auto state = session(cluster.edge_port(), id);
    CAPTURE(id);
    REQUIRE(state);
    const std::string status = state->at("status");
    CHECK((status == "charging" || status == "paused"));
  }
}

}  // namespace grid::test
