"""HTTP and WebSocket client for the nginx_proxy molecule verify steps, run on the controller.

The gateway listens in a test-bed container published on 127.0.0.1:<port>, but the
URL names the real server. The client connects to --connect HOST:PORT and uses the
URL's host for TLS SNI and certificate checks, and the URL's netloc (host and port as
written) as the Host header. It never follows redirects. Standard library only, Python >= 3.9.

  python gateway_client.py request URL --connect H:P [--method M] [--header 'Name: value' ...]
                                       [--body-bytes N] [--insecure | --cafile F] [--timeout S]
  python gateway_client.py websocket URL --connect H:P [--header ...] [--insecure | --cafile F] [--timeout S]
  python gateway_client.py shards URL --connect H:P --keys N [--rounds R] [--param shardkey|WOPISrc]
                                      [--header ...] [--insecure | --cafile F] [--timeout S]

Every run prints ONE JSON object on stdout. Exit 0: the exchange happened, whatever the
HTTP status (the playbook asserts on the JSON). Exit 2: no exchange (connection refused,
TLS failure, timeout, a broken answer, a bad command line); stderr then has one line and
the JSON has "error" (and "stage": usage, connect, tls, send or receive).

TLS: --insecure checks nothing; --cafile F verifies the chain against F and the name
against the URL's host; with neither, the system's CAs and the URL's host are used.
"""
import argparse
import base64
import hashlib
import json
import os
import select
import socket
import ssl
import sys
import time
import urllib.parse

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
NODE_HEADER = "x-docops-sim-node"
CHUNK = 1024 * 1024
BODY_CHARS = 4096
MAX_LINE = 65536
MAX_HEADERS = 200
MAX_FRAME = 16 * 1024 * 1024
USER_AGENT = "docops-gateway-client/1"


class ClientError(Exception):
    """No usable exchange: the message goes to stderr and into the JSON "error"."""

    def __init__(self, stage, message):
        super().__init__(message)
        self.stage = stage


# ---------------------------------------------------------------- target and connection
class Target:
    """The URL as the client sees it (scheme, Host header, SNI name, request target)."""

    def __init__(self, url, connect):
        parts = urllib.parse.urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme in ("ws", "wss"):
            scheme = "https" if scheme == "wss" else "http"
        if scheme not in ("http", "https") or not parts.hostname:
            raise ClientError("usage", "URL must be http(s):// or ws(s):// with a host: %r" % url)
        self.url = url
        self.scheme = scheme
        self.tls = scheme == "https"
        self.hostname = parts.hostname  # lowercased, no brackets: for SNI and the name check
        self.netloc = parts.netloc.rpartition("@")[2]  # host[:port] as written: the Host header
        self.query = parts.query
        self.path = parts.path or "/"
        host, sep, port = connect.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ClientError("usage", "--connect must be HOST:PORT, not %r" % connect)
        self.connect_host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        self.connect_port = int(port)

    def target(self, extra_query=None):
        query = self.query
        if extra_query:
            query = query + "&" + extra_query if query else extra_query
        return self.path + ("?" + query if query else "")

    def origin(self):
        return "%s://%s" % (self.scheme, self.netloc)


def tls_context(args):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if args.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif args.cafile:
        context.load_verify_locations(cafile=args.cafile)
    else:
        context.load_default_certs()
    context.set_alpn_protocols(["http/1.1"])
    return context


