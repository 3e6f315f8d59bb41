"""extensions/molecule/nginx_proxy/files/gateway_client.py against real servers on 127.0.0.1.

The client is run as the verify playbooks run it (`python gateway_client.py SUBCOMMAND ...`)
against (1) the shared simulator container, through its real nginx: HTTP, the WebSocket
upgrade, the node header, nginx's early 413; and (2) a small HTTP/HTTPS server in a
thread with a self-signed certificate made by the openssl CLI: SNI, Host, certificate
checks, redirects, a 413 followed by a reset, chunked bodies, broken answers, frames.
"""
import base64
import binascii
import hashlib
import http.server
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import zlib

import pytest

from simhelpers import WS_GUID

CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "extensions", "molecule",
                      "nginx_proxy", "files", "gateway_client.py")
NAME = "office.example.test"
URL_PORT = 32781  # the port written in the URLs; the client connects elsewhere (--connect)
MiB = 1024 * 1024


def client(*args, timeout=60):
    """(exit code, the one JSON object printed, stderr) of one run of the client."""
    done = subprocess.run([sys.executable, CLIENT, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, check=False)
    lines = done.stdout.splitlines()
    assert len(lines) == 1, "expected one JSON line, got %r (stderr %r)" % (done.stdout, done.stderr)
    result = json.loads(lines[0])
    assert isinstance(result, dict)
    if done.returncode == 0:
        assert "error" not in result and done.stderr == ""
    else:
        assert done.returncode == 2, done
        assert result["error"] and result["stage"]
        assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("gateway_client: ")
    return done.returncode, result, done.stderr


# ---------------------------------------------------------------- through the simulator
def sim_url(path):
    return "http://%s:%d%s" % (NAME, URL_PORT, path)


def test_request_through_the_sim(shared_sim):
    hostname = shared_sim.inspect()["Config"]["Hostname"]
    connect = "127.0.0.1:%d" % shared_sim.port
    code, result, _err = client("request", sim_url("/baseurl"), "--connect", connect)
    assert code == 0 and result["status"] == 200 and result["reason"] == "OK"
    # docservice builds /baseurl from the Host header nginx passes on: host AND port as written
    assert result["body"] == "http://%s:%d" % (NAME, URL_PORT)
    assert result["body_length"] == len(result["body"])
    assert result["headers"]["x-docops-sim-node"] == hostname
    assert all(name == name.lower() for name in result["headers"])
    assert result["elapsed"] > 0 and result["tls_version"] is None

    code, result, _err = client("request", sim_url("/"), "--connect", connect)
    assert code == 0 and result["status"] == 302  # not followed
    assert result["headers"]["location"] == "http://%s:%d/welcome/" % (NAME, URL_PORT)
    assert "x-docops-sim-node" not in result["headers"]

    code, result, _err = client("request", sim_url("/no-such-page"), "--connect", connect, "--method", "DELETE")
    assert code == 0 and result["status"] == 404 and "Cannot DELETE /no-such-page" in result["body"]


def test_uploads_through_the_sim_nginx(shared_sim):
    connect = "127.0.0.1:%d" % shared_sim.port
    command = sim_url("/coauthoring/CommandService.ashx")
    # 90 MB: under the sim's 100m limit, it reaches docservice, which cannot parse zeros
    code, result, _err = client("request", command, "--connect", connect, "--method", "POST",
                                "--body-bytes", 90 * 1000 * 1000)
    assert code == 0 and result["status"] == 200 and json.loads(result["body"]) == {"error": 2}
    assert result["sent_bytes"] == 90 * 1000 * 1000 and result["send_error"] is None
    # over the limit: nginx answers 413 from Content-Length alone; the client stops and reports it
    code, result, _err = client("request", command, "--connect", connect, "--method", "POST",
                                "--body-bytes", 100 * MiB + 1)
    assert code == 0 and result["status"] == 413 and "413 Request Entity Too Large" in result["body"]
    assert result["sent_bytes"] < 100 * MiB + 1


def test_websocket_through_the_sim(shared_sim):
    hostname = shared_sim.inspect()["Config"]["Hostname"]
    connect = "127.0.0.1:%d" % shared_sim.port
    code, result, _err = client("websocket", sim_url("/doc/gw-client/c/?EIO=4&transport=websocket"),
                                "--connect", connect)
    assert code == 0 and result["status"] == 101 and result["accept_ok"] is True
    assert result["first_frame"].startswith("0{") and result["first_frame_opcode"] == 1
    assert json.loads(result["first_frame"][1:])["upgrades"] == []
    assert result["node"] == hostname == result["headers"]["x-docops-sim-node"]
    assert result["close_code"] == 1000  # the client closed cleanly; docservice echoed it

    code, result, _err = client("websocket", sim_url("/doc/gw-client/c/?EIO=3&transport=websocket"),
                                "--connect", connect)
    assert code == 0 and result["status"] == 400 and result["first_frame"] is None
    assert result["accept_ok"] is False and json.loads(result["body"])["code"] == 5
    assert result["node"] == hostname


def test_shards_against_one_sim(shared_sim):
    hostname = shared_sim.inspect()["Config"]["Hostname"]
    connect = "127.0.0.1:%d" % shared_sim.port
    code, result, _err = client("shards", sim_url("/healthcheck"), "--connect", connect, "--keys", 4, "--rounds", 2)
    assert code == 0 and result["sticky"] is True and result["requests"] == 8
    assert result["nodes"] == {"key-%d" % index: [hostname, hostname] for index in range(4)}
    assert result["statuses"] == {"200": 8} and result["per_node"] == {hostname: 8}
    code, result, _err = client("shards", sim_url("/no-such-page"), "--connect", connect, "--keys", 2, "--rounds", 1)
    assert code == 0 and result["statuses"] == {"404": 2} and result["sticky"] is False


# ---------------------------------------------------------------- a local HTTP/HTTPS server
def ws_accept(key):
    return base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        self.sni = None
        self.request.settimeout(15)
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.server.tls:
            self.request = self.server.tls.wrap_socket(self.request, server_side=True)
            self.sni = getattr(self.request, "sni_seen", None)
        super().setup()

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        self.query = dict(urllib.parse.parse_qsl(url.query))
        self.server.seen.append({"method": self.command, "target": self.path, "host": self.headers.get("Host"),
                                 "sni": self.sni, "headers": {k.lower(): v for k, v in self.headers.items()}})
        route = url.path.strip("/").replace("/", "_").replace("-", "_") or "root"
        getattr(self, "route_" + route, self.route_missing)()

    do_POST = do_PUT = do_HEAD = do_GET

    def answer(self, status, body, headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def route_missing(self):
        self.answer(404, "missing")

    def route_echo(self):
        self.answer(200, json.dumps(self.server.seen[-1]), [("Content-Type", "application/json")])

    def route_redirect(self):
        self.answer(302, "", [("Location", "/echo?followed=1")])

    def route_upload(self):
        """Over ?limit= bytes: 413 and close without reading the body (the peer gets a reset)."""
        length = int(self.headers["Content-Length"])
        if length > int(self.query.get("limit", MiB)):
            # One write, like nginx: a reset drops whatever the server has not sent yet, so an
            # answer in two small writes (Nagle holds the second) would be cut by the server itself.
            self.wfile.write(b"HTTP/1.1 413 Request Entity Too Large\r\nContent-Length: 9\r\n"
                             b"Connection: close\r\n\r\ntoo large")
            self.close_connection = True
            return
        received = 0
        while received < length:
            data = self.rfile.read(min(MiB, length - received))
            if not data:
                break
            received += len(data)
        self.answer(200, json.dumps({"received": received}))

    def route_chunked(self):
        self.send_response(200)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        data = ("\u00e9" * 5000).encode()  # 10000 bytes, 5000 characters
        for start in range(0, len(data), 999):
            piece = data[start:start + 999]
            self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\nX-Trailer: yes\r\n\r\n")

    def route_continue(self):
        self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n")
        self.answer(201, "after interim answers")

    def route_garbage(self):
        self.wfile.write(b"HELLO THERE\r\n\r\n")
        self.close_connection = True

    def route_short(self):
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
        self.close_connection = True

    def route_silent(self):
        time.sleep(3)
        self.close_connection = True

    def route_shard_sticky(self):
        key = self.query.get("shardkey") or self.query.get("WOPISrc") or ""
        self.answer(200, "ok", [("X-Docops-Sim-Node", "node-%d" % (zlib.crc32(key.encode()) % 2))])

    def route_shard_flaky(self):
        """Round robin over two nodes; key-1 always gets a 502 from the gateway (no node)."""
        if self.query.get("shardkey") == "key-1":
            self.answer(502, "bad gateway")
            return
        with self.server.lock:
            self.server.counter += 1
            node = "node-%d" % (self.server.counter % 2)
        self.answer(200, "ok", [("X-Docops-Sim-Node", node)])

    def route_shard_nonode(self):
        self.answer(200, "ok")

    def route_ws_good(self):
        """101, then a ping, then a text message in two fragments; records the client's frames."""
        key = self.headers.get("Sec-WebSocket-Key", "")
        self.wfile.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Accept: %s\r\nX-Docops-Sim-Node: ws-node\r\n\r\n" % ws_accept(key)).encode())
        self.wfile.write(b"\x89\x04ping" + b"\x01\x030{\"" + b"\x80\x06ok\":1}")
        frames = self.server.seen[-1]["client_frames"] = []
        try:
            while True:
                first, second = self.rfile.read(2)
                length = second & 0x7F
                mask = self.rfile.read(4) if second & 0x80 else b""
                payload = self.rfile.read(length)
                if mask:
                    payload = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
                frames.append({"opcode": first & 0x0F, "masked": bool(mask), "payload": payload.hex()})
                if first & 0x0F == 8:
                    self.wfile.write(b"\x88\x02" + payload[:2])
                    break
        except (OSError, ValueError):
            pass
        self.close_connection = True

    def route_ws_badaccept(self):
        key = self.headers.get("Sec-WebSocket-Key", "")
        wrong = base64.b64encode(hashlib.sha1(key.encode()).digest()).decode()  # the GUID left out
        self.wfile.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Accept: %s\r\n\r\n\x81\x020{" % wrong).encode())
        self.close_connection = True


class LocalServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, tls):
        super().__init__(("127.0.0.1", 0), Handler)
        self.tls = tls
        self.seen = []
        self.lock = threading.Lock()
        self.counter = 0
        self.connect = "127.0.0.1:%d" % self.server_address[1]
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    def handle_error(self, request, client_address):
        pass  # refused handshakes and resets are what some tests provoke

    def last(self):
        return self.seen[-1]


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gateway-client-tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=" + NAME,
                    "-addext", "subjectAltName=DNS:" + NAME], check=True, capture_output=True, timeout=30)
    return cert, key


