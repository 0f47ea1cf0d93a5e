#!/usr/bin/env python3
"""What can be checked of compose/ without a Docker engine, beyond `docker-compose config`: that
the pieces agree. Prometheus scrapes every node at the port the node serves, with the substation
label equal to the node's --id; two or more balancers run one command, and every substation and
the edge connect to every balancer, at the ports it binds;
Grafana's mounts match its provisioning; every service has a healthcheck; third-party images are
pinned, Prometheus to the version of the promtool that checks our rules here.
With --secure, the same checks on docker-compose.yml with docker-compose.secure.yml laid over it
(and its prometheus.secure.yml), plus the secrets: every secret a service or a flag names exists,
every node has its key, a substation's key file is named after its --id, the override's commands
are the base commands plus key flags only, and prometheus.secure.yml differs from prometheus.yml
only in the edge's HTTPS.
Usage: check_compose.py [--promtool PATH] [--secure]"""

import argparse
import re
import subprocess
import sys

import compose_file as c
import compose_secure
import grid_observability as g


def port_of(address):
    return address.rsplit(":", 1)[1]


def served_port(binary, node_flags):
    """The port a node serves /metrics on (the edge: its --listen)."""
    defaults = {"grid-balancer": "0.0.0.0:9100", "grid-substation": "0.0.0.0:9101", "grid-edge": "0.0.0.0:8080"}
    flag = "--listen" if binary == "grid-edge" else "--metrics"
    return port_of(node_flags.get(flag, [defaults.get(binary, ":")])[0])


def check_scraping(services, nodes, errors, config_path=g.PROMETHEUS_CONFIG):
    config = g.load_yaml(config_path)
    scraped = set()
    for job in config["scrape_configs"]:
        for static in job.get("static_configs", []):
            for target in static["targets"]:
                host, port = target.rsplit(":", 1)
                if job["job_name"] == "prometheus":
                    continue
                if host not in nodes:
                    errors.append(f"prometheus.yml job {job['job_name']}: target {target} is no node service in compose")
                    continue
                binary, argv = nodes[host]
                node_flags = c.flags(argv)
                scraped.add(host)
                if served_port(binary, node_flags) != port:
                    errors.append(f"prometheus.yml: {target} but {host} serves /metrics on port {served_port(binary, node_flags)}")
                if job["job_name"] != binary.removeprefix("grid-"):
                    errors.append(f"prometheus.yml: {host} runs {binary} but is in job {job['job_name']}")
                label = static.get("labels", {}).get("substation")
                if binary == "grid-substation" and label != node_flags.get("--id", [None])[0]:
                    errors.append(f"prometheus.yml: {target} labelled substation={label}, the node runs --id {node_flags.get('--id')}")
    for name, (binary, _) in nodes.items():
        if binary != "grid-loadgen" and name not in scraped:
            errors.append(f"compose service {name} ({binary}) is not scraped by prometheus.yml")


def check_wiring(nodes, errors):
    """Two or more balancers running one command; every substation connects its --balancer and
    --heartbeats to every balancer, the edge its --balancer to every frontend (issue 16: no single
    point of failure)."""
    balancers = {name: argv for name, (binary, argv) in nodes.items() if binary == "grid-balancer"}
    if len(balancers) < 2:
        errors.append(f"expected two or more balancer services (no single point of failure), found {sorted(balancers)}")
        if not balancers:
            return
    commands = {tuple(argv) for argv in balancers.values()}
    if len(commands) != 1:
        errors.append(f"the balancers {sorted(balancers)} must run the same command: {sorted(commands)}")
    ports = {}
    for name, argv in balancers.items():
        bound = c.flags(argv)
        for flag, default in (("--frontend", ":5555"), ("--backend", ":5556"), ("--heartbeats", ":5557")):
            ports.setdefault(flag, []).append(f"tcp://{name}:{port_of(bound.get(flag, [default])[0])}")
    wanted = {"grid-substation": {"--balancer": "--backend", "--heartbeats": "--heartbeats"},
              "grid-edge": {"--balancer": "--frontend"}}
    capacities, ids = [], []
    for name, (binary, argv) in nodes.items():
        node_flags = c.flags(argv)
        for flag, balancer_flag in wanted.get(binary, {}).items():
            expected = sorted(ports[balancer_flag])
            given = sorted(value for values in node_flags.get(flag, []) for value in values.split(","))
            if given != expected:
                errors.append(f"{name}: {flag} {given} but the balancers' {balancer_flag} are {expected}")
        if binary == "grid-substation":
            capacities.append(node_flags.get("--capacity-kw", [""])[0])
            ids.append(node_flags.get("--id", [""])[0])
    if len(ids) < 3 or len(set(ids)) != len(ids) or len(set(capacities)) != len(capacities):
        errors.append(f"expected three or more substations with distinct ids and capacities: {ids} {capacities}")