class Connection:
    """One TCP (and TLS) connection with a read buffer; bytes read early are kept for the parser."""

    def __init__(self, target, args):
        self.timeout = args.timeout
        address = "%s:%d" % (target.connect_host, target.connect_port)
        try:
            raw = socket.create_connection((target.connect_host, target.connect_port), timeout=args.timeout)
        except OSError as exc:
            raise ClientError("connect", "cannot connect to %s: %s" % (address, describe(exc)))
        self.tls_version = None
        if target.tls:
            try:
                context = tls_context(args)
            except (OSError, ssl.SSLError) as exc:
                raw.close()
                raise ClientError("usage", "cannot use --cafile %s: %s" % (args.cafile, describe(exc)))
            try:
                raw = context.wrap_socket(raw, server_hostname=target.hostname)
            except (OSError, ssl.SSLError) as exc:
                raw.close()
                raise ClientError("tls", "TLS handshake with %s (SNI %s) failed: %s"
                                  % (address, target.hostname, describe(exc)))
            self.tls_version = raw.version()
        self.sock = raw
        self.buffer = b""
        self.eof = False

    def sendall(self, data):
        self.sock.sendall(data)

    def answer_waiting(self):
        """True when the server has sent something (or closed) while we still send: stop sending.

        A readable TLS socket may only carry session tickets, so read what is there:
        application data is kept in the buffer for the parser.
        """
        if self.buffer or self.eof:
            return True
        pending = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()
        if not pending and not select.select([self.sock], [], [], 0)[0]:
            return False
        self.sock.settimeout(0)
        try:
            data = self.sock.recv(65536)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            return False
        except OSError:
            self.eof = True  # reset: whatever answer there was is already in the buffer
            return True
        finally:
            self.sock.settimeout(self.timeout)
        if data:
            self.buffer += data
        else:
            self.eof = True
        return True

    def _fill(self):
        if self.eof:
            return False
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise ClientError("receive", "no answer within %ss" % self.timeout)
        except ssl.SSLError as exc:
            # an unclean close (no close_notify) counts as the end, like a plain close
            if "EOF" not in str(exc) and "UNEXPECTED_EOF" not in str(exc):
                raise ClientError("receive", "TLS error while reading: %s" % describe(exc))
            data = b""
        except OSError as exc:
            if not self.buffer:
                raise ClientError("receive", "connection failed while reading: %s" % describe(exc))
            data = b""
        if not data:
            self.eof = True
            return False
        self.buffer += data
        return True

    def readline(self):
        while True:
            index = self.buffer.find(b"\n")
            if index >= 0:
                line, self.buffer = self.buffer[:index + 1], self.buffer[index + 1:]
                return line
            if len(self.buffer) > MAX_LINE:
                raise ClientError("receive", "a line of the answer is longer than %d bytes" % MAX_LINE)
            if not self._fill():
                line, self.buffer = self.buffer, b""
                return line

    def read(self, count):
        """Up to count bytes (fewer only at the end of the stream)."""
        while len(self.buffer) < count and self._fill():
            pass
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def read_some(self, limit=65536):
        if not self.buffer:
            self._fill()
        data, self.buffer = self.buffer[:limit], self.buffer[limit:]
        return data

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def describe(exc):
    if isinstance(exc, socket.timeout):
        return "timed out"
    text = str(exc) or exc.__class__.__name__
    return " ".join(text.split())


# ---------------------------------------------------------------- HTTP/1.1
def parse_header_option(value):
    name, sep, field = value.partition(":")
    name = name.strip()
    if not sep or not name or any(char in name for char in " \t\r\n") or "\r" in field or "\n" in field:
        raise ClientError("usage", "--header must be 'Name: value', not %r" % value)
    return name, field.strip()


def build_head(method, target, request_target, headers):
    """The request head; user headers replace the defaults of the same name (Host too)."""
    fields = [("Host", target.netloc), ("User-Agent", USER_AGENT), ("Accept", "*/*")]
    names = {name.lower() for name, _value in headers}
    fields = [(name, value) for name, value in fields if name.lower() not in names] + list(headers)
    lines = ["%s %s HTTP/1.1" % (method, request_target)] + ["%s: %s" % field for field in fields]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def read_head(conn, allow_101=False):
    """(status, reason, headers) of the final answer; interim 1xx answers are skipped."""
    while True:
        line = conn.readline()
        if not line:
            raise ClientError("receive", "the connection closed without an answer")
        text = line.decode("latin-1").rstrip("\r\n")
        parts = text.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or len(parts[1]) != 3 or not parts[1].isdigit():
            raise ClientError("receive", "not an HTTP/1.x status line: %r" % text[:200])
        status, reason = int(parts[1]), (parts[2] if len(parts) > 2 else "")
        headers = {}
        last = None
        for _count in range(MAX_HEADERS + 1):
            line = conn.readline()
            if not line.endswith(b"\n"):
                raise ClientError("receive", "the connection closed inside the answer's header")
            field = line.decode("latin-1").rstrip("\r\n")
            if not field:
                break
            if field[0] in " \t" and last:  # obsolete line folding
                headers[last] += " " + field.strip()
                continue
            name, sep, value = field.partition(":")
            if not sep or not name or name != name.strip():
                raise ClientError("receive", "malformed header line: %r" % field[:200])
            last = name.lower()
            value = value.strip()
            headers[last] = headers[last] + ", " + value if last in headers else value
        else:
            raise ClientError("receive", "more than %d header lines" % MAX_HEADERS)
        if 100 <= status < 200 and not (status == 101 and allow_101):
            if status == 101:
                return status, reason, headers  # an unasked-for upgrade: no body follows
            continue
        return status, reason, headers


