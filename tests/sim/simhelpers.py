"""Helpers for the simulator tests: docker CLI wrappers, a JWT encoder, a raw WebSocket client.

Every address used here is 127.0.0.1 (published ports) or a `docker exec` inside a
container the tests created.
"""
import base64
import hashlib
import hmac
import json
import os
import socket
import subprocess
import time
import uuid

import requests

LABEL = "docops.testbed=1"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
LOG_DIR = "/var/log/onlyoffice/documentserver"
JWT_SECRET = "sim-tests-jwt-secret-0123456789abcdef"
LINK_SECRET = "sim-tests-link-secret"
# Short timings so the whole suite stays fast; tests that exercise a knob override it.
QUICK_ENV = {"GENERATE_FONTS": "false", "SIM_SOCKET_SECONDS": "3"}


def docker(*args, check=True, timeout=90):
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=check, timeout=timeout)


def wait_until(probe, timeout, interval=0.1, what="condition"):
    """Poll probe() until it returns something truthy; fail with its last value after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s (last: %r)" % (timeout, what, last))


class Sim:
    """One simulator container, reached on its 127.0.0.1-published port 80."""

    def __init__(self, name):
        self.name = name
        self._port = None

    @property
    def port(self):
        if self._port is None:
            def published():
                return docker("port", self.name, "80/tcp", check=False).stdout.strip()

            mapping = wait_until(published, 10, what="the published port of " + self.name)
            self._port = int(mapping.splitlines()[0].rsplit(":", 1)[1])
        return self._port

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def request(self, method, path, timeout=5, **kwargs):
        kwargs.setdefault("allow_redirects", False)
        return requests.request(method, self.url(path), timeout=timeout, **kwargs)

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, **kwargs):
        return self.request("POST", path, **kwargs)

    def health(self):
        """`true`/`false` body, the HTTP status as a string, or `down` when nothing answers."""
        try:
            answer = self.get("/healthcheck", timeout=2)
        except requests.RequestException:
            return "down"
        return answer.text if answer.status_code == 200 else str(answer.status_code)

    def wait_healthy(self, timeout=20):
        wait_until(lambda: self.health() == "true", timeout, what="/healthcheck true on " + self.name)

    def exec(self, *command, check=True):
        return docker("exec", self.name, *command, check=check).stdout

    def read(self, path):
        return self.exec("cat", path)

    def logs(self):
        """The container's stdout and stderr, in one stream so their order is kept."""
        return subprocess.run(["docker", "logs", self.name], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, check=True, timeout=30).stdout

    def wait_log(self, text, timeout=20, count=1):
        """Wait until the container's output holds text (count times); returns the output."""
        def probe():
            logs = self.logs()
            return logs if logs.count(text) >= count else None

        return wait_until(probe, timeout, interval=0.2,
                          what="%d x %r in the logs of %s" % (count, text, self.name))

    def state(self):
        return json.loads(docker("inspect", self.name).stdout)[0]["State"]

    def inspect(self):
        return json.loads(docker("inspect", self.name).stdout)[0]

    def wait_exited(self, timeout):
        def probe():
            state = self.state()
            return state if not state["Running"] and not state["Restarting"] else None

        return wait_until(probe, timeout, interval=0.2, what=self.name + " to exit")

    def restart(self):
        docker("restart", "-t", "60", self.name)
        self._port = None  # an ephemeral published port can change on restart

    def stop(self):
        """docker stop -t 60; returns how long it took."""
        started = time.monotonic()
        docker("stop", "-t", "60", self.name, timeout=90)
        return time.monotonic() - started


class SimFactory:
    """Starts simulator containers and removes them (with their anonymous volumes) at close()."""

    def __init__(self, image):
        self.image = image
        self.names = []

    def start(self, env=None, args=(), quick=True):
        name = "docops-sim-test-" + uuid.uuid4().hex[:10]
        self.names.append(name)  # before `run`: a failed run can still leave a container
        settings = dict(QUICK_ENV) if quick else {}
        settings.update(env or {})
        command = ["run", "-d", "--name", name, "--label", LABEL, "-p", "127.0.0.1::80", *args]
        for key, value in settings.items():
            command += ["-e", "%s=%s" % (key, value)]
        docker(*command, self.image)
        return Sim(name)

    def remove(self, sim):
        docker("rm", "-fv", sim.name, check=False)

    def close(self):
        for name in self.names:
            docker("rm", "-fv", name, check=False)


def jwt_encode(claims, secret):
    def b64(data):
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + b64(json.dumps(claims).encode())
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(signature)


# ---------------------------------------------------------------- raw WebSocket client
def ws_key():
    return base64.b64encode(os.urandom(16)).decode()


def expected_accept(key):
    """RFC 6455 section 4.2.2: base64(SHA-1(key + GUID))."""
    return base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()


class RawWebSocket:
    """Just enough of a client: the upgrade request, reading frames, sending masked frames."""

    def __init__(self, port, path, key=None, timeout=5):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        lines = ["GET %s HTTP/1.1" % path, "Host: 127.0.0.1:%d" % port, "Upgrade: websocket",
                 "Connection: Upgrade", "Sec-WebSocket-Version: 13"]
        if key:
            lines.append("Sec-WebSocket-Key: " + key)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buffer += chunk
        head, _sep, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split()[1])
        self.headers = {}
        for line in header_lines:
            name, _sep, value = line.partition(":")
            self.headers[name.strip().lower()] = value.strip()

    def _take(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def body(self):
        return self._take(int(self.headers.get("content-length", 0))).decode()

    def read_frame(self):
        first, second = self._take(2)
        length = second & 0x7F
        if length == 126:
            length = int.from_bytes(self._take(2), "big")
        elif length == 127:
            length = int.from_bytes(self._take(8), "big")
        assert not second & 0x80, "server frames must not be masked"
        return first & 0x0F, self._take(length)

    def send_frame(self, opcode, payload):
        mask = os.urandom(4)
        assert len(payload) < 126
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        self.sock.sendall(bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + masked)

    def close(self):
        self.sock.close()
