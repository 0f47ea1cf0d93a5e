#!/usr/bin/env python3
"""Prints every PromQL expression of the Grafana dashboard and of the alert rules, one per line,
as the integration test (tests/integration/observability_test.cpp) evaluates them against a real
Prometheus scraping the native grid:

    EXPECT<TAB>WHERE<TAB>EXPR

EXPECT is `data` (the query must succeed and return at least one series once the grid has served
charge requests), `succeeds` (it must evaluate without error; empty is fine: an alert that does
not fire) or `may-be-empty` (a dashboard query whose series appear only with a rare event).
Dashboard template variables are set to "All" and $__rate_interval to --rate-interval.
"""

import argparse

import grid_observability as g

# Dashboard queries that may rightly be empty on a healthy grid under load, with the reason.
MAY_BE_EMPTY = {
    ("Messages dropped", "A"): "the balancer creates a reason's series at its first drop",
    ("Messages dropped", "B"): "a substation creates a reason's series at its first drop",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate-interval", default="1m", help="what $__rate_interval stands for (default 1m)")
    args = parser.parse_args()

    dashboard = g.load_dashboard()
    lines = []
    for variable in g.template_variables(dashboard):
        selector = g.variable_selector(variable)
        if selector:
            lines.append(("data", f"dashboard variable ${variable['name']}", selector))
    used = set()
    for title, ref_id, expr in g.dashboard_targets(dashboard):
        expect = "may-be-empty" if (title, ref_id) in MAY_BE_EMPTY else "data"
        used.add((title, ref_id))
        lines.append((expect, f"dashboard panel '{title}' {ref_id}", g.substitute(expr, dashboard, args.rate_interval)))
    stale = set(MAY_BE_EMPTY) - used
    if stale:
        raise SystemExit(f"extract_queries.py: MAY_BE_EMPTY names targets the dashboard lacks: {sorted(stale)}")
    for name, expr in g.alert_rules():
        lines.append(("succeeds", f"alert {name}", expr))
        for probe in g.probes(expr):
            lines.append(("data", f"alert {name} without its threshold", probe))
    for expect, where, expr in lines:
        print(f"{expect}\t{where}\t{g.one_line(expr)}")


if __name__ == "__main__":
    main()