class BodySink:
    """Counts the body and keeps its start."""

    def __init__(self):
        self.length = 0
        self.start = b""

    def add(self, data):
        self.length += len(data)
        room = BODY_CHARS * 4 - len(self.start)  # a UTF-8 character has at most 4 bytes
        if room > 0:
            self.start += data[:room]

    def text(self):
        return self.start.decode("utf-8", "replace")[:BODY_CHARS]


def read_body(conn, method, status, headers):
    sink = BodySink()
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return sink
    encoding = [token.strip().lower() for token in headers.get("transfer-encoding", "").split(",") if token.strip()]
    if encoding and encoding[-1] == "chunked":
        while True:
            line = conn.readline()
            size_text = line.decode("latin-1").split(";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ClientError("receive", "bad chunk size line %r after %d body bytes" % (line[:80], sink.length))
            if size == 0:
                while conn.readline().strip():  # trailers
                    pass
                return sink
            while size:
                data = conn.read(min(size, 65536))
                if not data:
                    raise ClientError("receive", "the connection closed inside a chunk after %d body bytes"
                                      % sink.length)
                sink.add(data)
                size -= len(data)
            if conn.readline().strip():
                raise ClientError("receive", "a chunk is not followed by CRLF")
    if "content-length" in headers:
        values = {value.strip() for value in headers["content-length"].split(",")}
        if len(values) != 1 or not next(iter(values)).isdigit():
            raise ClientError("receive", "bad Content-Length %r" % headers["content-length"])
        remaining = int(values.pop())
        while remaining:
            data = conn.read(min(remaining, 65536))
            if not data:
                raise ClientError("receive", "the connection closed after %d of %d body bytes"
                                  % (sink.length, sink.length + remaining))
            sink.add(data)
            remaining -= len(data)
        return sink
    while True:  # delimited by the end of the connection (we always send Connection: close)
        data = conn.read_some()
        if not data:
            return sink
        sink.add(data)


def send_body(conn, size):
    """Stream size zero bytes in 1 MiB chunks; stop early when the server already answered.

    Returns (bytes sent, error text or None). nginx answers 413 from the announced length
    and then closes: the answer is in our receive buffer even when sending fails.
    """
    sent = 0
    chunk = bytes(CHUNK)
    while sent < size:
        if conn.answer_waiting():
            return sent, None
        piece = chunk if size - sent >= CHUNK else chunk[:size - sent]
        try:
            conn.sendall(piece)
        except OSError as exc:
            return sent, describe(exc)
        sent += len(piece)
    return sent, None


def http_exchange(target, args, method="GET", extra_query=None, headers=()):
    """One request on a new connection; a dict for the JSON (raises ClientError)."""
    started = time.monotonic()
    conn = Connection(target, args)
    result = {}
    try:
        fields = list(headers)
        body_bytes = getattr(args, "body_bytes", None)
        names = {name.lower() for name, _value in fields}
        if body_bytes is not None and "content-length" not in names:
            fields.append(("Content-Length", str(body_bytes)))
        if "connection" not in names:
            fields.append(("Connection", "close"))
        head = build_head(method, target, target.target(extra_query), fields)
        try:
            conn.sendall(head)
        except OSError as exc:
            raise ClientError("send", "sending the request failed: %s" % describe(exc))
        if body_bytes is not None:
            result["sent_bytes"], result["send_error"] = send_body(conn, body_bytes)
        try:
            status, reason, answer_headers = read_head(conn)
            sink = read_body(conn, method, status, answer_headers)
        except ClientError as exc:
            if body_bytes is not None and result["sent_bytes"] < body_bytes:
                exc.args = ("%s (after sending %d of %d body bytes%s)"
                            % (exc, result["sent_bytes"], body_bytes,
                               ": " + result["send_error"] if result["send_error"] else ""),)
            raise
    except ClientError as exc:
        exc.partial = result
        raise
    finally:
        conn.close()
    result.update({"status": status, "reason": reason, "headers": answer_headers, "body": sink.text(),
                   "body_length": sink.length, "elapsed": round(time.monotonic() - started, 4),
                   "tls_version": conn.tls_version})
    return result


# ---------------------------------------------------------------- subcommands
def cmd_request(args, target):
    return http_exchange(target, args, method=args.method.upper(), headers=args.header)


def ws_frame(opcode, payload):
    """A masked client frame (RFC 6455 5.3)."""
    mask = os.urandom(4)
    length = len(payload)
    if length < 126:
        head = bytes([0x80 | opcode, 0x80 | length])
    elif length < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + length.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + length.to_bytes(8, "big")
    return head + mask + bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))