@pytest.fixture(scope="module")
def servers(certificate):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)

    def remember_sni(sock, server_name, _context):
        sock.sni_seen = server_name

    context.sni_callback = remember_sni
    started = {"http": LocalServer(None), "https": LocalServer(context)}
    try:
        yield started
    finally:
        for server in started.values():
            server.shutdown()
            server.server_close()


def local_url(scheme, path, host=NAME, port=URL_PORT):
    return "%s://%s%s%s" % (scheme, host, "" if port is None else ":%d" % port, path)


def test_tls_sni_and_host_come_from_the_url(servers, certificate):
    https = servers["https"]
    code, result, _err = client("request", local_url("https", "/echo?a=1"), "--connect", https.connect,
                                "--cafile", certificate[0], "--header", "X-Extra: yes, really")
    assert code == 0 and result["status"] == 200 and result["tls_version"].startswith("TLSv1.")
    seen = json.loads(result["body"])
    assert seen["sni"] == NAME and seen["host"] == "%s:%d" % (NAME, URL_PORT)  # not the --connect address
    assert seen["target"] == "/echo?a=1" and seen["method"] == "GET"
    assert seen["headers"]["x-extra"] == "yes, really" and seen["headers"]["connection"] == "close"
    assert "content-length" not in seen["headers"]

    # no port in the URL: none in Host either; --header can replace Host
    code, result, _err = client("request", local_url("https", "/echo", port=None), "--connect", https.connect,
                                "--cafile", certificate[0])
    assert code == 0 and json.loads(result["body"])["host"] == NAME
    code, result, _err = client("request", local_url("https", "/echo"), "--connect", https.connect,
                                "--cafile", certificate[0], "--header", "Host: elsewhere.test")
    seen = json.loads(result["body"])
    assert seen["host"] == "elsewhere.test" and seen["sni"] == NAME


