from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

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
    ({"successes": 0}, "successes must be >= 1, got 0"),
    ({"budget": 0}, "budget must be > 0"),
    ({"interval": 0}, "interval must be > 0"),
    ({"interval": -1}, "interval must be > 0"),
    ({"timeout": 0}, "timeout must be > 0"),
    ({"ca_path": "/nonexistent/ca.pem"}, "ca_path: /nonexistent/ca.pem is not a file"),
])
def test_bad_parameters(run, args, message):
    kind, result = run(dict({"url": "http://127.0.0.1:1"}, **args))
    assert kind is Fail and result["msg"].startswith(message)


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
