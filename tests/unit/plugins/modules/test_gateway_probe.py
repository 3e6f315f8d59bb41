from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from docker.errors import APIError, NotFound

from ansible_collections.docops.onlyoffice.plugins.module_utils import _docker
from ansible_collections.docops.onlyoffice.plugins.modules import gateway_probe
from ansible_collections.docops.onlyoffice.tests.unit.plugins.modules.module_runner import Exit, Fail, outcome_runner
from ansible_collections.docops.onlyoffice.tests.unit.plugins.net_helpers import closed_port

FAST = {"interval": 0.02}


@pytest.fixture
def run(monkeypatch):
    return outcome_runner(monkeypatch, gateway_probe)


class ScriptedHandler(BaseHTTPRequestHandler):
    """Answers /healthcheck from the server's script in order, then repeats the last answer."""
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        server = self.server
        with server.lock:
            status, body = server.script[0] if len(server.script) == 1 else server.script.pop(0)
            server.requests.append((self.path, self.headers.get("Host")))
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def documentserver():
    servers = []

    def start(*script):
        server = ThreadingHTTPServer(("127.0.0.1", 0), ScriptedHandler)
        server.script, server.requests, server.lock = list(script), [], threading.Lock()
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()
        servers.append((server, thread))
        return "http://127.0.0.1:%d" % server.server_address[1], server

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(2)


TRUE, FALSE, BAD_GATEWAY = (200, "true"), (200, "false"), (502, "<html>502 Bad Gateway</html>")


@pytest.mark.parametrize("args, message", [
    ({"url": "127.0.0.1:8080"}, "url: "),
    ({"url": "ftp://127.0.0.1"}, "url: "),
    ({"successes": 0}, "successes must be >= 1 and <= 1000, got 0"),
    ({"successes": -3}, "successes must be >= 1 and <= 1000, got -3"),
    ({"budget": 0}, "budget must be > 0 and <= 3600, got 0"),
    ({"budget": -1}, "budget must be > 0 and <= 3600, got -1"),
    ({"budget": "nan"}, "budget must be a finite number, got nan"),
    ({"budget": "inf"}, "budget must be a finite number, got inf"),
    ({"budget": 1e30}, "budget must be > 0 and <= 3600, got 1e+30"),
    ({"interval": 0}, "interval must be > 0 and <= 60, got 0"),
    ({"interval": -1}, "interval must be > 0"),
    ({"interval": "nan"}, "interval must be a finite number, got nan"),
    ({"interval": 61}, "interval must be > 0 and <= 60, got 61"),
    ({"timeout": 0}, "timeout must be > 0 and <= 300, got 0"),
    ({"timeout": "-inf"}, "timeout must be a finite number, got -inf"),
    ({"timeout": 301}, "timeout must be > 0 and <= 300, got 301"),
    ({"stable_for": -1}, "stable_for must be >= 0 and <= 3600, got -1"),
    ({"stable_for": "nan"}, "stable_for must be a finite number, got nan"),
    ({"stable_for": 1e30}, "stable_for must be >= 0 and <= 3600, got 1e+30"),
    ({"stable_for": 10, "budget": 10},
     "stable_for (10s) must be shorter than budget (10s): the streak of healthy answers must fit inside one run; "
     "raise budget or lower stable_for"),
    ({"stable_for": 30}, "stable_for (30s) must be shorter than budget (10s)"),
    ({"docker_timeout": 0}, "docker_timeout must be >= 1 and <= 3600, got 0"),
    ({"headers": {"X-Test": "a\r\nInjected: 1"}}, "headers: header 'X-Test' has a line break or NUL character"),
    ({"headers": {"X-Te\nst": "a"}}, "headers: header 'X-Te\\nst' has a line break"),
    ({"headers": {"X-Test": "a\0b"}}, "headers: header 'X-Test' has a line break or NUL character"),
    ({"ca_path": "/nonexistent/ca.pem"}, "ca_path: /nonexistent/ca.pem is not a file"),
    ({"container": " "}, "container: give the name of a Docker container, or leave the option out"),
])
def test_bad_parameters(run, args, message):
    kind, result = run(dict({"url": "http://127.0.0.1:1"}, **args))
    assert kind is Fail and result["msg"].startswith(message), result["msg"]
    assert "\n" not in result["msg"]
    assert "ready" not in result  # failed before probing anything


