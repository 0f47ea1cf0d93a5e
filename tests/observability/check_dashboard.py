#!/usr/bin/env python3
"""Checks the Grafana dashboard (compose/grafana/dashboards/grid.json) against itself and against
the provisioning that loads it: valid JSON; unique panel ids and titles; every query panel on the
provisioned Prometheus data source, with targets that each have a refId and an expression; panels
inside the 24-column grid and not overlapping; every $variable defined; and every expression
parsed by promtool (as recording rules in a scratch file), so a typo fails here, before any
Prometheus runs. Usage: check_dashboard.py [--promtool PATH]"""

import argparse
import json
import re
import subprocess
import sys
import tempfile

import grid_observability as g

BUILTIN_VARIABLES = {"__rate_interval", "__interval", "__interval_ms", "__range", "__range_s", "__range_ms"}


def provisioned_datasource(errors):
    sources = []
    for path in sorted(g.DATASOURCES.glob("*.yml")) + sorted(g.DATASOURCES.glob("*.yaml")):
        sources += g.load_yaml(path).get("datasources", [])
    prometheus = [s for s in sources if s.get("type") == "prometheus"]
    if len(prometheus) != 1 or not prometheus[0].get("uid"):
        errors.append(f"expected one Prometheus data source with a uid in {g.DATASOURCES}, found {prometheus}")
        return None
    return prometheus[0]["uid"]


def check_datasource(where, datasource, uid, errors):
    if not isinstance(datasource, dict) or datasource.get("type") != "prometheus" or datasource.get("uid") != uid:
        errors.append(f"{where}: datasource {datasource!r} is not the provisioned Prometheus (uid {uid!r})")


def check_panels(dashboard, uid, errors):
    ids, titles, cells = set(), set(), {}
    variables = {v["name"] for v in g.template_variables(dashboard)} | BUILTIN_VARIABLES
    for panel in g.panels(dashboard):
        title = panel.get("title", "")
        where = f"panel {panel.get('id')} '{title}'"
        if panel.get("id") in ids:
            errors.append(f"{where}: duplicate id")
        ids.add(panel.get("id"))
        if not title or title in titles:
            errors.append(f"{where}: missing or duplicate title")
        titles.add(title)
        pos = panel.get("gridPos", {})
        if not all(isinstance(pos.get(k), int) for k in "xywh") or pos["x"] < 0 or pos["x"] + pos["w"] > 24:
            errors.append(f"{where}: gridPos {pos} is not inside the 24-column grid")
        else:
            for x in range(pos["x"], pos["x"] + pos["w"]):
                for y in range(pos["y"], pos["y"] + pos["h"]):
                    if (x, y) in cells:
                        errors.append(f"{where}: overlaps '{cells[(x, y)]}' at column {x}, row {y}")
                        break
                    cells[(x, y)] = title
                else:
                    continue
                break
        if panel.get("type") == "row":
            continue
        check_datasource(where, panel.get("datasource"), uid, errors)
        targets = panel.get("targets", [])
        if not targets:
            errors.append(f"{where}: no targets")
        ref_ids = [t.get("refId") for t in targets]
        if len(set(ref_ids)) != len(ref_ids) or not all(ref_ids):
            errors.append(f"{where}: refIds {ref_ids} must be present and unique")
        for target in targets:
            if "datasource" in target:
                check_datasource(f"{where} {target.get('refId')}", target["datasource"], uid, errors)
            expr = target.get("expr", "")
            if not expr.strip():
                errors.append(f"{where} {target.get('refId')}: empty expression")
            for name in re.findall(r"\$\{?(\w+)", expr):
                if name not in variables:
                    errors.append(f"{where} {target.get('refId')}: undefined variable ${name}")
    for variable in g.template_variables(dashboard):
        if variable.get("type") == "query":
            check_datasource(f"variable ${variable['name']}", variable.get("datasource"), uid, errors)
            if not g.variable_selector(variable):
                errors.append(f"variable ${variable['name']}: expected label_values(METRIC, LABEL)")


def check_promql(dashboard, promtool, errors):
    rules = []
    for index, (title, ref_id, expr) in enumerate(g.dashboard_targets(dashboard)):
        rules.append({"record": f"dashboard:target_{index}", "expr": g.substitute(expr, dashboard, "1m")})
    for variable in g.template_variables(dashboard):
        selector = g.variable_selector(variable)
        if selector:
            rules.append({"record": f"dashboard:variable_{variable['name']}", "expr": selector})
    with tempfile.NamedTemporaryFile("w", suffix=".yml") as scratch:
        json.dump({"groups": [{"name": "dashboard", "rules": rules}]}, scratch)  # JSON is YAML
        scratch.flush()
        result = subprocess.run([promtool, "check", "rules", scratch.name], capture_output=True, text=True)
    if result.returncode != 0:
        exprs = "\n".join(f"  dashboard:target_{i}: {r['expr']}" for i, r in enumerate(rules))
        errors.append(f"promtool cannot parse a dashboard expression:\n{result.stdout}{result.stderr}{exprs}")
    return len(rules)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--promtool", default="promtool")
    args = parser.parse_args()
    try:
        dashboard = g.load_dashboard()
    except json.JSONDecodeError as error:
        sys.exit(f"{g.DASHBOARD}: not valid JSON: {error}")
    errors = []
    for key in ("uid", "title", "panels", "schemaVersion"):
        if key not in dashboard:
            errors.append(f"dashboard has no '{key}'")
    uid = provisioned_datasource(errors)
    check_panels(dashboard, uid, errors)
    parsed = check_promql(dashboard, args.promtool, errors)
    for error in errors:
        print(f"FAILED: {error}", file=sys.stderr)
    if errors:
        sys.exit(1)
    print(f"dashboard ok: {sum(1 for _ in g.panels(dashboard))} panels, {parsed} expressions parsed by promtool")


if __name__ == "__main__":
    main()
