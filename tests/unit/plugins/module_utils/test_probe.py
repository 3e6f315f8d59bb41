from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import shutil
import socket
import ssl
import struct
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.docops.onlyoffice.plugins.module_utils import _probe
from ansible_collections.docops.onlyoffice.tests.unit.plugins.net_helpers import closed_port

SHORT = 0.3  # Timeout for the cases that are meant to time out: keeps the suite fast.


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    ROUTES = {
        "/healthcheck": (200, "true"),
        "/false": (200, "false"),
        "/bad": (502, "<html><center><h1>502 Bad Gateway</h1></center></html>"),
        "/big": (200, "x" * 10000),
    }

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        received = self.rfile.read(length).decode() if length else ""
        if self.path.endswith("/echo"):
            status, body = 200, json.dumps({"method": self.command, "path": self.path,
                                            "headers": dict(self.headers), "body": received})
        else:
            status, body = self.ROUTES.get(self.path, (404, "not found"))
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("X-Twice", "one")
        self.send_header("X-Twice", "two")
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = answer

    def log_message(self, *args):
        pass


class Server6(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def serve(server):
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    return thread


def stop(server, thread):
    server.shutdown()
    server.server_close()
    thread.join(2)


@pytest.fixture(scope="module")
def http_url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = serve(server)
    yield "http://127.0.0.1:%d" % server.server_address[1]
    stop(server, thread)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=office.example.test",
         "-addext", "subjectAltName=DNS:office.example.test,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=20)
    return cert, key


@pytest.fixture(scope="module")
def https_url(certificate):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = serve(server)
    yield "https://127.0.0.1:%d" % server.server_address[1]
    stop(server, thread)


@pytest.fixture
def silent_port():
    """A port that accepts connections (the kernel's backlog) and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener.getsockname()[1]
    listener.close()


def test_healthy_answer(http_url):
    result = _probe.probe(http_url, "/healthcheck")
    assert result["status"] == 200 and result["body"] == "true"
    assert result["error"] is None and result["error_kind"] is None and result["phase"] is None
    assert result["url"] == http_url + "/healthcheck"
    assert result["headers"]["content-type"] == "text/plain; charset=utf-8"
    assert result["headers"]["x-twice"] == "one, two"
    timings = result["timings"]
    assert timings["tls"] is None
    assert 0 <= timings["connect"] <= timings["first_byte"] <= timings["total"] < 2
    assert _probe.healthcheck_verdict(result) == (True, "true")


def test_dependency_down_answer(http_url):
    result = _probe.probe(http_url, "/false")
    assert result["status"] == 200 and result["body"] == "false"
    assert _probe.healthcheck_verdict(result) == (False, "false")


def test_bad_gateway(http_url):
    result = _probe.probe(http_url, "/bad")
    assert result["status"] == 502 and "502 Bad Gateway" in result["body"]
    assert result["error_kind"] is None
    assert _probe.healthcheck_verdict(result) == (False, "502")
    assert _probe.describe(result) == "HTTP 502"


def test_body_is_cut_at_the_limit(http_url):
    result = _probe.probe(http_url, "/big", body_limit=100)
    assert result["status"] == 200 and result["body"] == "x" * 100


def test_headers_method_body_and_path_prefix(http_url):
    result = _probe.probe(http_url + "/ds-vpath/", "/echo", method="POST", body='{"c":"version"}',
                          headers={"X-Forwarded-Proto": "https", "X-Number": 5})
    echoed = json.loads(result["body"])
    assert echoed["method"] == "POST" and echoed["path"] == "/ds-vpath/echo"
    assert echoed["body"] == '{"c":"version"}'
    assert echoed["headers"]["X-Forwarded-Proto"] == "https"
    assert echoed["headers"]["X-Number"] == "5"
    assert echoed["headers"]["Host"] == http_url.split("//")[1]


def test_host_header_replaces_the_default(http_url):
    result = _probe.probe(http_url, "/echo", headers={"host": "office.example.test"})
    assert json.loads(result["body"])["headers"]["Host"] == "office.example.test"


def test_connection_refused():
    result = _probe.probe("http://127.0.0.1:%d" % closed_port(), "/healthcheck", timeout=SHORT)
    assert result["status"] is None and result["error_kind"] == "refused"
    assert result["phase"] == "connect" and result["error"].startswith("connect: ")
    assert "\n" not in result["error"]
    assert _probe.healthcheck_verdict(result) == (False, "refused")
    assert _probe.describe(result).startswith("refused (connect: ")


def test_timeout_waiting_for_the_answer(silent_port):
    result = _probe.probe("http://127.0.0.1:%d" % silent_port, "/healthcheck", timeout=SHORT)
    assert result["error_kind"] == "timeout" and result["phase"] == "response"
    assert result["timings"]["connect"] is not None and result["timings"]["first_byte"] is None
    assert result["timings"]["total"] < 3


def test_reset_by_the_server():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def reset_one():
        conn, _addr = listener.accept()
        conn.recv(1024)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    thread = threading.Thread(target=reset_one, daemon=True)
    thread.start()
    try:
        result = _probe.probe("http://127.0.0.1:%d" % listener.getsockname()[1], "/", timeout=2)
    finally:
        thread.join(2)
        listener.close()
    assert result["error_kind"] == "reset" and result["status"] is None


def test_dns_failure(monkeypatch):
    def no_such_name(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    result = _probe.probe("http://documentserver.invalid", "/healthcheck", timeout=SHORT)
    assert result["error_kind"] == "dns" and result["phase"] == "connect"


def test_ipv6_literal():
    try:
        server = Server6(("::1", 0), Handler)
    except OSError:
        pytest.skip("no IPv6 loopback")
    thread = serve(server)
    try:
        url = "http://[::1]:%d" % server.server_address[1]
        result = _probe.probe(url, "/echo")
    finally:
        stop(server, thread)
    assert result["status"] == 200
    assert json.loads(result["body"])["headers"]["Host"] == "[::1]:%d" % server.server_address[1]


def test_https_verified_with_a_ca_file(https_url, certificate):
    result = _probe.probe(https_url, "/healthcheck", ca_path=certificate[0], timeout=2)
    assert result["status"] == 200 and result["body"] == "true"
    assert 0 <= result["timings"]["connect"] <= result["timings"]["tls"] <= result["timings"]["first_byte"]


def test_https_unknown_ca(https_url):
    result = _probe.probe(https_url, "/healthcheck", timeout=2)
    assert result["error_kind"] == "tls" and result["phase"] == "tls"
    assert "certificate verify failed" in result["error"]


def test_https_without_verification(https_url):
    result = _probe.probe(https_url, "/healthcheck", validate_certs=False, timeout=2)
    assert result["status"] == 200


def test_host_header_sets_the_tls_name(https_url, certificate):
    good = _probe.probe(https_url, "/healthcheck", ca_path=certificate[0], timeout=2,
                        headers={"Host": "office.example.test:443"})
    assert good["status"] == 200
    wrong = _probe.probe(https_url, "/healthcheck", ca_path=certificate[0], timeout=2,
                         headers={"Host": "other.example.test"})
    assert wrong["error_kind"] == "tls"


def test_https_to_a_plain_http_port(http_url):
    result = _probe.probe(http_url.replace("http:", "https:"), "/healthcheck", timeout=2)
    assert result["error_kind"] == "tls"


@pytest.mark.parametrize("url", ["127.0.0.1:8080", "ftp://127.0.0.1", "http://", "file:///tmp"])
def test_not_an_http_url(url):
    with pytest.raises(ValueError):
        _probe.split_url(url)


@pytest.mark.parametrize("status, body, expected", [
    (200, "true\n", (True, "true")),
    (200, "", (False, "200 (empty)")),
    (200, "<html>welcome</html>", (False, "200 <html>welcome</html>")),
    (503, "", (False, "503")),
])
def test_healthcheck_verdict(status, body, expected):
    result = {"status": status, "body": body, "error_kind": None, "error": None}
    assert _probe.healthcheck_verdict(result) == expected


def test_describe_short_body():
    result = {"status": 200, "body": "false", "error_kind": None, "error": None}
    assert _probe.describe(result) == 'HTTP 200 "false"'


# WebSocket: a tiny server that answers one upgrade the way it is told to.

def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 65536:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    lines = data.decode().split("\r\n")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return lines[0], headers


def text_frame(text):
    payload = text.encode()
    if len(payload) < 126:
        return bytes([0x81, len(payload)]) + payload
    return bytes([0x81, 126]) + struct.pack("!H", len(payload)) + payload


OPEN_PACKET = '0{"sid":"abc","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}'


@pytest.fixture
def websocket_server():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    seen = {}

    def start(mode):
        def answer_one():
            conn, _addr = listener.accept()
            conn.settimeout(2)
            try:
                seen["request_line"], headers = read_request(conn)
                seen["headers"] = headers
                key = headers.get("sec-websocket-key")
                if mode == "missing-key" or not key:
                    body = b"Missing or invalid Sec-WebSocket-Key header"
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
                    return
                accept = _probe.websocket_accept(key if mode != "wrong" else "another key")
                conn.sendall(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                              "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n" % accept).encode())
                if mode != "silent":
                    conn.sendall(text_frame(OPEN_PACKET))
                seen["after"] = conn.recv(64)
            finally:
                conn.close()

        thread = threading.Thread(target=answer_one, daemon=True)
        thread.start()
        seen["thread"] = thread
        return "http://127.0.0.1:%d" % listener.getsockname()[1], seen

    yield start
    if "thread" in seen:
        seen["thread"].join(3)
    listener.close()


def test_accept_key_from_rfc_6455():
    assert _probe.websocket_accept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_websocket_handshake_and_first_frame(websocket_server):
    url, seen = websocket_server("correct")
    result = _probe.websocket_handshake(url, doc_key="doc42", timeout=2, headers={"Origin": "https://office.example.test"})
    assert result["status"] == 101 and result["upgrade_ok"] and result["accept_ok"]
    assert result["frame"] == OPEN_PACKET
    assert result["error"] is None
    assert seen["request_line"] == "GET /doc/doc42/c/?EIO=4&transport=websocket HTTP/1.1"
    assert seen["headers"]["sec-websocket-version"] == "13"
    assert seen["headers"]["origin"] == "https://office.example.test"
    seen["thread"].join(3)
    assert seen["after"][:1] == b"\x88"  # a close frame, masked as a client must
    assert seen["after"][1] & 0x80


def test_websocket_wrong_accept(websocket_server):
    url, _seen = websocket_server("wrong")
    result = _probe.websocket_handshake(url, timeout=2)
    assert result["status"] == 101 and result["upgrade_ok"] and not result["accept_ok"]


def test_websocket_without_a_first_frame(websocket_server):
    url, _seen = websocket_server("silent")
    result = _probe.websocket_handshake(url, timeout=SHORT)
    assert result["accept_ok"] and result["frame"] is None and result["error"] is None


def test_websocket_refused_upgrade(websocket_server):
    url, _seen = websocket_server("missing-key")
    result = _probe.websocket_handshake(url, timeout=2)
    assert result["status"] == 400 and not result["upgrade_ok"] and not result["accept_ok"]
    assert result["body"] == "Missing or invalid Sec-WebSocket-Key header"


def test_websocket_connection_refused():
    result = _probe.websocket_handshake("http://127.0.0.1:%d" % closed_port(), timeout=SHORT)
    assert result["error_kind"] == "refused" and result["status"] is None


# TLS handshake: the certificate and the protocol, always verified.

def test_tls_handshake_reports_the_protocol_and_the_expiry(https_url, certificate):
    result = _probe.tls_handshake(https_url, ca_path=certificate[0], timeout=2,
                                  headers={"Host": "office.example.test"})
    assert result["error"] is None and result["status"] is None
    tls = result["tls"]
    assert tls["version"] in ("TLSv1.2", "TLSv1.3") and tls["cipher"]
    assert tls["server_name"] == "office.example.test"
    # The test certificate is valid for one day.
    assert 0 < tls["not_after_epoch"] - time.time() <= 86400 + 60
    assert tls["not_after"].endswith("GMT")
    timings = result["timings"]
    assert 0 <= timings["connect"] <= timings["tls"] <= timings["total"] and timings["first_byte"] is None


def test_tls_handshake_verifies_even_a_name_it_was_not_asked_to(https_url, certificate):
    wrong = _probe.tls_handshake(https_url, ca_path=certificate[0], timeout=2, headers={"Host": "other.example.test"})
    assert wrong["tls"] is None and wrong["error_kind"] == "tls" and wrong["phase"] == "tls"
    unknown = _probe.tls_handshake(https_url, timeout=2)
    assert unknown["tls"] is None and "certificate verify failed" in unknown["error"]


def test_tls_handshake_needs_https():
    with pytest.raises(ValueError):
        _probe.tls_handshake("http://127.0.0.1:1")