@pytest.mark.parametrize("name, value, message", [
    ("successes", 1e30, "successes must be >= 1 and <= 1000, got 1000000000000000019884624838656"),
    ("successes", "1e30", "successes must be >= 1 and <= 1000, got 1000000000000000000000000000000"),
    ("docker_timeout", 1e30, "docker_timeout must be >= 1 and <= 3600, got 1000000000000000019884624838656"),
])
def test_huge_integers(run, name, value, message):
    """ansible-core 2.19 turns 1e30 into an int, which the range refuses; 2.16 refuses to convert it."""
    kind, result = run({"url": "http://127.0.0.1:1", name: value})
    assert kind is Fail and "ready" not in result
    assert result["msg"] == message or result["msg"].startswith("argument '%s' is of type" % name), result["msg"]


def test_nan_budget_fails_at_once(run):
    """It used to hang: no deadline is ever reached with a budget of nan."""
    started = time.monotonic()
    kind, result = run({"url": "http://127.0.0.1:1", "budget": "nan"})
    assert kind is Fail and time.monotonic() - started < 1


def test_ready_through_the_fonts_restart(run, documentserver):
    url, server = documentserver(BAD_GATEWAY, BAD_GATEWAY, TRUE, BAD_GATEWAY, TRUE, TRUE, TRUE)
    kind, result = run(dict(FAST, url=url + "/"))
    assert kind is Exit and result["ready"] and not result["changed"]
    assert result["attempts"] == 7 and result["consecutive"] == 3
    assert [(entry["obs"], entry["count"]) for entry in result["history"]] == [
        ("502", 2), ("true", 1), ("502", 1), ("true", 3)]
    assert result["url"] == url + "/healthcheck"
    assert result["last"]["status"] == 200 and result["last"]["body"] == "true"
    assert set(result["last"]["timings"]) == {"connect", "tls", "first_byte", "total"}
    assert all(path == "/healthcheck" for path, _host in server.requests)


def test_check_mode_probes_too(run, documentserver):
    url, _server = documentserver(TRUE)
    kind, result = run(dict(FAST, url=url, successes=2), check_mode=True)
    assert kind is Exit and result["ready"] and not result["changed"] and result["attempts"] == 2


def test_headers_are_sent(run, documentserver):
    url, server = documentserver(TRUE)
    kind, result = run(dict(FAST, url=url, successes=1, headers={"Host": "office.example.test"}))
    assert kind is Exit and result["ready"]
    assert server.requests == [("/healthcheck", "office.example.test")]


def test_not_ready_returns_without_failing(run, documentserver):
    url, _server = documentserver(FALSE)
    kind, result = run(dict(FAST, url=url, budget=0.3))
    assert kind is Exit and not result["ready"] and not result["changed"]
    assert result["history"][0]["obs"] == "false" and len(result["history"]) == 1
    assert result["attempts"] > 1 and result["elapsed"] < 1
    assert result["last"]["body"] == "false"


def test_fail_when_not_ready(run, documentserver):
    url, _server = documentserver(BAD_GATEWAY)
    kind, result = run(dict(FAST, url=url, budget=0.2, fail_when_not_ready=True))
    assert kind is Fail and not result["ready"]
    assert result["msg"].startswith(url + "/healthcheck not ready after 0.2s: ")
    assert result["msg"].endswith(
        ': last answer HTTP 502 "<html>502 Bad Gateway</html>"; 0 of 3 consecutive successes')
    assert "\n" not in result["msg"]


def test_fail_when_refused(run):
    url = "http://127.0.0.1:%d" % closed_port()
    kind, result = run(dict(FAST, url=url, budget=0.2, fail_when_not_ready=True))
    assert kind is Fail and "last answer refused (connect: " in result["msg"]
    assert result["last"]["error_kind"] == "refused"


def test_request_timeout_is_cut_to_the_budget(run):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        url = "http://127.0.0.1:%d" % listener.getsockname()[1]
        kind, result = run(dict(FAST, url=url, budget=0.4, timeout=5))
    finally:
        listener.close()
    assert kind is Exit and not result["ready"]
    assert result["last"]["error_kind"] == "timeout"
    assert result["elapsed"] < 1.5


