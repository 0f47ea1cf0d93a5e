#include "cluster.h"

#include <csignal>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "grid/transport/curve.h"
#include "support/wait.h"

#include "support/http_get.h"

namespace grid::test {

namespace {
const std::string loopback = "tcp://127.0.0.1:";
}

Cluster::Cluster(ClusterOptions options) : options_(std::move(options)) {
  for (int i = 0; i < options_.balancers; ++i) {
    balancers_.push_back({free_port(), free_port(), free_port(), free_port(), nullptr});
  }
  if (options_.durable) state_ = std::make_unique<TempDirectory>();
  if (!options_.curve) return;
  keys_ = std::make_unique<TempDirectory>();
  for (const char* dir : {"keys", "allow-substations", "allow-clients"}) std::filesystem::create_directory(*keys_ / dir);
  curve_key("balancer");
  for (const char* client : {"edge", "loadgen"}) allow_key(client, false, client);
}

std::string Cluster::curve_key(const std::string& name) {
  const std::string base = *keys_ / ("keys/" + name);
  if (!std::filesystem::exists(base + ".key")) {
    transport::write_key_pair(*keys_ / "keys", name, transport::generate_key_pair());
  }
  return base;
}

std::vector<std::string> Cluster::curve_client_flags(const std::string& name) {
  if (!options_.curve) return {};
  return {"--curve-secret", curve_key(name) + ".key_secret", "--balancer-key", curve_key("balancer") + ".key"};
}

void Cluster::allow_key(const std::string& name, bool substation, const std::string& file_name) {
  const std::string target = allow_dir(substation) + "/" + file_name + ".key";
  if (std::filesystem::exists(target)) return;
  std::filesystem::copy_file(curve_key(name) + ".key", target);
  for (const auto& b : balancers_) {
    if (b.process && b.process->running()) {
      reload_allow_lists();
      break;
    }
  }
}

std::string Cluster::allow_dir(bool substation) const {
  return *keys_ / (substation ? "allow-substations" : "allow-clients");
}

void Cluster::reload_allow_lists() {
  for (auto& b : balancers_) {
    if (!b.process || !b.process->running()) continue;
    ChildProcess& balancer = *b.process;
    const auto reloads = [&] {
      const auto log = balancer.log();
      std::size_t count = 0;
      for (auto at = log.find("allow lists reloaded"); at != std::string::npos;
           at = log.find("allow lists reloaded", at + 1)) {
        ++count;
      }
      return count;
    };
    const std::size_t before = reloads();
    ::kill(balancer.pid(), SIGHUP);
    if (!wait_until([&] { return reloads() > before; })) throw std::runtime_error("balancer did not reload its keys");
  }
}

std::string Cluster::frontend(std::size_t index) const {
  return loopback + std::to_string(balancers_.at(index).frontend);
}
std::string Cluster::backend_endpoint(std::size_t index) const {
  return loopback + std::to_string(balancers_.at(index).backend);
}
std::string Cluster::heartbeats_endpoint(std::size_t index) const {
  return loopback + std::to_string(balancers_.at(index).heartbeats);
}

std::string Cluster::all_of(int BalancerPorts::*port) const {
  std::string list;
  for (const auto& b : balancers_) list += (list.empty() ? "" : ",") + loopback + std::to_string(b.*port);
  return list;
}

void Cluster::start_balancer() {
  for (std::size_t i = 0; i < balancers_.size(); ++i) {
    if (!balancers_[i].process || !balancers_[i].process->running()) start_balancer(i);
  }
}

void Cluster::kill_balancer(std::size_t index) { balancers_.at(index).process->kill_hard(); }

void Cluster::start_balancer(std::size_t index) {
  BalancerPorts& b = balancers_.at(index);
  std::vector<std::string> argv{GRID_BALANCER_BIN,
                                "--frontend", loopback + std::to_string(b.frontend),
                                "--backend", loopback + std::to_string(b.backend),
                                "--heartbeats", loopback + std::to_string(b.heartbeats),
                                "--metrics", "127.0.0.1:" + std::to_string(b.metrics_port),
                                "--heartbeat-ms", std::to_string(options_.heartbeat_ms),
                                "--liveness", std::to_string(options_.liveness),
                                "--dispatch-timeout-ms", std::to_string(options_.dispatch_timeout_ms),
                                "--policy", options_.policy};
  if (options_.curve) {
    argv.insert(argv.end(), {"--curve-secret", curve_key("balancer") + ".key_secret", "--curve-allow-substations",
                             *keys_ / "allow-substations", "--curve-allow-clients", *keys_ / "allow-clients"});
  }
  argv.insert(argv.end(), options_.balancer_extra.begin(), options_.balancer_extra.end());
  const std::string name = balancers_.size() == 1 ? "balancer" : "balancer " + std::to_string(index);
  b.process = std::make_unique<ChildProcess>(name, argv);
  if (!wait_for_port(b.metrics_port)) throw std::runtime_error(name + " did not start:\n" + b.process->log());
}

void Cluster::add_substation(const std::string& id, double capacity_kw, const SubstationKey& key) {
  const int metrics_port = free_port();
  std::vector<std::string> argv{GRID_SUBSTATION_BIN, "--id", id, "--capacity-kw", std::to_string(capacity_kw),
                                "--balancer", all_of(&BalancerPorts::backend),
                                "--heartbeats", all_of(&BalancerPorts::heartbeats),
                                "--heartbeat-ms", std::to_string(options_.heartbeat_ms),
                                "--time-scale", std::to_string(options_.time_scale),
                                "--metrics", "127.0.0.1:" + std::to_string(metrics_port)};
  if (options_.curve) {
    const std::string key_name = key.name.empty() ? id : key.name;
    if (key.allowed) allow_key(key_name, true, key_name);
    const auto flags = curve_client_flags(key_name);
    argv.insert(argv.end(), flags.begin(), flags.end());
  }
  if (options_.durable) argv.insert(argv.end(), {"--state", state_file(id)});
  argv.insert(argv.end(), options_.substation_extra.begin(), options_.substation_extra.end());
  auto process = std::make_unique<ChildProcess>("substation " + id, argv);
  if (!wait_for_port(metrics_port)) throw std::runtime_error("substation " + id + " did not start:\n" + process->log());
  substations_.push_back({id, capacity_kw, metrics_port, std::move(process), argv});
}

std::string Cluster::state_file(const std::string& id) const {
  if (!state_) throw std::logic_error("state files need ClusterOptions::durable");
  return *state_ / (id + ".db");
}

void Cluster::restart_substation(const std::string& id) {
  SubstationProcess& s = substation(id);
  s.process->kill_hard();
  s.process = std::make_unique<ChildProcess>("substation " + id, s.argv);
  if (!wait_for_port(s.metrics_port)) throw std::runtime_error("substation " + id + " did not restart:\n" + s.process->log());
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

void Cluster::stop_substation(const std::string& id) {
  substation(id).process->terminate();
  std::erase_if(substations_, [&](const SubstationProcess& s) { return s.id == id; });
}

int Cluster::start_edge(std::vector<std::string> extra) {
#ifdef GRID_EDGE_BIN
  edge_port_ = free_port();
  std::vector<std::string> argv{GRID_EDGE_BIN, "--listen", "127.0.0.1:" + std::to_string(edge_port_), "--balancer",
                                all_of(&BalancerPorts::frontend)};
  const auto curve = curve_client_flags("edge");
  argv.insert(argv.end(), curve.begin(), curve.end());
  argv.insert(argv.end(), extra.begin(), extra.end());
  edges_.push_back(std::make_unique<ChildProcess>(edges_.empty() ? "edge" : "edge " + std::to_string(edges_.size()), argv));
  if (!wait_for_port(edge_port_)) throw std::runtime_error("edge did not start:\n" + edges_.back()->log());
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
  for (std::size_t i = 0; i < balancers_.size(); ++i) {
    if (balancers_[i].process) text += "--- balancer " + std::to_string(i) + "\n" + balancers_[i].process->log();
  }
  for (const auto& edge : edges_) text += "--- edge\n" + edge->log();
  for (const auto& s : substations_) text += "--- substation " + s.id + "\n" + s.process->log();
  return text;
}

}  // namespace grid::test