def check_grafana(services, errors):
    grafana = services.get("grafana", {})
    mounts = {}
    for volume in grafana.get("volumes", []):
        source, target = volume.split(":")[:2]
        mounts[source.rstrip("/")] = target
    if mounts.get("./grafana/provisioning") != "/etc/grafana/provisioning":
        errors.append("grafana: ./grafana/provisioning must be mounted at /etc/grafana/provisioning")
    dashboards = mounts.get("./grafana/dashboards")
    for path in sorted(g.DASHBOARD_PROVIDERS.glob("*.yml")):
        for provider in g.load_yaml(path).get("providers", []):
            if provider.get("options", {}).get("path") != dashboards:
                errors.append(f"{path.name}: provider reads {provider.get('options', {}).get('path')}, compose mounts the dashboards at {dashboards}")
    home = grafana.get("environment", {}).get("GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH", "")
    if not dashboards or not home.startswith(dashboards + "/") or not (g.DASHBOARD.parent / home[len(dashboards) + 1:]).is_file():
        errors.append(f"grafana: home dashboard {home!r} is not a file of the mounted ./grafana/dashboards")
    for path in sorted(g.DATASOURCES.glob("*.yml")):
        for source in g.load_yaml(path).get("datasources", []):
            match = re.fullmatch(r"http://([\w.-]+):(\d+)", source.get("url", ""))
            if not match or match.group(1) not in services:
                errors.append(f"{path.name}: data source url {source.get('url')} is not a compose service")


def check_prometheus_service(services, promtool, errors, config_path=g.PROMETHEUS_CONFIG):
    prometheus = services.get("prometheus", {})
    command = c.command(prometheus)
    config_flag = f"--config.file=/etc/prometheus/{config_path.name}"
    if config_flag not in command or "./prometheus:/etc/prometheus:ro" not in prometheus.get("volumes", []):
        errors.append(f"prometheus: expects ./prometheus mounted at /etc/prometheus and {config_flag}")
    version = subprocess.run([promtool, "--version"], capture_output=True, text=True).stdout
    ours = re.search(r"version (\d+\.\d+)\.", version)
    image = re.search(r":v(\d+\.\d+)\.\d+$", prometheus.get("image", ""))
    if not ours or not image or ours.group(1) != image.group(1):
        errors.append(f"prometheus image {prometheus.get('image')} is not the {ours and ours.group(1)} release our promtool checks with")


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--promtool", default="promtool")
    parser.add_argument("--secure", action="store_true", help="check the file with docker-compose.secure.yml over it")
    args = parser.parse_args()
    services = c.services(args.secure)
    nodes = c.node_services(args.secure)
    config_path = g.PROMETHEUS_SECURE_CONFIG if args.secure else g.PROMETHEUS_CONFIG
    errors = []
    for name, service in services.items():
        if "healthcheck" not in service or service["healthcheck"].get("disable"):
            errors.append(f"service {name} has no healthcheck")
        image = service.get("image", "")
        if name not in nodes and (":" not in image or image.endswith(":latest")):
            errors.append(f"service {name}: image {image!r} is not pinned to a version")
        if name in nodes and service.get("build", {}).get("dockerfile") != "compose/Dockerfile":
            errors.append(f"service {name}: our nodes build from compose/Dockerfile")
    loadgens = [name for name, (binary, _) in nodes.items() if binary == "grid-loadgen"]
    if any("loadgen" not in services[name].get("profiles", []) for name in loadgens) or not loadgens:
        errors.append("the load generator must be a service under the 'loadgen' profile")
    check_scraping(services, nodes, errors, config_path)
    check_wiring(nodes, errors)
    check_grafana(services, errors)
    check_prometheus_service(services, args.promtool, errors, config_path)
    if args.secure:
        compose_secure.check(errors)
    for error in errors:
        print(f"FAILED: {error}", file=sys.stderr)
    if errors:
        sys.exit(1)
    print(f"compose ok: {len(services)} services, {len(nodes)} of them our nodes")


if __name__ == "__main__":
    main()