def test_stable_for_holds_the_streak(run, documentserver):
    url, _server = documentserver(BAD_GATEWAY, TRUE)
    kind, result = run(dict(FAST, url=url, successes=2, stable_for=0.3, budget=2))
    assert kind is Exit and result["ready"]
    assert result["streak_seconds"] >= 0.3 and result["elapsed"] >= 0.3
    assert [entry["obs"] for entry in result["history"]] == ["502", "true"]
    assert "container" not in result and "logs" not in result


def test_stable_for_in_the_failure_message(run, documentserver):
    url, _server = documentserver(TRUE, TRUE, BAD_GATEWAY)
    kind, result = run(dict(FAST, url=url, stable_for=0.5, budget=0.6, fail_when_not_ready=True))
    assert kind is Fail and not result["ready"]
    assert result["msg"].endswith("; 0 consecutive successes over 0s, need 3 over 0.5s")


# ---------------------------------------------------------------- container: the Docker side, faked

LOG = b"Express server listening on port 8000\n[2026-11-23T10:00:03.001] [FATAL] nodeJS - simulated crash\n"


def inspect(status="running", restart_count=0, started_at="2026-11-23T10:00:00Z", exit_code=0):
    return {"RestartCount": restart_count,
            "State": {"Status": status, "Running": status in ("running", "restarting"),
                      "Restarting": status == "restarting", "ExitCode": exit_code, "OOMKilled": False,
                      "StartedAt": started_at}}


class FakeEngine:
    """The docker.APIClient calls the probe makes: inspect (the answer of read N is state_at(N)) and logs."""

    def __init__(self, state_at):
        self.state_at = state_at
        self.reads = 0
        self.tails = []

    def inspect_container(self, name):
        attrs = self.state_at(self.reads)
        self.reads += 1
        if isinstance(attrs, Exception):
            raise attrs
        if attrs is None:
            raise NotFound("404 Client Error", explanation="No such container: %s" % name)
        return attrs

    def logs(self, name, stdout=True, stderr=True, tail=None):
        self.tails.append(tail)
        return LOG


@pytest.fixture
def engine(monkeypatch):
    """engine(state_at) -> the FakeEngine that _docker.get_client returns; its connection options in .options."""
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_TIMEOUT", raising=False)

    def use(state_at):
        fake = FakeEngine(state_at)

        def get_client(options):
            fake.options = options
            return fake
        monkeypatch.setattr(_docker, "get_client", get_client)
        return fake
    return use


def crash_loop(read):
    """Runs for 4 reads, then one read restarting after exit code 1: restarted by its policy."""
    run_number, step = divmod(read, 5)
    if step == 4:
        return inspect("restarting", restart_count=run_number + 1, started_at="run-%d" % run_number, exit_code=1)
    return inspect(restart_count=run_number, started_at="run-%d" % run_number)


def test_a_steady_container_is_ready(run, documentserver, engine):
    url, _server = documentserver(TRUE)
    fake = engine(lambda read: inspect())
    kind, result = run(dict(FAST, url=url, container="ds", stable_for=0.1, budget=2, docker_timeout=7,
                            docker_ca_path=__file__, ca_path=__file__))
    assert kind is Exit and result["ready"]
    assert result["container"] == {"status": "running", "running": True, "restarting": False, "exit_code": 0,
                                   "oom_killed": False, "restart_count": 0, "started_at": "2026-11-23T10:00:00Z",
                                   "restarts_seen": 0, "last_exit_code": None, "last_exit_oom_killed": None}
    assert "logs" not in result
    assert fake.reads == result["attempts"] + 1  # one read to check that it exists, one per attempt
    # The module's docker_* options, under the names the collection's client factory takes.
    assert fake.options == {"docker_host": "unix:///var/run/docker.sock", "tls": False, "tls_verify": False,
                            "ca_path": __file__, "client_cert": None, "client_key": None, "timeout": 7}


def test_a_crash_loop_is_not_ready_even_with_healthy_answers(run, documentserver, engine):
    url, _server = documentserver(TRUE)
    fake = engine(crash_loop)
    kind, result = run(dict(FAST, url=url, container="ds", stable_for=0.2, budget=0.6, fail_when_not_ready=True))
    assert kind is Fail and not result["ready"]
    assert [entry["obs"] for entry in result["history"]][:3] == ["true", "restarting (exit 1)", "true"]
    restarts = result["container"]["restarts_seen"]
    assert restarts >= 3 and restarts == result["container"]["restart_count"]
    assert result["logs"] == LOG.decode().splitlines() and fake.tails == [20]
    assert result["msg"].endswith(
        "; container ds restarted %d times, last exit code 1; log tail: "
        "[2026-11-23T10:00:03.001] [FATAL] nodeJS - simulated crash" % restarts)
    assert "\n" not in result["msg"]


