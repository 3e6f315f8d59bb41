"""Stand-in for ONLYOFFICE's Node.js docservice on 127.0.0.1:8000 (TEST DOUBLE).

Standard library only. Answers like the real docservice does (DESIGN.md section 7):
/healthcheck, /index.html, /baseurl, CommandService, the engine.io v4 socket under
/doc/, /info/info.json, /internal/cluster/inactive (drain). Fault knobs come from the
environment (see README.md). Started and restarted by init.py.
"""
import base64
import hashlib
import hmac
import http.server
import json
import os
import re
import signal
import sys
import threading
import time
import urllib.parse

import simlib
from simlib import ds_log

MB = 1024 * 1024
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# The `ws` library's check: a Sec-WebSocket-Key is 16 random bytes in base64.
WS_KEY_RE = re.compile(r"^[+/0-9A-Za-z]{22}==$")
DOC_SOCKET_RE = re.compile(r"^/doc/([^/]+)/c/?$")
JWT_HASHES = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}
# c_oAscServerCommandErrors of the real CommandService.
OK, DOCUMENT_ID, PARSE, UNKNOWN, NOT_MODIFIED, UNKNOWN_COMMAND, TOKEN, TOKEN_EXPIRED = range(8)
# Simulator-only: which simulated node answered, on every response docservice makes (SIM_NODE).
NODE_HEADER = "X-Docops-Sim-Node"
# The real docservice needs about a second (broker, queue, schema check) before it listens.
BOOT_SECONDS = 1.0

STOP = threading.Event()
DRAINING = threading.Event()


class Config:
    def __init__(self):
        local = simlib.read_local_json()
        coauthoring = local["services"]["CoAuthoring"]
        self.jwt_enabled = coauthoring["token"]["enable"]["request"]["inbox"]
        self.jwt_secret = coauthoring["secret"]["inbox"]["string"]
        self.jwt_header = coauthoring["token"]["inbox"]["header"]
        self.jwt_in_body = coauthoring["token"]["inbox"]["inBody"]
        self.hang = simlib.env_flag("SIM_HANG", False)
        self.socket_seconds = simlib.env_float("SIM_SOCKET_SECONDS", 10)
        self.release_date = os.environ.get("SIM_RELEASE_DATE") or "simulated"
        self.node = simlib.sim_node()


CFG = None  # set in main()


class State:
    """What the handlers share: dependency health, open sockets, requests in flight."""

    def __init__(self):
        self.lock = threading.Lock()
        self.dependency_errors = {}
        self.sockets = {}  # sid -> docId
        self.in_flight = 0

    def first_dependency_error(self):
        with self.lock:
            errors = [error for error in self.dependency_errors.values() if error]
        return errors[0] if errors else None


STATE = State()


# ---------------------------------------------------------------- JWT (HS256/384/512)
def _b64url_decode(text):
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode("ascii"))


def verify_jwt(token, secret):
    """(code, claims) the way jsonwebtoken decides: 0 ok, 6 invalid, 7 expired."""
    try:
        head_b64, body_b64, signature_b64 = token.split(".")
        header = json.loads(_b64url_decode(head_b64))
        digest = JWT_HASHES[header["alg"]]
        signed = (head_b64 + "." + body_b64).encode("ascii")
        expected = hmac.new(secret.encode(), signed, digest).digest()
        if not hmac.compare_digest(expected, _b64url_decode(signature_b64)):
            return TOKEN, None
        claims = json.loads(_b64url_decode(body_b64))
    except (ValueError, KeyError, TypeError, AttributeError):
        return TOKEN, None
    if not isinstance(claims, dict):
        return TOKEN, None
    now = time.time()
    if isinstance(claims.get("exp"), (int, float)) and now >= claims["exp"]:
        return TOKEN_EXPIRED, None
    if isinstance(claims.get("nbf"), (int, float)) and now < claims["nbf"]:
        return TOKEN, None
    return OK, claims


# ---------------------------------------------------------------- WebSocket (RFC 6455)
def ws_accept(key):
    return base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()


def ws_frame(opcode, payload):
    length = len(payload)
    if length < 126:
        header = bytes([0x80 | opcode, length])
    elif length < 65536:
        header = bytes([0x80 | opcode, 126]) + length.to_bytes(2, "big")
    else:
        header = bytes([0x80 | opcode, 127]) + length.to_bytes(8, "big")
    return header + payload


