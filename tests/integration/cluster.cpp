#include "cluster.h"

#include <stdexcept>

#include "support/http_get.h"

namespace grid::test {

Cluster::Cluster(ClusterOptions options)
    : options_(std::move(options)),
      frontend_port_(free_port()),
      backend_port_(free_port()),
      heartbeats_port_(free_port()),
      balancer_metrics_port_(free_port()) {}

void Cluster::start_balancer() {
  const std::string loopback = "tcp://127.0.0.1:";
  std::vector<std::string> argv{GRID_BALANCER_BIN,
                                "--frontend", loopback + std::to_string(frontend_port_),
                                "--backend", loopback + std::to_string(backend_port_),
                                "--heartbeats", loopback + std::to_string(heartbeats_port_),
                                "--metrics", "127.0.0.1:" + std::to_string(balancer_metrics_port_),
                                "--heartbeat-ms", std::to_string(options_.heartbeat_ms),
                                "--liveness", std::to_string(options_.liveness),
                                "--dispatch-timeout-ms", std::to_string(options_.dispatch_timeout_ms),
                                "--policy", options_.policy};
  argv.insert(argv.end(), options_.balancer_extra.begin(), options_.balancer_extra.end());
  balancer_ = std::make_unique<ChildProcess>("balancer", argv);
  if (!wait_for_port(balancer_metrics_port_)) throw std::runtime_error("balancer did not start:\n" + balancer_->log());
}

void Cluster::add_substation(const std::string& id, double capacity_kw) {
  const int metrics_port = free_port();
  const std::string loopback = "tcp://127.0.0.1:";
  std::vector<std::string> argv{GRID_SUBSTATION_BIN, "--id", id, "--capacity-kw", std::to_string(capacity_kw),
                                "--balancer", loopback + std::to_string(backend_port_),
                                "--heartbeats", loopback + std::to_string(heartbeats_port_),
                                "--heartbeat-ms", std::to_string(options_.heartbeat_ms),
                                "--time-scale", std::to_string(options_.time_scale),
                                "--metrics", "127.0.0.1:" + std::to_string(metrics_port)};
  argv.insert(argv.end(), options_.substation_extra.begin(), options_.substation_extra.end());
  auto process = std::make_unique<ChildProcess>("substation " + id, argv);
  if (!wait_for_port(metrics_port)) throw std::runtime_error("substation " + id + " did not start:\n" + process->log());
  substations_.push_back({id, capacity_kw, metrics_port, std::move(process)});
}

SubstationProcess& Cluster::substation(const std::string& id) {
  for (auto& s : substations_) {
    if (s.id == id) return s;
  }
  throw std::invalid_argument("no substation " + id);
}

void Cluster::kill_substation(const std::string& id) {
  substation(id).process->kill_hard();
}

int Cluster::start_edge(std::vector<std::string> extra) {
#ifdef GRID_EDGE_BIN
  edge_port_ = free_port();
  std::vector<std::string> argv{GRID_EDGE_BIN, "--listen", "127.0.0.1:" + std::to_string(edge_port_), "--balancer",
                                frontend()};
  argv.insert(argv.end(), extra.begin(), extra.end());
  edge_ = std::make_unique<ChildProcess>("edge", argv);
  if (!wait_for_port(edge_port_)) throw std::runtime_error("edge did not start:\n" + edge_->log());
  return edge_port_;
#else
  (void)extra;
  throw std::logic_error("grid-edge is not built");
#endif
}

bool Cluster::none_overloaded() {
  for (auto& s : substations_) {
    if (!s.process->running()) continue;
    const auto reply = http_get(s.metrics_port, "/metrics");
    if (!reply) continue;  // between a kill and its reaping
    const std::string labels = "{substation=\"" + s.id + "\"}";
    const auto load = sample(reply->body, "substation_load_kw" + labels);
    const auto capacity = sample(reply->body, "substation_capacity_kw" + labels);
    if (!load || !capacity || *load > *capacity) return false;
  }
  return true;
}

std::string Cluster::logs() const {
  std::string text;
  if (balancer_) text += "--- balancer\n" + balancer_->log();
  if (edge_) text += "--- edge\n" + edge_->log();
  for (const auto& s : substations_) text += "--- substation " + s.id + "\n" + s.process->log();
  return text;
}

}  // namespace grid::test
