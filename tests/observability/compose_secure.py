"""Checks of compose/docker-compose.secure.yml beyond those of the plain file: the secrets it
names, the key flags of every node, one key pair shared by every balancer, that its commands stay the base commands plus key flags, and
that prometheus.secure.yml is prometheus.yml with only the edge's job over HTTPS."""

import copy
import re

import compose_file as c
import grid_observability as g

# The flags the override adds to a node's command, and nothing else.
KEY_FLAGS = {"--curve-secret", "--curve-allow-substations", "--curve-allow-clients", "--balancer-key",
             "--tls-cert", "--tls-key"}
# What each kind of node needs to be on CURVE (the edge also serves HTTPS).
REQUIRED = {"grid-balancer": {"--curve-secret", "--curve-allow-substations", "--curve-allow-clients"},
            "grid-substation": {"--curve-secret", "--balancer-key"},
            "grid-edge": {"--curve-secret", "--balancer-key", "--tls-cert", "--tls-key"},
            "grid-loadgen": {"--curve-secret", "--balancer-key"}}
SECRET_PATH = re.compile(r"/run/secrets/([\w.-]+)$")


def secret_name(service, secret):
    """A service's secrets entry (short name or long syntax) -> (secret, path in the container)."""
    if isinstance(secret, dict):
        return secret["source"], secret.get("target", f"/run/secrets/{secret['source']}")
    return secret, f"/run/secrets/{secret}"


def check_secrets(document, nodes, errors):
    declared = document.get("secrets", {})
    for name, secret in declared.items():
        if not str(secret.get("file", "")).startswith("./keys/"):
            errors.append(f"secret {name}: file {secret.get('file')} is not under ./keys/ (scripts/compose-keys)")
    used = set()
    for service_name, service in document["services"].items():
        mounted = {}
        for entry in service.get("secrets", []):
            secret, target = secret_name(service_name, entry)
            used.add(secret)
            mounted[target] = secret
            if secret not in declared:
                errors.append(f"{service_name}: secret {secret} is not declared under secrets:")
        volume_targets = {volume.split(":")[1] for volume in service.get("volumes", []) if ":" in volume}
        argv = c.command(service)
        for flag, values in c.flags(argv).items() if service_name in nodes else []:
            for value in values:
                if value.startswith("/run/secrets/") and value not in mounted:
                    errors.append(f"{service_name}: {flag}={value} but the service mounts no such secret")
                if value.startswith("/run/keys/") and value not in volume_targets:
                    errors.append(f"{service_name}: {flag}={value} but the service mounts nothing there")
    for name in declared:
        if name not in used:
            errors.append(f"secret {name} is declared but no service uses it")
    return declared


def secret_file(document, service, path):
    """The host file (./keys/...) behind a /run/secrets/ path of a service, or None."""
    match = SECRET_PATH.match(path)
    if not match:
        return None
    for entry in service.get("secrets", []):
        secret, target = secret_name("", entry)
        if target == path:
            return document.get("secrets", {}).get(secret, {}).get("file")
    return None


def check_keys(document, nodes, errors):
    for name, (binary, argv) in nodes.items():
        service = document["services"][name]
        node_flags = c.flags(argv)
        missing = REQUIRED.get(binary, set()) - node_flags.keys()
        if missing:
            errors.append(f"{name}: runs without {sorted(missing)} in the secure override")
        if binary == "grid-substation":
            # The balancer binds a substation's id to the name of its key file in the allow directory.
            node_id = node_flags.get("--id", [""])[0]
            key = secret_file(document, service, node_flags.get("--curve-secret", [""])[0])
            if key != f"./keys/{node_id}.key_secret":
                errors.append(f"{name}: --id {node_id} but its secret key is {key}, not ./keys/{node_id}.key_secret")
        if binary == "grid-edge" and "--tls-cert" in node_flags:
            test = service.get("healthcheck", {}).get("test", [])
            if "--tls" not in test:
                errors.append(f"{name}: serves HTTPS but its healthcheck {test} does not speak TLS (node-healthcheck --tls)")


def check_one_balancer_key(document, nodes, errors):
    """All balancers of one grid hold one server key pair: the clients know one balancer key."""
    secrets = {name: secret_file(document, document["services"][name], c.flags(argv).get("--curve-secret", [""])[0])
               for name, (binary, argv) in nodes.items() if binary == "grid-balancer"}
    if len(set(secrets.values())) > 1:
        errors.append(f"the balancers must share one server key pair, they use {secrets}")


def check_commands_follow_base(errors):
    """The override repeats each node's command (compose replaces commands): the same, plus key flags."""
    base = c.node_services()
    for name, (binary, argv) in c.node_services(secure=True).items():
        if name not in base:
            errors.append(f"{name}: a node service of the secure override only")
            continue
        base_argv = base[name][1]
        extra = [arg for arg in argv if arg not in base_argv]
        dropped = [arg for arg in base_argv if arg not in argv and not (binary == "grid-loadgen" and arg.startswith("--target"))]
        if dropped:
            errors.append(f"{name}: the secure override's command lacks {dropped} of docker-compose.yml's")
        for arg in extra:
            flag = arg.split("=", 1)[0]
            if flag not in KEY_FLAGS and not (binary == "grid-loadgen" and flag == "--target"):
                errors.append(f"{name}: the secure override adds {arg}, which is not a key flag")


def without_edge_tls(config):
    config = copy.deepcopy(config)
    for job in config.get("scrape_configs", []):
        if job.get("job_name") == "edge":
            job.pop("scheme", None)
            job.pop("tls_config", None)
    return config


def check_prometheus(document, errors):
    plain = g.load_yaml(g.PROMETHEUS_CONFIG)
    secure = g.load_yaml(g.PROMETHEUS_SECURE_CONFIG)
    if without_edge_tls(secure) != plain:
        errors.append("prometheus.secure.yml differs from prometheus.yml in more than the edge job's scheme and tls_config")
    edge_jobs = [job for job in secure.get("scrape_configs", []) if job.get("job_name") == "edge"]
    if not edge_jobs or edge_jobs[0].get("scheme") != "https":
        errors.append("prometheus.secure.yml: the edge job must scrape with scheme: https")
        return
    ca_file = edge_jobs[0].get("tls_config", {}).get("ca_file", "")
    prometheus = document["services"].get("prometheus", {})
    if secret_file(document, prometheus, ca_file) != secret_file(document, document["services"]["edge"],
                                                                   c.flags(c.command(document["services"]["edge"]))
                                                                   .get("--tls-cert", [""])[0]):
        errors.append(f"prometheus.secure.yml: ca_file {ca_file} is not the edge's certificate mounted into prometheus")


def check(errors):
    document = c.document(secure=True)
    nodes = c.node_services(secure=True)
    check_secrets(document, nodes, errors)
    check_keys(document, nodes, errors)
    check_one_balancer_key(document, nodes, errors)
    check_commands_follow_base(errors)
    check_prometheus(document, errors)
