#!/usr/bin/env python3
"""Keeps the dashboard, the alert rules and docs/metrics.md true to the code: every metric name
they use must be registered by a node (a prometheus::BuildCounter/BuildGauge/BuildHistogram()
.Name("name") in apps/ or libgrid/src/, or a family a collector builds by hand, such as the
process_* ones), and every registered metric must be documented in docs/metrics.md with its type,
and nothing documented there may be gone from the code. Usage: check_metric_names.py"""

import re
import sys

import grid_observability as g

OUR_PREFIXES = ("substation_", "balancer_", "edge_", "process_")
NAME = r"\"([a-zA-Z_:][a-zA-Z0-9_:]*)\""
# prometheus::BuildCounter().Name("x"), possibly across lines.
REGISTRATION = re.compile(r"Build(Counter|Gauge|Histogram)\(\)\s*\.Name\(\s*" + NAME)
# A family a collector builds itself: "name", "help", MetricType::Gauge.
COLLECTED = re.compile(NAME + r",\s*\"(?:[^\"\\]|\\.)*\",\s*(?:prometheus::)?MetricType::(Counter|Gauge|Histogram)")
HISTOGRAM_SERIES = ("_bucket", "_sum", "_count")


def registered_metrics():
    """name -> type, from the registrations in the sources."""
    found = {}
    for folder in ("apps", "libgrid/src"):
        for path in (g.ROOT / folder).rglob("*.cpp"):
            text = path.read_text(encoding="utf-8")
            for kind, name in REGISTRATION.findall(text):
                found[name] = kind.lower()
            for name, kind in COLLECTED.findall(text):
                found[name] = kind.lower()
    return found


def names_in(expr):
    """Metric names of our nodes in a PromQL expression (label values and strings left out)."""
    without_strings = re.sub(r'"(\\.|[^"\\])*"', '""', expr)
    return {token for token in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", without_strings) if token.startswith(OUR_PREFIXES)}


def base_name(name, registered):
    for suffix in HISTOGRAM_SERIES:
        if name.endswith(suffix) and registered.get(name[: -len(suffix)]) == "histogram":
            return name[: -len(suffix)]
    return name


def documented_metrics():
    """name -> the table row of docs/metrics.md that documents it (rows start with | `name` |)."""
    rows = {}
    for line in (g.ROOT / "docs/metrics.md").read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*`([a-zA-Z_:][a-zA-Z0-9_:]*)`\s*\|", line)
        if match:
            rows[match.group(1)] = line
    return rows


def main():
    registered = registered_metrics()
    errors = []
    if len(registered) < 20:
        errors.append(f"found only {len(registered)} metric registrations: has the way we register them changed?")
    uses = []
    dashboard = g.load_dashboard()
    for title, ref_id, expr in g.dashboard_targets(dashboard):
        uses.append((f"dashboard panel '{title}' {ref_id}", expr))
    for variable in g.template_variables(dashboard):
        if g.variable_selector(variable):
            uses.append((f"dashboard variable ${variable['name']}", g.variable_selector(variable)))
    for name, expr in g.alert_rules():
        uses.append((f"alert {name}", expr))
    for where, expr in uses:
        for name in sorted(names_in(expr)):
            if base_name(name, registered) not in registered:
                errors.append(f"{where}: no node registers '{name}'")

    documented = documented_metrics()
    for name, kind in sorted(registered.items()):
        row = documented.get(name)
        if row is None:
            errors.append(f"docs/metrics.md does not document '{name}' ({kind})")
        elif kind not in row:
            errors.append(f"docs/metrics.md: '{name}' is a {kind}, its row says otherwise: {row}")
    for name in sorted(set(documented) - set(registered)):
        errors.append(f"docs/metrics.md documents '{name}', which no node registers any more")

    for error in errors:
        print(f"FAILED: {error}", file=sys.stderr)
    if errors:
        sys.exit(1)
    print(f"metric names ok: {len(registered)} registered and documented, {len(uses)} expressions use only those")


if __name__ == "__main__":
    main()