def _read_exact(rfile, count):
    data = rfile.read(count)
    if len(data) < count:
        raise EOFError
    return data


def ws_read_frame(rfile):
    first, second = _read_exact(rfile, 2)
    length = second & 0x7F
    if length == 126:
        length = int.from_bytes(_read_exact(rfile, 2), "big")
    elif length == 127:
        length = int.from_bytes(_read_exact(rfile, 8), "big")
    if length > 1000000:  # engine.io's maxPayload
        raise EOFError
    mask = _read_exact(rfile, 4) if second & 0x80 else b""
    payload = _read_exact(rfile, length)
    if mask:
        payload = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
    return first & 0x0F, payload


class WebSocket:
    """One upgraded connection; a reader thread answers the client while the handler waits."""

    def __init__(self, handler, sid):
        self.handler = handler
        self.sid = sid
        self.write_lock = threading.Lock()
        self.close_sent = False
        self.ended = threading.Event()

    def send(self, opcode, payload):
        with self.write_lock:
            if self.close_sent:
                return
            self.close_sent = opcode == 8
            try:
                self.handler.wfile.write(ws_frame(opcode, payload))
            except OSError:
                self.ended.set()

    def read_loop(self):
        try:
            while True:
                opcode, payload = ws_read_frame(self.handler.rfile)
                if opcode == 8:  # close: echo the status code back, then stop
                    self.send(8, payload[:2])
                    break
                if opcode == 9:
                    self.send(10, payload)
                elif opcode == 1 and payload.startswith(b"40"):
                    # socket.io CONNECT to the default namespace
                    answer = "40" + json.dumps({"sid": make_sid()}, separators=(",", ":"))
                    self.send(1, answer.encode())
        except (OSError, EOFError, ValueError):
            pass
        self.ended.set()

    def close(self, code):
        self.send(8, code.to_bytes(2, "big"))
        self.ended.wait(1)  # give the client a moment to answer the close frame
        try:
            self.handler.connection.shutdown(2)
        except OSError:
            pass


def make_sid():
    return base64.urlsafe_b64encode(os.urandom(15)).decode()


def engine_io_open(sid, upgrades):
    return "0" + json.dumps({"sid": sid, "upgrades": upgrades, "pingInterval": 25000,
                             "pingTimeout": 20000, "maxPayload": 1000000}, separators=(",", ":"))


