"""compose/docker-compose.yml as the checks see it: services with ${VAR:-default} resolved to the
default, and each of our nodes' command as a flag dictionary."""

import re

import grid_observability as g

OUR_IMAGE_BINARIES = ("grid-balancer", "grid-substation", "grid-edge", "grid-loadgen")


def resolve_defaults(value):
    """${VAR:-default} and ${VAR-default} as compose would with VAR unset."""
    if isinstance(value, str):
        return re.sub(r"\$\{\w+:?-([^}]*)\}", r"\1", value)
    if isinstance(value, list):
        return [resolve_defaults(item) for item in value]
    if isinstance(value, dict):
        return {key: resolve_defaults(item) for key, item in value.items()}
    return value


def services():
    return resolve_defaults(g.load_yaml(g.COMPOSE)["services"])


def command(service):
    value = service.get("command", [])
    return value.split() if isinstance(value, str) else list(value)


def flags(argv):
    """{"--flag": [values...]} from --flag=value and --flag value."""
    result, i = {}, 1
    while i < len(argv):
        arg = argv[i]
        if "=" in arg and arg.startswith("--"):
            name, value = arg.split("=", 1)
        elif i + 1 < len(argv) and not argv[i + 1].startswith("--"):
            name, value = arg, argv[i + 1]
            i += 1
        else:
            name, value = arg, ""
        result.setdefault(name, []).append(value)
        i += 1
    return result


def node_services():
    """name -> (binary, argv) for the services that run one of our nodes."""
    nodes = {}
    for name, service in services().items():
        argv = command(service)
        if argv and argv[0] in OUR_IMAGE_BINARIES:
            nodes[name] = (argv[0], argv)
    return nodes
