#pragma once
// A real grid of node processes on loopback for integration tests: one balancer or several, any
// number of substations (each connected to every balancer) and edges, each on free ports, with
// helpers to wait for them and to read their metrics.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/process.h"
#include "support/temp_dir.h"

namespace grid::test {

struct SubstationProcess {
  std::string id;
  double capacity_kw = 0;
  int metrics_port = 0;
  std::unique_ptr<ChildProcess> process;
  std::vector<std::string> argv;  // to start it again the same way
};

struct ClusterOptions {
  int heartbeat_ms = 100;
  int liveness = 3;
  int dispatch_timeout_ms = 500;
  std::string policy = "least-utilization";
  double time_scale = 1.0;
  std::vector<std::string> balancer_extra;    // more flags for the balancer
  std::vector<std::string> substation_extra;  // more flags for every substation
  // CurveZMQ on every node: keys are generated into a temporary directory (the balancer's, one per
  // substation, "edge" and "loadgen" for the clients), with the allow directories the balancer reads.
  bool curve = false;
  // Every substation keeps its books in a state file of its own (--state) in a temporary
  // directory, so a restarted one comes back with its sessions.
  bool durable = false;
  // Balancers, all active: every substation and every edge is given all of them.
  int balancers = 1;
};

// Which key a substation process uses (with ClusterOptions::curve): by default its own, allowed.
struct SubstationKey {
  std::string name;     // key pair to use; empty: the substation's id
  bool allowed = true;  // put its public key in the balancer's substation allow directory first
};

class Cluster {
public:
  explicit Cluster(ClusterOptions options = {});

  // Starts every balancer that is not running (all of them at first; a killed one again).
  void start_balancer();
  void start_balancer(std::size_t index);
  void kill_balancer(std::size_t index);  // SIGKILL
  // With CURVE, a newly allowed key reaches a running balancer by SIGHUP before the process starts.
  void add_substation(const std::string& id, double capacity_kw, const SubstationKey& key = {});
  void kill_substation(const std::string& id);  // SIGKILL
  // SIGKILL (a crash), then the same command again; waits until it serves metrics.
  void restart_substation(const std::string& id);
  // With ClusterOptions::durable: the substation's state file.
  std::string state_file(const std::string& id) const;
  // SIGTERM, waits for the exit and forgets the process, so the id can be started again.
  void stop_substation(const std::string& id);
  // grid-edge on a free port, pointed at every balancer; returns its HTTP port. Each call starts
  // one more edge; edge() is the latest.
  int start_edge(std::vector<std::string> extra = {});
  ChildProcess& edge() { return *edges_.back(); }
  int edge_port() const { return edge_port_; }

  std::string frontend(std::size_t index = 0) const;
  std::string backend_endpoint(std::size_t index = 0) const;
  std::string heartbeats_endpoint(std::size_t index = 0) const;
  int balancer_metrics_port(std::size_t index = 0) const { return balancers_.at(index).metrics_port; }
  ChildProcess& balancer(std::size_t index = 0) { return *balancers_.at(index).process; }
  std::vector<SubstationProcess>& substations() { return substations_; }
  SubstationProcess& substation(const std::string& id);
  const ClusterOptions& options() const { return options_; }

  // Scrapes every running substation: false if any reports more load than its capacity.
  bool none_overloaded();

  // CURVE flags of a client node using key pair `name` (empty without CURVE), and the key pair's
  // paths (created on first use). Client keys "edge" and "loadgen" are allowed from the start.
  std::vector<std::string> curve_client_flags(const std::string& name);
  std::string curve_key(const std::string& name);
  // Copies key `name`'s public key into an allow directory (as FILE_NAME.key) and, if the balancer
  // runs, sends it SIGHUP and waits until it has reloaded.
  void allow_key(const std::string& name, bool substation, const std::string& file_name);
  // The balancer's allow directory for substation keys or for client keys.
  std::string allow_dir(bool substation) const;
  // Sends the running balancer SIGHUP and waits until its log says the allow lists were reloaded.
  void reload_allow_lists();

  // Every process's log, for a failure message.
  std::string logs() const;

private:
  struct BalancerPorts {
    int frontend;
    int backend;
    int heartbeats;
    int metrics_port;
    std::unique_ptr<ChildProcess> process;
  };
  // A comma list of one endpoint of every balancer.
  std::string all_of(int BalancerPorts::*port) const;

  ClusterOptions options_;
  std::vector<BalancerPorts> balancers_;
  std::vector<std::unique_ptr<ChildProcess>> edges_;
  int edge_port_ = 0;
  std::vector<SubstationProcess> substations_;
  std::unique_ptr<TempDirectory> keys_;
  std::unique_ptr<TempDirectory> state_;  // with durable: one state file per substation  // with CURVE: keys/, allow-substations/, allow-clients/
};

}  // namespace grid::test
