"""Shared pieces of the Document Server simulator (TEST DOUBLE, not the real server).

Used by init.py (PID 1, the start script + supervisor) and docservice.py (the
stand-in for the Node.js docservice). Standard library only.
"""
import datetime
import errno
import json
import os
import socket
import sys
import threading
import urllib.parse

VERSION = os.environ.get("SIM_VERSION") or "9.4.0"
BUILD = os.environ.get("SIM_BUILD") or "1"
# SIM_EDITION: which image is simulated, and the packageType it reports (/index.html,
# info.json): `community` is onlyoffice/documentserver, `enterprise` the -ee/-de images.
EDITIONS = {"community": 0, "enterprise": 1}
EDITION = (os.environ.get("SIM_EDITION") or "community").strip().lower()
PACKAGE_TYPE = EDITIONS.get(EDITION)  # None for an unknown edition: init.py refuses to start

LOG_DIR = "/var/log/onlyoffice/documentserver"
DOCSERVICE_LOG = LOG_DIR + "/docservice/out.log"
CONF_DIR = "/etc/onlyoffice/documentserver"
LOCAL_JSON = CONF_DIR + "/local.json"
RUN_DIR = "/run/docops-sim"
# Names written here (one per line) are treated like SIM_DEPENDENCY_DOWN, so a test
# can take an internal dependency down and bring it back without a restart.
DEPENDENCY_DOWN_FILE = RUN_DIR + "/dependency-down"

_log_lock = threading.Lock()


def env_flag(name, default):
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    return value not in ("false", "0", "no", "off")


def env_float(name, default):
    try:
        return float(os.environ.get(name) or default)
    except ValueError:
        return float(default)


def sim_node():
    """SIM_NODE, or the container's hostname: the X-Docops-Sim-Node value docservice sends."""
    return os.environ.get("SIM_NODE") or socket.gethostname()


def sim_node_problem(node):
    """None when node can be a header value as it is, else why not (init.py refuses to start)."""
    if any(not " " <= char <= "~" for char in node):
        return "only printable ASCII is allowed"
    if node != node.strip():
        return "no leading or trailing spaces"
    return None


def log4js_line(level, message, doc_id="docId", user_id="userId"):
    """One line in the docservice's log4js pattern: [%d] [%p] [tenant] [doc] [user] nodeJS - msg."""
    stamp = datetime.datetime.now().isoformat(timespec="milliseconds")
    return "[%s] [%s] [localhost] [%s] [%s] nodeJS - %s" % (stamp, level, doc_id, user_id, message)


def ds_log(level, message, doc_id="docId", user_id="userId"):
    """docservice logging: the container's stdout AND docservice/out.log, like the real image."""
    line = log4js_line(level, message, doc_id, user_id)
    with _log_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        try:
            with open(DOCSERVICE_LOG, "a") as handle:
                handle.write(line + "\n")
        except OSError:
            pass


class Dependency:
    """A database, broker or cache the docservice needs: internal (in the container) or external."""

    def __init__(self, kind, host, port, external):
        self.kind = kind
        self.host = host
        self.port = port
        self.external = external


def _amqp_host_port(uri):
    parsed = urllib.parse.urlsplit(uri)
    return parsed.hostname or "localhost", parsed.port or 5672


def dependencies():
    """The three dependencies, read from the same env variables the real start script reads.

    A host other than `localhost` counts as external (the real script's rule); otherwise
    the dependency is the container's own service on 127.0.0.1, which the simulator
    treats as up unless SIM_DEPENDENCY_DOWN names it.
    """
    db_host = os.environ.get("DB_HOST") or "localhost"
    db_port = int(os.environ.get("DB_PORT") or 5432)
    amqp_host, amqp_port = _amqp_host_port(os.environ.get("AMQP_URI") or "amqp://guest:guest@localhost")
    redis_host = os.environ.get("REDIS_SERVER_HOST") or "localhost"
    redis_port = int(os.environ.get("REDIS_SERVER_PORT") or 6379)
    result = []
    for kind, host, port in (("postgresql", db_host, db_port), ("rabbitmq", amqp_host, amqp_port),
                             ("redis", redis_host, redis_port)):
        external = host != "localhost"
        result.append(Dependency(kind, host if external else "127.0.0.1", port, external))
    return result


def watched_by_docservice(dep):
    """Whether docservice itself uses this dependency once it runs (DESIGN.md 7a).

    The community edition keeps editor data in memory (editorDataStorage is
    editorDataMemory), so it has no Redis client: Redis going down after the start
    changes nothing there. The enterprise/developer editions keep it in Redis. The start
    script waits for the Redis port in both editions.
    """
    return not (dep.kind == "redis" and EDITION == "community")


def forced_down():
    """Dependencies declared down by SIM_DEPENDENCY_DOWN or the control file."""
    names = set((os.environ.get("SIM_DEPENDENCY_DOWN") or "").replace(",", " ").split())
    try:
        with open(DEPENDENCY_DOWN_FILE) as handle:
            names.update(handle.read().replace(",", " ").split())
    except OSError:
        pass
    return names


def connect_error(host, port, timeout=1.0):
    """None when a TCP connect to host:port succeeds, else a Node.js-style error text."""
    try:
        address = socket.gethostbyname(host)
    except OSError:
        return "getaddrinfo ENOTFOUND %s" % host
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return None
    except socket.timeout:
        return "connect ETIMEDOUT %s:%d" % (address, port)
    except OSError as exc:
        name = errno.errorcode.get(exc.errno, "ECONNREFUSED")
        return "connect %s %s:%d" % (name, address, port)


def dependency_error(dep, down_names=None):
    """None when the dependency is up, else the error the docservice would log."""
    if dep.kind in (forced_down() if down_names is None else down_names):
        try:
            address = socket.gethostbyname(dep.host)
        except OSError:
            address = dep.host
        return "connect ECONNREFUSED %s:%d" % (address, dep.port)
    if dep.external:
        return connect_error(dep.host, dep.port)
    return None


def read_local_json():
    with open(LOCAL_JSON) as handle:
        return json.load(handle)
