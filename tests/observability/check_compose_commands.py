#!/usr/bin/env python3
"""Runs each compose service's command with the binaries built here, so a flag that a node does
not know (or a value it refuses) fails now, not at `docker compose up`. Listen and bind addresses
move to free loopback ports (other grids may run on this machine); peers keep their compose
host names, which do not resolve here: ZeroMQ resolves on connect, so the node still starts.
A state file (--state) moves to a temporary directory (its volume exists only in compose).
A node passes when it serves its port and then stops with 0 on SIGTERM; the load generator,
aimed at a closed port for one vehicle, when it runs to its end (0, or 1 for the failed request)
rather than stopping at its flags.
With --secure --keygen PATH: the commands of docker-compose.yml with docker-compose.secure.yml over
it, with keys and a certificate made by scripts/compose-keys in a temporary directory standing in
for compose/keys (each /run/secrets/NAME and mounted /run/keys/ path becomes its file there), so
the nodes start on CURVE and HTTPS exactly as the override configures them.
Usage: check_compose_commands.py [--secure --keygen PATH] --binary grid-balancer=PATH [--binary ...]"""

import argparse
import pathlib
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time

import compose_file as c

LISTEN_FLAGS = {"--metrics", "--listen"}
STATE_DIR = tempfile.TemporaryDirectory(prefix="compose-state-")


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port):
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def container_paths(document, service, keys_dir):
    """{path in the container: local path} for a service's secrets and ./keys mounts."""
    def local(source):
        return str(keys_dir / source.removeprefix("./keys/")) if source.startswith("./keys/") else None
    paths = {}
    for entry in service.get("secrets", []):
        name = entry["source"] if isinstance(entry, dict) else entry
        target = entry.get("target", f"/run/secrets/{name}") if isinstance(entry, dict) else f"/run/secrets/{name}"
        paths[target] = local(document.get("secrets", {}).get(name, {}).get("file", ""))
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        paths[target] = local(source)
    return {target: path for target, path in paths.items() if path}


def localize(binary, argv, paths=None):
    """argv with local addresses (and local key files for the container's); the port to wait for
    (None for the load generator)."""
    result, wait_port = [argv[0]], None
    for arg in argv[1:]:
        name, sep, value = arg.partition("=")
        if not sep:
            result.append(arg)
            continue
        if paths and value in paths:
            value = paths[value]
        elif name in LISTEN_FLAGS:
            wait_port = free_port()
            value = f"127.0.0.1:{wait_port}"
        elif name == "--state":
            value = f"{STATE_DIR.name}/{value.rsplit('/', 1)[-1]}"
        elif re.fullmatch(r"tcp://\*:\d+", value):
            value = f"tcp://127.0.0.1:{free_port()}"
        elif binary == "grid-loadgen" and name == "--target":
            scheme = "tcp" if value.startswith("tcp://") else "http"
            value = f"{scheme}://127.0.0.1:{free_port()}"
        elif binary == "grid-loadgen" and name == "--vehicles":
            value = "1"
        result.append(f"{name}={value}")
    return result, wait_port


def run(name, binary_path, argv, wait_port):
    process = subprocess.Popen([binary_path, *argv[1:]], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 15
    if wait_port is None:
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            return f"{name}: still running after 30 s: {' '.join(argv)}"
        return None if process.returncode in (0, 1) else f"{name}: exit {process.returncode}:\n{output}"
    while not port_open(wait_port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            output, _ = process.communicate()
            return f"{name}: did not serve port {wait_port} (exit {process.returncode}): {' '.join(argv)}\n{output}"
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        return f"{name}: did not stop within 5 s of SIGTERM\n{output}"
    return None if process.returncode == 0 else f"{name}: exit {process.returncode} after SIGTERM\n{output}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", action="append", default=[], metavar="NAME=PATH")
    parser.add_argument("--secure", action="store_true", help="the commands with docker-compose.secure.yml over them")
    parser.add_argument("--keygen", help="grid-keygen, for scripts/compose-keys (with --secure)")
    args = parser.parse_args()
    if args.secure and not args.keygen:
        parser.error("--secure needs --keygen")
    binaries = dict(item.split("=", 1) for item in args.binary)
    with tempfile.TemporaryDirectory() as scratch:
        keys_dir = pathlib.Path(scratch) / "keys"
        document = c.document(args.secure)
        if args.secure:
            made = subprocess.run([str(c.g.ROOT / "scripts/compose-keys"), "--dir", str(keys_dir), "--keygen", args.keygen],
                                  capture_output=True, text=True)
            if made.returncode != 0:
                sys.exit(f"FAILED: scripts/compose-keys: {made.stdout}{made.stderr}")
        check(document, binaries, keys_dir if args.secure else None)


def check(document, binaries, keys_dir):
    failures, checked = [], []
    for name, (binary, argv) in sorted(c.node_services(keys_dir is not None).items()):
        if binary not in binaries:
            print(f"skipped {name}: {binary} is not built")
            continue
        paths = container_paths(document, document["services"][name], keys_dir) if keys_dir else None
        local_argv, wait_port = localize(binary, argv, paths)
        failure = run(name, binaries[binary], local_argv, wait_port)
        if failure:
            failures.append(failure)
        checked.append(name)
    for failure in failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    if failures:
        sys.exit(1)
    print(f"compose commands ok: {', '.join(checked)}")


if __name__ == "__main__":
    main()
