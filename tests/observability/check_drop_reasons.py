#!/usr/bin/env python3
"""Keeps the reasons each node registers at 0 for its *_messages_dropped_total true to the code
and to docs/metrics.md: every reason a node drops with (a drop("...") or dropped("...") call in
apps/<node>/) must be one it registers at start (the codec's reasons, proto::reason_label, plus
the node_drop_reasons of its *_metrics.h), and every registered reason must be listed in
docs/metrics.md: a node's own in its metric's row, the codec's in the substation's row (the
others refer to it as "a decode error"). A reason missing from the list would still be counted, but its
series would only appear with the first drop, and the dashboard panel would say "No data"
until then. Usage: check_drop_reasons.py"""

import re
import sys

import grid_observability as g

NODES = {
    "balancer": ("apps/balancer/balancer_metrics.h", "balancer_messages_dropped_total"),
    "substation": ("apps/substation/substation_metrics.h", "substation_messages_dropped_total"),
    "edge": ("apps/edge/edge_metrics.h", "edge_messages_dropped_total"),
}
DROP_CALL = re.compile(r"\bdrop(?:ped)?\(([^;]*)\);")
STRING = re.compile(r'"([a-z_]+)"')


def codec_reasons():
    text = (g.ROOT / "libgrid/src/proto/codec.cpp").read_text(encoding="utf-8")
    return set(re.findall(r'case DecodeError::\w+:\s*return "([a-z_]+)"', text))


def registered(header):
    text = (g.ROOT / header).read_text(encoding="utf-8")
    match = re.search(r"node_drop_reasons\{([^}]*)\}", text)
    return set(STRING.findall(match.group(1))) if match else set()


def dropped_in_code(node):
    reasons = set()
    for path in (g.ROOT / "apps" / node).glob("*.cpp"):
        if path.name.endswith("_metrics.cpp"):  # where the counters are registered, not used
            continue
        for call in DROP_CALL.findall(path.read_text(encoding="utf-8")):
            first_argument = call.split(",")[0]  # the balancer's drop() also names the socket
            reasons.update(STRING.findall(first_argument))
    return reasons


def docs_row(metric):
    for line in (g.ROOT / "docs/metrics.md").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"| `{metric}` |"):
            return line
    return ""


def main():
    errors = []
    codec = codec_reasons()
    if len(codec) < 8:
        errors.append(f"found only {len(codec)} codec reasons in reason_label: has it changed shape?")
    for node, (header, metric) in NODES.items():
        own = registered(header)
        if not own:
            errors.append(f"{header}: no node_drop_reasons list")
        at_start = codec | own
        for reason in sorted(dropped_in_code(node) - at_start):
            errors.append(f"{node} drops with reason '{reason}', which {header} does not register at 0")
        row = docs_row(metric)
        if "decode error" not in row:
            errors.append(f"docs/metrics.md: the row of {metric} does not mention the decode errors")
        for reason in sorted(own):
            if f"`{reason}`" not in row:
                errors.append(f"docs/metrics.md: the row of {metric} does not list reason `{reason}`")
    substation_row = docs_row(NODES["substation"][1])
    for reason in sorted(codec):
        if f"`{reason}`" not in substation_row:
            errors.append(f"docs/metrics.md: the substation's dropped row does not list decode error `{reason}`")
    for error in errors:
        print(f"FAILED: {error}", file=sys.stderr)
    if errors:
        sys.exit(1)
    print(f"drop reasons ok: {len(codec)} from the codec, each node's own registered and documented")


if __name__ == "__main__":
    main()