def test_certificate_checks(servers, certificate):
    https = servers["https"]
    other = local_url("https", "/echo", host="other.example.test")
    code, result, err = client("request", other, "--connect", https.connect, "--cafile", certificate[0])
    assert code == 2 and result["stage"] == "tls" and "other.example.test" in err
    assert "status" not in result
    code, result, _err = client("request", local_url("https", "/echo"), "--connect", https.connect)
    assert code == 2 and result["stage"] == "tls"  # the system CAs do not know the self-signed one
    code, result, _err = client("request", other, "--connect", https.connect, "--insecure")
    assert code == 0 and json.loads(result["body"])["sni"] == "other.example.test"
    code, result, _err = client("request", other, "--connect", https.connect, "--insecure",
                                "--cafile", certificate[0])
    assert code == 2 and result["stage"] == "usage"
    code, result, _err = client("request", local_url("https", "/echo"), "--connect", servers["http"].connect,
                                "--insecure")
    assert code == 2 and result["stage"] == "tls"  # TLS spoken to a plain HTTP port


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_redirects_are_not_followed(servers, scheme):
    server = servers[scheme]
    code, result, _err = client("request", local_url(scheme, "/redirect"), "--connect", server.connect, "--insecure")
    assert code == 0 and result["status"] == 302 and result["headers"]["location"] == "/echo?followed=1"
    time.sleep(0.2)
    assert not [seen for seen in server.seen if "followed" in seen["target"]]


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_uploads(servers, scheme):
    server = servers[scheme]
    size = 3 * MiB + 5  # not a whole number of chunks
    code, result, _err = client("request", local_url(scheme, "/upload?limit=%d" % size), "--connect", server.connect,
                                "--insecure", "--method", "PUT", "--body-bytes", size)
    assert code == 0 and result["status"] == 200 and json.loads(result["body"]) == {"received": size}
    assert result["sent_bytes"] == size and server.last()["headers"]["content-length"] == str(size)
    assert server.last()["method"] == "PUT"
    # 413 straight after the head, then a close without reading: the peer resets the connection
    size = 90 * 1000 * 1000
    code, result, _err = client("request", local_url(scheme, "/upload"), "--connect", server.connect,
                                "--insecure", "--method", "POST", "--body-bytes", size)
    assert code == 0 and result["status"] == 413 and result["body"] == "too large"
    assert result["sent_bytes"] < size