# ---------------------------------------------------------------- HTTP
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "docops-sim-docservice"
    sys_version = ""
    timeout = 30  # idle keep-alive connections do not pin a thread forever

    def log_message(self, *args):
        pass  # nginx keeps the access log

    def handle(self):
        if CFG.hang:
            STOP.wait()  # SIM_HANG: connection accepted, never answered
            return
        super().handle()

    def send_response(self, code, message=None):
        """Every answer built with send_response (send_error too) names the simulated node."""
        super().send_response(code, message)
        self.send_header(NODE_HEADER, CFG.node)

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_HEAD = do_GET

    def dispatch(self):
        with STATE.lock:
            STATE.in_flight += 1
        try:
            url = urllib.parse.urlsplit(self.path)
            self.query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            self.body = self.read_body()
            method = "GET" if self.command == "HEAD" else self.command
            route = ROUTES.get((method, url.path))
            match = DOC_SOCKET_RE.match(url.path)
            if route:
                route(self)
            elif match and method == "GET":
                self.engine_io(match.group(1))
            else:
                self.send(404, "text/html; charset=utf-8",
                          "<!DOCTYPE html><html><body><pre>Cannot %s %s</pre></body></html>"
                          % (method, url.path))
        finally:
            with STATE.lock:
                STATE.in_flight -= 1

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send(self, status, content_type, body, headers=()):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def send_json(self, status, document, headers=()):
        self.send(status, "application/json; charset=utf-8",
                  json.dumps(document, separators=(",", ":")), headers)

    def send_raw_400(self, message):
        """The `ws` library's abortHandshake: a bare response, then the socket is closed."""
        data = message.encode()
        self.wfile.write(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n%s: %s\r\n"
                         b"Content-Type: text/html\r\nContent-Length: %d\r\n\r\n%s"
                         % (NODE_HEADER.encode(), CFG.node.encode(), len(data), data))
        self.close_connection = True

    # ----- plain endpoints
    def healthcheck(self):
        error = STATE.first_dependency_error()
        if error:
            ds_log("ERROR", "healthCheck error Error: " + error)
        self.send(200, "text/plain; charset=utf-8", "false" if error else "true")

    def index(self):
        # No customer id, no multitenancy, no alias: what a single-tenant image shows (DESIGN.md 7a).
        self.send(200, "text/html; charset=utf-8",
                  "Server is functioning normally. Version: %s. Build: %s. Release date: %s. "
                  "Package type: %d. Customer Id: . Multitenancy: false. Alias: "
                  % (simlib.VERSION, simlib.BUILD, CFG.release_date, simlib.PACKAGE_TYPE))

    def baseurl(self):
        def first(name):
            return (self.headers.get(name) or "").split(",")[0].strip()

        proto = first("X-Forwarded-Proto").lower()
        scheme = proto if proto in ("http", "https") else "http"
        host = first("X-Forwarded-Host") or self.headers.get("Host") or "localhost"
        self.send(200, "text/html; charset=utf-8", "%s://%s%s" % (scheme, host, first("X-Forwarded-Prefix")))

    def info(self):
        with STATE.lock:
            connections = len(STATE.sockets)
        stat = {"edit": {"min": 0, "avr": 0, "max": connections},
                "liveview": {"min": 0, "avr": 0, "max": 0}}
        self.send_json(200, {
            "connectionsStat": {period: stat for period in ("hour", "day", "week", "month")},
            "licenseInfo": {"packageType": simlib.PACKAGE_TYPE, "mode": 0, "buildDate": CFG.release_date,
                            "connections": 20, "connectionsView": 20, "usersCount": 0,
                            "usersViewCount": 0, "hasLicense": False, "plugins": False},
            "serverInfo": {"buildVersion": simlib.VERSION, "buildNumber": int(simlib.BUILD),
                           "date": CFG.release_date, "packageType": simlib.PACKAGE_TYPE},
            "quota": {"edit": {"connectionsCount": connections, "usersCount": {"unique": 0, "anonymous": 0}},
                      "view": {"connectionsCount": 0, "usersCount": {"unique": 0, "anonymous": 0}},
                      "byMonth": []},
        }, headers=[("Access-Control-Allow-Origin", "*")])

    def echo_headers(self):
        """Simulator-only (loopback): the request headers as docservice received them from nginx."""
        self.send_json(200, {name.lower(): value for name, value in self.headers.items()})

    # ----- drain (documentserver-prepare4shutdown.sh)
    def drain(self):
        DRAINING.set()
        ds_log("WARN", "shutdown: prepare for shutdown, new connections are refused")
        deadline = time.monotonic() + 300
        while STATE.sockets and time.monotonic() < deadline and not STOP.is_set():
            time.sleep(0.1)
        ds_log("WARN", "shutdown: drained, %d connections left" % len(STATE.sockets))
        self.send(200, "application/json; charset=utf-8", "true")

    def undrain(self):
        DRAINING.clear()
        ds_log("WARN", "shutdown: cancelled, accepting connections")
        self.send(200, "application/json; charset=utf-8", "true")

    def drain_status(self):
        self.send(200, "application/json; charset=utf-8", "true" if DRAINING.is_set() else "false")

    # ----- CommandService
    def command_service(self):
        if DRAINING.is_set():
            self.send_json(503, {"error": UNKNOWN})
            return
        try:
            params = json.loads(self.body) if self.body else dict(self.query)
            if not isinstance(params, dict):
                raise ValueError
        except ValueError:
            self.send_json(200, {"error": PARSE})
            return
        code = OK
        if CFG.jwt_enabled:
            code, params = self.authorize(params)
        key = params.get("key")
        command = params.get("c")
        result = {} if key is None else {"key": key}
        if code == OK:
            code, extra = run_command(command, key)
            result["error"] = code
            result.update(extra)
        else:
            result["error"] = code
        ds_log("INFO", "commandFromServer: c = %s, error = %d" % (command, code),
               doc_id=key if isinstance(key, str) else "docId")
        self.send_json(200, result)

    def authorize(self, params):
        """(code, params): the token from the body/query `token`, else `<JWT_HEADER>: Bearer …`."""
        token = params.get("token")
        if not token:
            value = self.headers.get(CFG.jwt_header) or ""
            token = value[len("Bearer "):] if value.startswith("Bearer ") else None
        if not isinstance(token, str):
            return TOKEN, params
        code, claims = verify_jwt(token, CFG.jwt_secret)
        if code != OK:
            return code, params
        inner = claims.get("payload")
        claims = inner if isinstance(inner, dict) else claims
        if CFG.jwt_in_body:
            return OK, dict(claims)
        merged = dict(params)
        merged.update(claims)
        return OK, merged

    # ----- engine.io v4 under /doc/<docId>/c/
    def engine_io(self, doc_id):
        transport = self.query.get("transport")
        upgrade = self.headers.get("Upgrade")
        if transport not in ("polling", "websocket"):
            self.send_json(400, {"code": 0, "message": "Transport unknown"})
        elif DRAINING.is_set():
            self.send(503, "text/plain; charset=utf-8", "Server is shutting down")
        elif "sid" in self.query:
            self.send_json(400, {"code": 1, "message": "Session ID unknown"})
        elif transport == "websocket" and not upgrade:
            self.send_json(400, {"code": 3, "message": "Bad request"})
        elif upgrade and upgrade.lower() != "websocket":
            self.send_raw_400("Invalid Upgrade header")
        elif upgrade and not WS_KEY_RE.match(self.headers.get("Sec-WebSocket-Key") or ""):
            self.send_raw_400("Missing or invalid Sec-WebSocket-Key header")
        elif upgrade and self.headers.get("Sec-WebSocket-Version") not in ("8", "13"):
            self.send_raw_400("Missing or invalid Sec-WebSocket-Version header")
        elif self.query.get("EIO") != "4":
            self.send_json(400, {"code": 5, "message": "Unsupported protocol version"})
        elif upgrade:
            self.websocket(doc_id)
        else:
            self.send(200, "text/plain; charset=UTF-8", engine_io_open(make_sid(), ["websocket"]))

    def websocket(self, doc_id):
        key = self.headers["Sec-WebSocket-Key"]
        self.wfile.write(("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s: %s\r\n\r\n"
                          % (ws_accept(key), NODE_HEADER, CFG.node)).encode())
        self.close_connection = True
        self.connection.settimeout(None)
        sid = make_sid()
        sock = WebSocket(self, sid)
        with STATE.lock:
            STATE.sockets[sid] = doc_id
        ds_log("INFO", "data.type = auth, socket connected (sid %s)" % sid, doc_id=doc_id)
        try:
            sock.send(1, engine_io_open(sid, []).encode())
            threading.Thread(target=sock.read_loop, daemon=True).start()
            # Held open for SIM_SOCKET_SECONDS, until the client closes, or until shutdown.
            deadline = time.monotonic() + CFG.socket_seconds
            while not sock.ended.wait(0.1):
                if STOP.is_set() or time.monotonic() >= deadline:
                    break
            sock.close(1001 if STOP.is_set() else 1000)
        finally:
            with STATE.lock:
                STATE.sockets.pop(sid, None)


