"""compose/docker-compose.yml as the checks see it: services with ${VAR:-default} resolved to the
default, and each of our nodes' command as a flag dictionary. With secure=True, the file with
compose/docker-compose.secure.yml laid over it as `docker compose -f A -f B` does."""

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


# Compose's merge of an override: sequences that name things (secrets, volumes, ports) are joined,
# mappings merge key by key, anything else (command, a healthcheck's test) is replaced.
JOINED_KEYS = {"secrets", "volumes", "ports"}


def merge(base, override, key=None):
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for name, value in override.items():
            merged[name] = merge(base[name], value, name) if name in base else value
        return merged
    if key in JOINED_KEYS and isinstance(base, list) and isinstance(override, list):
        return base + [item for item in override if item not in base]
    return override


def document(secure=False):
    """The whole compose file (merged with the secure override), defaults resolved."""
    data = g.load_yaml(g.COMPOSE)
    if secure:
        data = merge(data, g.load_yaml(g.COMPOSE_SECURE))
    return resolve_defaults(data)


def services(secure=False):
    return document(secure)["services"]


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


def node_services(secure=False):
    """name -> (binary, argv) for the services that run one of our nodes."""
    nodes = {}
    for name, service in services(secure).items():
        argv = command(service)
        if argv and argv[0] in OUR_IMAGE_BINARIES:
            nodes[name] = (argv[0], argv)
    return nodes