def test_bodies_and_interim_answers(servers):
    http_server = servers["http"]
    code, result, _err = client("request", local_url("http", "/chunked"), "--connect", http_server.connect)
    assert code == 0 and result["body_length"] == 10000 and result["body"] == "\u00e9" * 4096
    code, result, _err = client("request", local_url("http", "/chunked"), "--connect", http_server.connect,
                                "--method", "HEAD")
    assert code == 0 and result["status"] == 200 and result["body_length"] == 0
    code, result, _err = client("request", local_url("http", "/continue"), "--connect", http_server.connect)
    assert code == 0 and result["status"] == 201 and result["body"] == "after interim answers"


def test_no_exchange_exits_2(servers):
    http_server = servers["http"]
    code, result, err = client("request", local_url("http", "/garbage"), "--connect", http_server.connect)
    assert code == 2 and result["stage"] == "receive" and "HELLO THERE" in err
    code, result, _err = client("request", local_url("http", "/short"), "--connect", http_server.connect)
    assert code == 2 and "10 of 100 body bytes" in result["error"]
    code, result, _err = client("request", local_url("http", "/silent"), "--connect", http_server.connect,
                                "--timeout", "0.5")
    assert code == 2 and result["stage"] == "receive" and "0.5" in result["error"]
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    code, result, _err = client("request", local_url("http", "/"), "--connect", "127.0.0.1:%d" % port)
    assert code == 2 and result["stage"] == "connect"
    code, result, _err = client("request", local_url("http", "/"), "--connect", "nowhere")
    assert code == 2 and result["stage"] == "usage"
    code, result, _err = client("request", local_url("http", "/"), "--connect", http_server.connect,
                                "--header", "no colon")
    assert code == 2 and result["stage"] == "usage"