def test_a_restart_between_two_healthy_answers_resets_the_streak(run, documentserver, engine):
    url, _server = documentserver(TRUE)
    # A new run from the 3rd attempt on (read 0 checks that it exists), never seen down in between.
    engine(lambda read: inspect(started_at="first" if read < 3 else "second",
                                restart_count=0 if read < 3 else 1))
    kind, result = run(dict(FAST, url=url, container="ds", successes=3, budget=2))
    assert kind is Exit and result["ready"]
    assert [(entry["obs"], entry["count"]) for entry in result["history"]] == [
        ("true", 2), ("restarted", 1), ("true", 3)]
    assert result["container"]["restarts_seen"] == 1 and result["failures"] == 1


def test_an_exited_container(run, engine):
    engine(lambda read: inspect() if read == 0 else inspect("exited", exit_code=1))
    url = "http://127.0.0.1:%d" % closed_port()
    kind, result = run(dict(FAST, url=url, container="ds", budget=0.2, fail_when_not_ready=True))
    assert kind is Fail and result["history"][0]["obs"] == "exited 1"
    assert result["msg"].endswith("; 0 of 3 consecutive successes; container ds exited 1; log tail: "
                                  "[2026-11-23T10:00:03.001] [FATAL] nodeJS - simulated crash")


def test_a_missing_container_fails_at_once(run, documentserver, engine):
    url, server = documentserver(TRUE)
    engine(lambda read: None)
    kind, result = run(dict(FAST, url=url, container="ds"))
    assert kind is Fail and result["msg"] == (
        "container: no container named ds on the Docker engine at unix:///var/run/docker.sock; "
        "check the name (docker ps -a)")
    assert server.requests == []


def test_a_docker_error_during_the_wait(run, documentserver, engine):
    url, _server = documentserver(TRUE)
    engine(lambda read: inspect() if read < 2 else APIError("500 Server Error", explanation="engine is busy"))
    kind, result = run(dict(FAST, url=url, container="ds"))
    assert kind is Fail
    assert result["msg"] == "Cannot inspect container ds: an unexpected Docker error occurred: engine is busy"


def test_an_unreachable_engine(run, tmp_path):
    kind, result = run({"url": "http://127.0.0.1:1", "container": "ds",
                        "docker_host": "unix://%s/docker.sock" % tmp_path})
    assert kind is Fail
    assert result["msg"].startswith("Cannot reach the Docker engine at unix://%s/docker.sock: " % tmp_path)


def test_container_without_the_docker_sdk(run, monkeypatch):
    monkeypatch.setattr(_docker, "HAS_DOCKER", False)
    kind, result = run({"url": "http://127.0.0.1:1", "container": "ds"})
    assert kind is Fail and "Docker SDK for Python: docker>=5.0.3" in result["msg"]


RUN_WITHOUT_SDK = """
import sys
sys.modules["docker"] = sys.modules["requests"] = None  # as on a target without them
from ansible_collections.docops.onlyoffice.plugins.modules import gateway_probe
gateway_probe.main()
"""


@pytest.mark.parametrize("container", [None, "ds"])
def test_without_the_docker_sdk_installed(documentserver, container):
    """A real module run in a Python where `import docker` fails: fine unless the container option is set."""
    url, _server = documentserver(TRUE)
    top = os.path.dirname(gateway_probe.__file__)
    for _level in range(5):  # .../ansible_collections/docops/onlyoffice/plugins/modules
        top = os.path.dirname(top)
    args = {"url": url, "successes": 1}
    if container:
        args["container"] = container
    done = subprocess.run([sys.executable, "-c", RUN_WITHOUT_SDK], input=json.dumps({"ANSIBLE_MODULE_ARGS": args}),
                          env=dict(os.environ, PYTHONPATH=top), capture_output=True, text=True, timeout=60,
                          check=False)
    result = json.loads(done.stdout)
    if container:
        assert result["failed"] and "Docker SDK for Python: docker>=5.0.3" in result["msg"]
    else:
        assert result["ready"] and "container" not in result, done.stdout + done.stderr
