#pragma once
// The whole grid in one process over inproc://: a balancer and substations, each node on its own
// thread with its own sockets, exactly as in separate processes. Stops and joins on destruction.

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "balancer_node.h"
#include "substation_node.h"

namespace grid::test {

class InprocGrid {
public:
  explicit InprocGrid(const std::string& name, balancer::BalancerConfig config = {})
      : balancer_(context, with_endpoints(name, std::move(config)), balancer_metrics) {
    threads_.emplace_back([this] { balancer_.run(); });
  }
  ~InprocGrid() {
    for (auto& node : substations_) node->stop();
    balancer_.stop();
    for (auto& thread : threads_) thread.join();
  }

  // jobs_endpoint: where the substation's DEALER connects (the balancer's backend unless a test
  // puts something in between).
  void add_substation(const std::string& id, double capacity_kw, std::string jobs_endpoint = "") {
    substation_ids_.push_back(id);
    registries_.push_back(std::make_unique<prometheus::Registry>());
    substations_.push_back(std::make_unique<substation::SubstationNode>(
        context,
        substation::SubstationConfig{
            .station = {.id = id, .capacity_kw = capacity_kw},
            .balancer_endpoints = {jobs_endpoint.empty() ? balancer_.backend_endpoint() : jobs_endpoint},
            .heartbeats_endpoints = {balancer_.heartbeats_endpoint()},
            .heartbeat_interval = std::chrono::milliseconds(50)},
        *registries_.back()));
    auto* node = substations_.back().get();
    threads_.emplace_back([node] { node->run(); });
  }

  // A substation's active sessions, as its own metrics say (readable from any thread).
  double active_sessions(std::size_t index) {
    return prometheus::BuildGauge()
        .Name("substation_current_load")
        .Register(*registries_.at(index))
        .Add({{"substation", substation_ids_.at(index)}})
        .Value();
  }

  balancer::BalancerNode& balancer() { return balancer_; }
  prometheus::Registry& substation_metrics(std::size_t index) { return *registries_.at(index); }

  zmq::context_t context;
  prometheus::Registry balancer_metrics;

private:
  static balancer::BalancerConfig with_endpoints(const std::string& name, balancer::BalancerConfig config) {
    config.frontend_endpoint = "inproc://" + name + "-frontend";
    config.backend_endpoint = "inproc://" + name + "-backend";
    config.heartbeats_endpoint = "inproc://" + name + "-heartbeats";
    config.grid.heartbeat_interval = std::chrono::milliseconds(50);
    config.warmup = std::chrono::milliseconds(0);
    return config;
  }

  balancer::BalancerNode balancer_;
  std::vector<std::string> substation_ids_;
  std::vector<std::unique_ptr<prometheus::Registry>> registries_;
  std::vector<std::unique_ptr<substation::SubstationNode>> substations_;
  std::vector<std::thread> threads_;
};

}  // namespace grid::test