ROUTES = {
    ("GET", "/healthcheck"): Handler.healthcheck,
    ("GET", "/index.html"): Handler.index,
    ("GET", "/baseurl"): Handler.baseurl,
    ("GET", "/coauthoring/CommandService.ashx"): Handler.command_service,
    ("POST", "/coauthoring/CommandService.ashx"): Handler.command_service,
    ("POST", "/command"): Handler.command_service,
    ("GET", "/info/info.json"): Handler.info,
    ("GET", "/internal/cluster/inactive"): Handler.drain_status,
    ("PUT", "/internal/cluster/inactive"): Handler.drain,
    ("DELETE", "/internal/cluster/inactive"): Handler.undrain,
    ("GET", "/internal/docops-sim/headers"): Handler.echo_headers,
}


def run_command(command, key):
    """(error code, extra fields) for one CommandService command; no document is ever open."""
    with STATE.lock:
        open_docs = set(STATE.sockets.values())
    if command == "version":
        return OK, {"version": "%s.%s" % (simlib.VERSION, simlib.BUILD)}
    if command == "license":
        return OK, {"license": {"end_date": None, "trial": False, "customization": False},
                    "server": {"buildVersion": simlib.VERSION, "buildNumber": int(simlib.BUILD),
                               "packageType": simlib.PACKAGE_TYPE, "resultType": 3},
                    "quota": {"users": [], "users_view": []}}
    if command == "getForgottenList":
        return OK, {"keys": []}
    if command not in ("info", "drop", "forcesave", "meta", "getForgotten", "deleteForgotten"):
        return UNKNOWN_COMMAND, {}
    if key is None or key not in open_docs:
        return (NOT_MODIFIED if command == "forcesave" and key is not None else DOCUMENT_ID), {}
    return (NOT_MODIFIED if command == "forcesave" else OK), {}


