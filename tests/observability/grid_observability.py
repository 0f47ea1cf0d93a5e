"""What the observability checks share: the repository's files, and the PromQL expressions of the
Grafana dashboard and the alert rules, read from those files (never copied into a test)."""

import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROMETHEUS_CONFIG = ROOT / "compose/prometheus/prometheus.yml"
ALERTS = ROOT / "compose/prometheus/alerts.yml"
DASHBOARD = ROOT / "compose/grafana/dashboards/grid.json"
DATASOURCES = ROOT / "compose/grafana/provisioning/datasources"
DASHBOARD_PROVIDERS = ROOT / "compose/grafana/provisioning/dashboards"
COMPOSE = ROOT / "compose/docker-compose.yml"
# The override that adds CurveZMQ keys and the edge's TLS as Docker secrets, and its Prometheus.
COMPOSE_SECURE = ROOT / "compose/docker-compose.secure.yml"
PROMETHEUS_SECURE_CONFIG = ROOT / "compose/prometheus/prometheus.secure.yml"


def load_yaml(path):
    try:
        import yaml
    except ImportError:
        sys.exit("PyYAML is missing: install python3-yaml (scripts/install-deps does)")
    with open(path, encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def load_dashboard(path=DASHBOARD):
    with open(path, encoding="utf-8") as stream:
        return json.load(stream)


def panels(dashboard):
    """Every panel, including those nested in collapsed rows."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


def dashboard_targets(dashboard):
    """(panel title, refId, expr) of every query panel target."""
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            yield panel.get("title", ""), target.get("refId", ""), target.get("expr", "")


def template_variables(dashboard):
    return dashboard.get("templating", {}).get("list", [])


def variable_selector(variable):
    """A query variable's label_values(metric, label) as the PromQL that must have data for the
    variable to offer any value; None for other kinds of variable queries."""
    query = variable.get("query")
    if isinstance(query, dict):
        query = query.get("query", "")
    match = re.fullmatch(r"\s*label_values\(\s*(.+?)\s*,\s*([a-zA-Z_]\w*)\s*\)\s*", query or "")
    return match.group(1) if match else None


def substitute(expr, dashboard, rate_interval):
    """The expression as Grafana sends it with every template variable at "All" and the given
    rate interval: $__rate_interval / $__interval / $__range become rate_interval."""
    for name in ("__rate_interval", "__interval", "__range"):
        expr = expr.replace("${" + name + "}", rate_interval).replace("$" + name, rate_interval)
    for variable in template_variables(dashboard):
        value = variable.get("allValue") or ".*"
        name = variable["name"]
        expr = expr.replace("${" + name + "}", value)
        expr = re.sub(r"\$" + re.escape(name) + r"\b", value, expr)
    return expr


def alert_rules(path=ALERTS):
    """(alert name, expr) of every alerting rule."""
    for group in load_yaml(path).get("groups", []):
        for rule in group.get("rules", []):
            if "alert" in rule:
                yield rule["alert"], rule["expr"]


def one_line(expr):
    return " ".join(expr.split())


def _top_level_split(expr, pattern):
    """Splits expr at matches of pattern that lie outside (), {}, [] and string literals."""
    parts, depth, quote, start, i = [], 0, None, 0, 0
    while i < len(expr):
        char = expr[i]
        if quote:
            if char == "\\":
                i += 2
                continue
            if char == quote:
                quote = None
        elif char in "\"'`":
            quote = char
        elif char in "({[":
            depth += 1
        elif char in ")}]":
            depth -= 1
        elif depth == 0:
            match = pattern.match(expr, i)
            if match:
                parts.append((expr[start:i], match.group(0)))
                start = i = match.end()
                continue
        i += 1
    parts.append((expr[start:], None))
    return parts


_AND = re.compile(r"(?<![\w])and(?![\w])")
_COMPARISON = re.compile(r"(==|!=|>=|<=|>|<)(\s*bool)?")
_NUMBER = re.compile(r"\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*")


def probes(expr):
    """The parts of an alert expression that must return data for the alert to be able to fire:
    each side of a top-level `and`, without its comparison against a number. `x > 0.9` gives
    `x`; `a > 0.3 and b > 0.2` gives `a` and `b`."""
    result = []
    for clause, _ in _top_level_split(one_line(expr), _AND):
        pieces = _top_level_split(clause, _COMPARISON)
        if len(pieces) >= 2 and pieces[-2][1] and _NUMBER.fullmatch(pieces[-1][0]):
            clause = "".join(text + (op or "") for text, op in pieces[:-2]) + pieces[-2][0]
        result.append(clause.strip())
    return result
