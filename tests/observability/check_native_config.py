#!/usr/bin/env python3
"""scripts/prometheus-native --config-only: the configuration it derives passes `promtool check
config` (which loads the rule files too) and keeps what compose/prometheus/prometheus.yml says
(job names, every job setting but the targets, the substation target label, the same rule files
by absolute path); --scrape-interval sets both intervals; a bad flag is refused.
Usage: check_native_config.py [--promtool PATH]"""

import argparse
import subprocess
import sys
import tempfile

import grid_observability as g

SCRIPT = g.ROOT / "scripts/prometheus-native"
NODES = ["--balancer", "127.0.0.1:9100", "--substation", "north=127.0.0.1:9101",
         "--substation", "south=127.0.0.1:9102", "--substation", "east=127.0.0.1:9103",
         "--edge", "127.0.0.1:8080", "--listen", "127.0.0.1:9090"]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--promtool", default="promtool")
    args = parser.parse_args()
    errors = []
    with tempfile.NamedTemporaryFile("w+", suffix=".yml") as output:
        run = subprocess.run([sys.executable, str(SCRIPT), "--config-only", "--output", output.name,
                              "--scrape-interval", "1s", *NODES], capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"FAILED: prometheus-native exited {run.returncode}: {run.stderr}")
        check = subprocess.run([args.promtool, "check", "config", output.name], capture_output=True, text=True)
        if check.returncode != 0:
            errors.append(f"promtool check config refused the native config:\n{check.stdout}{check.stderr}")
        native = g.load_yaml(output.name)
    compose = g.load_yaml(g.PROMETHEUS_CONFIG)

    expected_rules = [str((g.PROMETHEUS_CONFIG.parent / path).resolve()) for path in compose["rule_files"]]
    if native["rule_files"] != expected_rules:
        errors.append(f"rule_files {native['rule_files']} instead of {expected_rules}")
    if native["global"].get("scrape_interval") != "1s" or native["global"].get("evaluation_interval") != "1s":
        errors.append(f"--scrape-interval 1s not applied: {native['global']}")
    compose_jobs = {job["job_name"]: job for job in compose["scrape_configs"]}
    native_jobs = {job["job_name"]: job for job in native["scrape_configs"]}
    if list(native_jobs) != list(compose_jobs):
        errors.append(f"jobs {list(native_jobs)} instead of compose's {list(compose_jobs)}")
    for name, job in compose_jobs.items():
        settings = {k: v for k, v in job.items() if k != "static_configs"}
        native_settings = {k: v for k, v in native_jobs.get(name, {}).items() if k != "static_configs"}
        if settings != native_settings:
            errors.append(f"job {name}: settings {native_settings} instead of compose's {settings}")
    labels = {static.get("labels", {}).get("substation"): static["targets"]
              for static in native_jobs.get("substation", {}).get("static_configs", [])}
    if labels != {"north": ["127.0.0.1:9101"], "south": ["127.0.0.1:9102"], "east": ["127.0.0.1:9103"]}:
        errors.append(f"substation targets and labels: {labels}")

    refused = subprocess.run([sys.executable, str(SCRIPT), "--config-only", "--substation", "north"],
                             capture_output=True, text=True)
    if refused.returncode == 0 or "ID=HOST:PORT" not in refused.stderr:
        errors.append(f"--substation north (no address) was not refused clearly: {refused.stderr}")

    for error in errors:
        print(f"FAILED: {error}", file=sys.stderr)
    if errors:
        sys.exit(1)
    print(f"native config ok: jobs {', '.join(native_jobs)}; rules {', '.join(expected_rules)}")


if __name__ == "__main__":
    main()
