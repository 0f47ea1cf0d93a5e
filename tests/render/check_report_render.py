#!/usr/bin/env python3
"""The run report as a person sees it: writes the example report (grid_report_example), renders it
with headless Chromium through scripts/render-report, and checks that the screenshot is a real
picture of the page's size, that Chromium logged nothing on the console, and that the DOM Chromium
built holds every chart and series the report promises. Fails (never skips) without Chromium.
Usage: check_report_render.py --example PATH --render PATH [--keep DIR]"""

import argparse
import html.parser
import pathlib
import shutil
import struct
import subprocess
import sys
import tempfile

WIDTH, HEIGHT = 1200, 2000
# A blank page of this size is a few KB; the example's charts make well over 50 KB.
MIN_PNG_BYTES = 50_000
# Each step waits on its process; the ctest TIMEOUT (60 s) is only the backstop.
STEP_TIMEOUT_S = 25

# chart -> series every such chart must draw, in the fixture of tests/render/example_run.cpp.
EXPECTED = {
    "allocated": {"allocated", "limit", "capacity"},
    "sessions": {"charging", "paused"},
    "latency": {"latency", "p50", "p99"},
    "spread": {"sessions", "energy", "fair"},
}
SUBSTATIONS = {"north", "south", "east"}
DEAD = {"east"}  # dead for 45 minutes in the fixture


class Charts(html.parser.HTMLParser):
    """Collects each <svg class="chart"> with the data-series drawn inside it."""

    def __init__(self):
        super().__init__()
        self.charts = []  # (attributes of the svg, set of series)
        self.current = None
        self.tags = set()
        self.report_end = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.add(tag)
        if tag == "svg" and "chart" in (attributes.get("class") or "").split():
            self.current = (attributes, set())
            self.charts.append(self.current)
        elif self.current is not None and "data-series" in attributes:
            self.current[1].add(attributes["data-series"])
        if tag == "footer" and "data-report-end" in attributes:
            self.report_end = True

    def handle_endtag(self, tag):
        if tag == "svg":
            self.current = None


def png_size(path):
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def check_png(png, failures):
    if not png.exists():
        failures.append(f"no screenshot at {png}")
        return
    size = png_size(png)
    if size != (WIDTH, HEIGHT):
        failures.append(f"screenshot is {size}, expected a PNG of {WIDTH}x{HEIGHT}")
    if png.stat().st_size < MIN_PNG_BYTES:
        failures.append(f"screenshot has only {png.stat().st_size} bytes: a blank page?")


def check_dom(dom, failures):
    parser = Charts()
    parser.feed(dom)
    if not parser.report_end:
        failures.append("the DOM has no <footer data-report-end>: the page was not parsed to its end")
    if "script" in parser.tags:
        failures.append("the page has a <script>")
    by_chart = {}
    for attributes, series in parser.charts:
        by_chart.setdefault(attributes.get("data-chart"), []).append((attributes, series))
    for chart, expected in EXPECTED.items():
        if chart not in by_chart:
            failures.append(f"no <svg class=\"chart\" data-chart=\"{chart}\">")
        for attributes, series in by_chart.get(chart, []):
            name = f"{chart} chart" + (f" of {attributes['data-substation']}" if "data-substation" in attributes else "")
            if not expected <= series:
                failures.append(f"the {name} lacks series {sorted(expected - series)} (has {sorted(series)})")
    allocated = {a.get("data-substation"): s for a, s in by_chart.get("allocated", [])}
    if set(allocated) != SUBSTATIONS:
        failures.append(f"allocated charts for {sorted(k or '?' for k in allocated)}, expected {sorted(SUBSTATIONS)}")
    for substation, series in allocated.items():
        if ("dead" in series) != (substation in DEAD):
            failures.append(f"the dead shading on {substation} is {'there' if 'dead' in series else 'missing'}")
    print(f"DOM: {len(parser.charts)} charts: "
          + ", ".join(f"{a.get('data-chart')}{'/' + a['data-substation'] if 'data-substation' in a else ''}"
                      for a, _ in parser.charts))


def main():
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--example", required=True, help="the grid_report_example binary")
    arguments.add_argument("--render", required=True, help="scripts/render-report")
    arguments.add_argument("--keep", help="copy the report, PNG and DOM into this directory")
    options = arguments.parse_args()

    if shutil.which("chromium") is None:
        print("FAILED: chromium is not installed; the report cannot be looked at. "
              "scripts/install-deps installs it (apt-get install chromium).")
        return 1
    with tempfile.TemporaryDirectory(prefix="grid-report-render-") as scratch:
        work = pathlib.Path(scratch)
        report, png, dom, console = work / "report.html", work / "report.png", work / "dom.html", work / "console.log"
        try:
            subprocess.run([options.example, str(report)], check=True, timeout=STEP_TIMEOUT_S)
            # Two Chromium runs (screenshot, DOM), each with its own timeout inside render-report.
            subprocess.run([options.render, str(report), str(png), "--size", f"{WIDTH},{HEIGHT}", "--dom", str(dom),
                            "--console", str(console), "--timeout", str(STEP_TIMEOUT_S)],
                           check=True, timeout=2 * STEP_TIMEOUT_S + 5)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
            print(f"FAILED: {error}")
            return 1
        failures = []
        check_png(png, failures)
        if console.exists() and console.read_text().strip():
            failures.append("Chromium's console logged:\n" + console.read_text())
        check_dom(dom.read_text(), failures)
        if options.keep:
            for path in (report, png, dom):
                shutil.copy(path, options.keep)
    for failure in failures:
        print(f"FAILED: {failure}")
    print(f"{len(failures)} problems with the rendered report")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