# ---------------------------------------------------------------- dependencies and knobs
def check_dependencies(deps):
    down = simlib.forced_down()
    for dep in deps:
        error = simlib.dependency_error(dep, down)
        with STATE.lock:
            STATE.dependency_errors[dep.kind] = error
        # The broker and cache clients log their reconnect failures; the database pool
        # only fails when queried (the health check logs that one).
        if error and dep.kind == "rabbitmq":
            ds_log("ERROR", "[AMQP] Error: " + error)
        elif error and dep.kind == "redis":
            ds_log("ERROR", "redisClient error Error: " + error)


def monitor_dependencies(deps):
    while not STOP.wait(1):
        check_dependencies(deps)


def leak_memory(mb_per_second):
    hoard = []
    while not STOP.wait(1):
        hoard.append(b"\x5a" * int(mb_per_second * MB))  # bytes are written, so resident


def wait_for_external_broker(deps):
    """An external broker that is down at start: no port, an [AMQP] error every second."""
    broker = next(dep for dep in deps if dep.kind == "rabbitmq")
    while broker.external and not STOP.is_set():
        error = simlib.connect_error(broker.host, broker.port)
        if error is None:
            return
        ds_log("ERROR", "[AMQP] Error: " + error)
        STOP.wait(1)


class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 511  # Node's default backlog: load tests must measure the gateway, not us
    daemon_threads = True
    allow_reuse_address = True


def serve():
    for attempt in range(50):  # the previous docservice may still hold the port for a moment
        try:
            server = Server(("127.0.0.1", 8000), Handler)
            break
        except OSError:
            if attempt == 49 or STOP.wait(0.1):
                raise
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    return server


def main():
    global CFG
    signal.signal(signal.SIGTERM, lambda *_: STOP.set())
    signal.signal(signal.SIGINT, lambda *_: STOP.set())
    CFG = Config()
    # The start script waited for all three; docservice only watches what its edition uses.
    deps = [dep for dep in simlib.dependencies() if simlib.watched_by_docservice(dep)]
    ds_log("WARN", "Express server starting...")
    if simlib.env_flag("SIM_DB_DOWN_AT_START", False):
        db = next(dep for dep in deps if dep.kind == "postgresql")
        ds_log("ERROR", "getTableColumns error: Error: " + simlib.dependency_error(db, {"postgresql"}))
        while not STOP.wait(0.5):  # the real one stays alive and never opens its port
            pass
        return 0
    wait_for_external_broker(deps)
    check_dependencies(deps)
    if STOP.wait(BOOT_SECONDS + simlib.env_float("SIM_START_DELAY", 0)):
        return 0
    server = serve()
    ds_log("WARN", "Express server listening on port 8000 in production-linux mode. Version: %s. Build: %s"
           % (simlib.VERSION, simlib.BUILD))
    threading.Thread(target=monitor_dependencies, args=(deps,), daemon=True).start()
    leak = simlib.env_float("SIM_LEAK_MB_PER_S", 0)
    if leak > 0:
        threading.Thread(target=leak_memory, args=(leak,), daemon=True).start()
    while not STOP.wait(0.5):
        pass
    ds_log("WARN", "shutdown: SIGTERM received, closing %d connections" % len(STATE.sockets))
    DRAINING.set()
    server.shutdown()
    server.server_close()
    deadline = time.monotonic() + 3  # the real docservice is gone within ~3 s
    while (STATE.sockets or STATE.in_flight) and time.monotonic() < deadline:
        time.sleep(0.05)
    ds_log("WARN", "shutdown: docservice stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