def test_websocket_handshake_and_frames(servers, certificate):
    https = servers["https"]
    code, result, _err = client("websocket", local_url("https", "/ws/good?EIO=4&transport=websocket"),
                                "--connect", https.connect, "--cafile", certificate[0])
    assert code == 0 and result["status"] == 101 and result["accept_ok"] is True
    assert result["first_frame"] == '0{"ok":1}'  # two fragments, a ping before them
    assert result["node"] == "ws-node" and result["close_code"] == 1000
    seen = https.last()
    assert seen["target"] == "/ws/good?EIO=4&transport=websocket" and seen["sni"] == NAME
    assert seen["host"] == "%s:%d" % (NAME, URL_PORT)
    headers = seen["headers"]
    assert headers["origin"] == "https://%s:%d" % (NAME, URL_PORT)
    assert headers["upgrade"] == "websocket" and headers["connection"].lower() == "upgrade"
    assert headers["sec-websocket-version"] == "13"
    assert len(base64.b64decode(headers["sec-websocket-key"], validate=True)) == 16
    frames = seen["client_frames"]
    assert frames == [{"opcode": 10, "masked": True, "payload": binascii.hexlify(b"ping").decode()},
                      {"opcode": 8, "masked": True, "payload": "03e8"}]

    code, again, _err = client("websocket", local_url("https", "/ws/good"), "--connect", https.connect, "--insecure")
    assert code == 0 and https.last()["headers"]["sec-websocket-key"] != headers["sec-websocket-key"]

    code, result, _err = client("websocket", local_url("http", "/ws/badaccept"), "--connect", servers["http"].connect)
    assert code == 0 and result["status"] == 101 and result["accept_ok"] is False
    assert result["first_frame"] is None and result["node"] is None


def test_websocket_refused_is_reported(servers):
    code, result, _err = client("websocket", local_url("http", "/nothing-here"), "--connect", servers["http"].connect)
    assert code == 0 and result["status"] == 404 and result["first_frame"] is None
    assert result["accept_ok"] is False and result["body"] == "missing"


def test_shards(servers):
    http_server = servers["http"]
    code, result, _err = client("shards", local_url("http", "/shard/sticky?x=1"), "--connect", http_server.connect,
                                "--keys", 6, "--rounds", 3, "--param", "WOPISrc")
    assert code == 0 and result["sticky"] is True and result["requests"] == 18
    expected = {"key-%d" % index: ["node-%d" % (zlib.crc32(b"key-%d" % index) % 2)] * 3 for index in range(6)}
    assert result["nodes"] == expected and result["statuses"] == {"200": 18}
    keys_of = {node: sum(1 for nodes in expected.values() if nodes[0] == node) for node in ("node-0", "node-1")}
    assert all(keys_of.values())  # both nodes have keys: per_node really counts per node
    assert result["keys_per_node"] == keys_of
    assert result["per_node"] == {node: 3 * count for node, count in keys_of.items()}
    assert http_server.last()["target"] == "/shard/sticky?x=1&WOPISrc=key-5"

    code, result, _err = client("shards", local_url("http", "/shard/flaky"), "--connect", http_server.connect,
                                "--keys", 3, "--rounds", 2)
    assert code == 0 and result["sticky"] is False and result["statuses"] == {"200": 4, "502": 2}
    assert result["nodes"]["key-1"] == [None, None] and result["unattributed"] == 2
    assert len(set(result["nodes"]["key-0"])) == 2  # round robin: not sticky
    assert http_server.last()["target"] == "/shard/flaky?shardkey=key-2"

    code, result, _err = client("shards", local_url("http", "/shard/nonode"), "--connect", http_server.connect,
                                "--keys", 2, "--rounds", 1)
    assert code == 0 and result["sticky"] is False and result["per_node"] == {}
    assert result["nodes"] == {"key-0": [None], "key-1": [None]}

    code, result, _err = client("shards", local_url("http", "/shard/sticky"), "--connect", "127.0.0.1:1",
                                "--keys", 2, "--rounds", 1)
    assert code == 2 and result["statuses"] == {"error": 2} and result["sticky"] is False