def ws_read_frame(conn):
    """(fin, opcode, payload) of one server frame."""
    def exact(count):
        data = conn.read(count)
        if len(data) < count:
            raise ClientError("receive", "the connection closed inside a WebSocket frame")
        return data

    first, second = exact(2)
    if first & 0x70:
        raise ClientError("receive", "WebSocket frame with reserved bits set (0x%02x)" % first)
    if second & 0x80:
        raise ClientError("receive", "the server sent a masked WebSocket frame")
    length = second & 0x7F
    if length == 126:
        length = int.from_bytes(exact(2), "big")
    elif length == 127:
        length = int.from_bytes(exact(8), "big")
    if length > MAX_FRAME:
        raise ClientError("receive", "WebSocket frame of %d bytes" % length)
    return bool(first & 0x80), first & 0x0F, exact(length)


def ws_first_message(conn):
    """(opcode, payload) of the first data message, or (8, close payload) if the server closed first."""
    message, message_opcode = b"", None
    while True:
        fin, opcode, payload = ws_read_frame(conn)
        if opcode == 9:
            conn.sendall(ws_frame(10, payload))
        elif opcode == 10:
            continue
        elif opcode == 8:
            return 8, payload
        elif opcode in (1, 2) and message_opcode is None:
            message, message_opcode = payload, opcode
        elif opcode == 0 and message_opcode is not None:
            message += payload
        else:
            raise ClientError("receive", "unexpected WebSocket opcode %d" % opcode)
        if message_opcode is not None and fin:
            return message_opcode, message


def cmd_websocket(args, target):
    key = base64.b64encode(os.urandom(16)).decode()
    expected = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
    fields = [("Upgrade", "websocket"), ("Connection", "Upgrade"), ("Sec-WebSocket-Key", key),
              ("Sec-WebSocket-Version", "13"), ("Origin", target.origin())]
    names = {name.lower() for name, _value in args.header}
    fields = [field for field in fields if field[0].lower() not in names] + list(args.header)
    conn = Connection(target, args)
    try:
        conn.sendall(build_head("GET", target, target.target(), fields))
        status, reason, headers = read_head(conn, allow_101=True)
        result = {"status": status, "reason": reason, "headers": headers, "node": headers.get(NODE_HEADER),
                  "accept_ok": status == 101 and headers.get("sec-websocket-accept") == expected,
                  "first_frame": None, "first_frame_opcode": None, "close_code": None, "body": None,
                  "tls_version": conn.tls_version}
        if status != 101:
            sink = read_body(conn, "GET", status, headers)
            result["body"] = sink.text()
            return result
        if not result["accept_ok"]:
            return result  # RFC 6455 4.1: the client must fail the connection
        opcode, payload = ws_first_message(conn)
        if opcode == 8:
            result["close_code"] = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
            return result
        if opcode == 1:
            try:
                result["first_frame"] = payload.decode("utf-8")
            except UnicodeDecodeError:
                raise ClientError("receive", "a WebSocket text frame that is not UTF-8")
        else:
            result["first_frame"] = payload.decode("utf-8", "replace")
        result["first_frame_opcode"] = opcode
        try:  # a clean close: 1000, then wait briefly for the server's close frame
            conn.sendall(ws_frame(8, (1000).to_bytes(2, "big")))
            conn.sock.settimeout(min(args.timeout, 2))
            while True:
                _fin, opcode, payload = ws_read_frame(conn)
                if opcode == 8:
                    result["close_code"] = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
                    break
        except (ClientError, OSError):
            pass
        return result
    except OSError as exc:
        raise ClientError("send", "WebSocket exchange failed: %s" % describe(exc))
    finally:
        conn.close()


