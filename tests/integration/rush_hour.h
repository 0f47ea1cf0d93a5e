#pragma once
// A rush hour of HTTP clients against a Cluster, and the checks that nothing was lost or doubled:
// shared by the crash tests (durability_test.cpp) and the failover tests (failover_test.cpp).

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "cluster.h"

namespace grid::test {

// Requesters that charge one key after another, each until a definite answer: what a client
// following the HTTP API does (docs/http-api.md, "Retrying"). A client that knows several edges
// asks the next one after a 503, a 504 or a refused connection, always with the same key.
class Requesters {
public:
  using Clock = std::chrono::steady_clock;
  struct Options {
    std::vector<int> edge_ports;
    int workers = 1;
    int per_worker = 1;
    std::string key_prefix = "key";
    double power_kw = 3;
  };
  // Each worker charges up to `per_worker` keys, one after another, until stopped. Worker w
  // starts on edge w modulo the number of edges.
  explicit Requesters(Options options);
  ~Requesters() { stop(); }
  // Lets every worker finish the key it is on, then returns how many keys were asked.
  int stop();
  // Keys with a definite answer: charging, or an error that asking again cannot change.
  int settled() const { return settled_; }
  // Every charging answer each key got, in order; and the substation of each session.
  std::map<std::string, std::vector<std::string>> answers() const;
  std::map<std::string, std::string> where() const;
  std::vector<std::string> unsettled() const;
  // When each "not now" (503, 504, no connection) came, and what it was (0: no connection).
  std::vector<std::pair<Clock::time_point, int>> not_now() const;

  // Charges `key` until a definite answer, asking `edge_ports[first_edge]` first.
  void charge(const std::string& key, int vehicle, std::size_t first_edge);

private:
  Options options_;
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<std::string>> answers_;
  std::map<std::string, std::string> where_;  // session -> substation
  std::vector<std::string> unsettled_;
  std::vector<std::pair<Clock::time_point, int>> not_now_;
  std::atomic<int> settled_{0};
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

// Scrapes every substation until stopped: did any ever show more load than its capacity?
class LimitWatcher {
public:
  explicit LimitWatcher(Cluster& cluster);
  ~LimitWatcher() { stop(); }
  // True when no scrape ever showed a substation above its capacity.
  bool stop();

private:
  std::atomic<bool> stop_{false};
  std::atomic<bool> overloaded_{false};
  std::thread thread_;
};

// The edge answers /healthz with exactly `count` live substations.
bool all_live(int edge, int count);
// A session's state through the edge; 503 and 504 (a balancer or substation coming back) are
// asked again, as a client would.
std::optional<nlohmann::json> session(int edge, const std::string& id);
// The sessions the substations hold, by their own gauges.
double held_sessions(Cluster& cluster);
// Every key settled, each on one session that no other key shares, and the substations hold
// exactly those sessions, each still running.
void check_exactly_once(Cluster& cluster, const Requesters& requesters, int keys);

}  // namespace grid::test