def cmd_shards(args, target):
    nodes, statuses, per_node, keys_per_node, errors = {}, {}, {}, {}, []
    requests = 0
    for index in range(args.keys):
        key = "key-%d" % index
        seen = nodes[key] = []
        for _round in range(args.rounds):
            requests += 1
            query = urllib.parse.urlencode({args.param: key})
            try:
                answer = http_exchange(target, args, extra_query=query, headers=args.header)
            except ClientError as exc:
                statuses["error"] = statuses.get("error", 0) + 1
                errors.append("%s: %s" % (key, exc))
                seen.append(None)
                continue
            status = str(answer["status"])
            statuses[status] = statuses.get(status, 0) + 1
            node = answer["headers"].get(NODE_HEADER)
            seen.append(node)
            if node is not None:
                per_node[node] = per_node.get(node, 0) + 1
        for node in set(seen) - {None}:
            keys_per_node[node] = keys_per_node.get(node, 0) + 1
    sticky = (requests > 0 and set(statuses) == {"200"}
              and all(len(set(seen)) == 1 and seen[0] is not None for seen in nodes.values()))
    result = {"nodes": nodes, "statuses": statuses, "per_node": per_node, "keys_per_node": keys_per_node,
              "sticky": sticky, "requests": requests, "unattributed": sum(seen.count(None) for seen in nodes.values())}
    if errors:
        result["errors"] = errors[:10]
        failure = ClientError("receive", "%d of %d requests got no answer; first: %s"
                              % (len(errors), requests, errors[0]))
        failure.partial = result
        raise failure
    return result


# ---------------------------------------------------------------- command line
class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise ClientError("usage", "%s: %s" % (self.prog, message))


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def non_negative_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def header_option(text):
    try:
        return parse_header_option(text)
    except ClientError as exc:
        raise argparse.ArgumentTypeError(str(exc))


def parser():
    top = Parser(prog="gateway_client.py", description=__doc__.split("\n\n", 1)[0])
    commands = top.add_subparsers(dest="command", parser_class=Parser)
    commands.required = True

    def common(sub):
        sub.add_argument("url")
        sub.add_argument("--connect", required=True, metavar="HOST:PORT",
                         help="where to connect; the URL's host is still used for SNI and Host")
        tls = sub.add_mutually_exclusive_group()
        tls.add_argument("--insecure", action="store_true", help="do not verify the certificate")
        tls.add_argument("--cafile", help="verify the chain against this file and the name against the URL host")
        sub.add_argument("--timeout", type=float, default=10.0, help="seconds per network operation (10)")
        sub.add_argument("--header", action="append", type=header_option, default=[], metavar="'NAME: VALUE'",
                         help="an extra request header (repeatable); replaces a default of the same name")
        return sub

    request = common(commands.add_parser("request", help="one HTTP request"))
    request.add_argument("--method", default="GET")
    request.add_argument("--body-bytes", type=non_negative_int, metavar="N",
                         help="send N zero bytes as the body (Content-Length N, 1 MiB chunks)")
    common(commands.add_parser("websocket", help="a WebSocket upgrade and its first data frame"))
    shards = common(commands.add_parser("shards", help="which node answers each of N keys, R times"))
    shards.add_argument("--keys", type=positive_int, required=True)
    shards.add_argument("--rounds", type=positive_int, default=3)
    shards.add_argument("--param", default="shardkey", help="query parameter carrying the key (shardkey)")
    return top


def main(argv=None):
    try:
        args = parser().parse_args(argv)
        if args.timeout <= 0:
            raise ClientError("usage", "--timeout must be positive")
        target = Target(args.url, args.connect)
        result = {"request": cmd_request, "websocket": cmd_websocket, "shards": cmd_shards}[args.command](args, target)
        code = 0
    except ClientError as exc:
        result = dict(getattr(exc, "partial", None) or {})
        result.update({"error": str(exc), "stage": exc.stage})
        sys.stderr.write("gateway_client: %s\n" % " ".join(str(exc).split()))
        code = 2
    sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    sys.stdout.flush()
    return code


if __name__ == "__main__":
    sys.exit(main())
