# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One timed HTTP exchange, a WebSocket upgrade handshake and a TLS handshake, with the standard library only.

Each step is timed separately (connect, TLS handshake, first byte, total) because the step
that fails or is slow tells the layers apart: a refused connect is nobody listening, a
timeout on connect is a firewall dropping packets, a timeout after the request was sent is
an upstream that hangs. Results are plain dicts so that modules can return them as they are.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import hashlib
import http.client
import os
import socket
import ssl
import struct
import time
from urllib.parse import urlsplit

BODY_LIMIT = 4096
WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
# The co-authoring socket of the Document Server (engine.io v4 under /doc/).
ENGINE_IO_PATH = '/doc/%s/c/?EIO=4&transport=websocket'


def split_url(url):
    """Return (scheme, host, port, base path, netloc) of an http(s) URL; ValueError if it is not one."""
    parts = urlsplit(url)
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise ValueError('%r is not an http:// or https:// URL' % url)
    port = parts.port or (443 if parts.scheme == 'https' else 80)
    netloc = parts.netloc.rpartition('@')[2]
    return parts.scheme, parts.hostname, port, parts.path.rstrip('/'), netloc


def _host_header(headers, default):
    for name, value in headers.items():
        if name.lower() == 'host':
            return value
    return default


def _name_of(host_header):
    """Host name part of a Host header value ('[::1]:8443' -> '::1', 'a.test:80' -> 'a.test')."""
    if host_header.startswith('['):
        return host_header[1:].partition(']')[0]
    return host_header.rpartition(':')[0] if host_header.count(':') == 1 else host_header


def error_kind(exc):
    """Map a connection error to 'refused', 'timeout', 'reset', 'tls', 'dns' or 'other'."""
    if isinstance(exc, socket.gaierror):
        return 'dns'
    if isinstance(exc, ConnectionRefusedError):
        return 'refused'
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return 'timeout'
    # Before ConnectionError: an SSL EOF during the handshake is a TLS problem, not a reset.
    if isinstance(exc, (ssl.SSLError, ssl.CertificateError)):
        return 'tls'
    if isinstance(exc, (ConnectionError, http.client.IncompleteRead)):
        return 'reset'
    return 'other'


def _one_line(exc):
    text = str(exc) or exc.__class__.__name__
    return ' '.join(text.split())


def _elapsed(since):
    return round(time.monotonic() - since, 4)


class _Exchange:
    """State of one exchange: which step runs (for the error) and how long each took."""

    def __init__(self, url):
        self.started = time.monotonic()
        self.phase = 'connect'
        self.result = {
            'url': url, 'status': None, 'reason': None, 'headers': {}, 'body': '',
            'error_kind': None, 'error': None, 'phase': None,
            'timings': {'connect': None, 'tls': None, 'first_byte': None, 'total': None},
        }

    def mark(self, timing, phase):
        self.result['timings'][timing] = _elapsed(self.started)
        self.phase = phase

    def failed(self, exc):
        self.result.update(error_kind=error_kind(exc), phase=self.phase,
                           error='%s: %s' % (self.phase, _one_line(exc)))

    def finish(self):
        self.result['timings']['total'] = _elapsed(self.started)
        return self.result


def _connect(exchange, scheme, host, port, timeout, validate_certs, ca_path, server_name):
    sock = socket.create_connection((host, port), timeout=timeout)
    exchange.mark('connect', 'tls' if scheme == 'https' else 'request')
    if scheme != 'https':
        return sock
    if validate_certs:
        context = ssl.create_default_context(cafile=ca_path)
    else:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    try:
        sock = context.wrap_socket(sock, server_hostname=server_name)
    except BaseException:
        sock.close()
        raise
    exchange.mark('tls', 'request')
    return sock


def _decode(data):
    return data.decode('utf-8', errors='replace')


def probe(base_url, path='/', method='GET', body=None, headers=None, timeout=5.0,
          validate_certs=True, ca_path=None, body_limit=BODY_LIMIT):
    """Send one HTTP request to base_url + path and return what happened, timed.

    A Host header in ``headers`` also sets the TLS server name (SNI and the name the
    certificate must carry), so a gateway can be probed by address under its public name.
    ``timeout`` applies to each network operation. The body is read up to ``body_limit``
    bytes; ``total`` is the time until then.
    """
    scheme, host, port, base_path, netloc = split_url(base_url)
    headers = {str(name): str(value) for name, value in (headers or {}).items()}
    host_header = _host_header(headers, netloc)
    headers.setdefault('Host', host_header)
    exchange = _Exchange(scheme + '://' + netloc + base_path + path)
    if isinstance(body, str):
        body = body.encode('utf-8')
    connection = None
    try:
        sock = _connect(exchange, scheme, host, port, timeout, validate_certs, ca_path,
                        _name_of(host_header))
        # The socket is already connected (and wrapped for https); http.client only speaks HTTP on it.
        connection = http.client.HTTPConnection(host, port, timeout=timeout)
        connection.sock = sock
        connection.request(method, base_path + path, body=body, headers=headers)
        exchange.phase = 'response'
        response = connection.getresponse()
        exchange.mark('first_byte', 'body')
        exchange.result.update(
            status=response.status, reason=response.reason,
            headers=_merged(response.getheaders()))
        data = response.read(body_limit)
        exchange.result['body'] = _decode(data)
    except (OSError, ValueError, http.client.HTTPException) as exc:
        # ValueError: http.client refuses a header value with a line break, for example.
        exchange.failed(exc)
    finally:
        if connection is not None:
            connection.close()
    return exchange.finish()


def _merged(header_pairs):
    """Lower-cased header dict; repeated headers (Vary...) joined with commas as HTTP allows."""
    merged = {}
    for name, value in header_pairs:
        key = name.lower()
        merged[key] = merged[key] + ', ' + value if key in merged else value
    return merged


def describe(result):
    """One line for a user: 'HTTP 200 "true"', 'HTTP 502', 'refused (connect: ...)'."""
    if result['status'] is None:
        return '%s (%s)' % (result['error_kind'], result['error'])
    answer = 'HTTP %d' % result['status']
    excerpt = result['body'].strip()
    if excerpt and len(excerpt) <= 40:
        answer += ' "%s"' % excerpt
    if result['error']:
        answer += ' then %s (%s)' % (result['error_kind'], result['error'])
    return answer


def healthcheck_verdict(result):
    """(ok, observation) of a /healthcheck probe: ok only for HTTP 200 with body 'true'.

    The observation is short and stable so that repeated answers merge in the wait
    history: 'true', 'false', '502', 'refused', 'timeout'...
    """
    if result['status'] is None:
        return False, result['error_kind']
    body = result['body'].strip()
    if result['status'] == 200 and body in ('true', 'false'):
        return body == 'true', body
    if result['status'] == 200:
        return False, '200 %s' % (body[:20] or '(empty)')
    return False, str(result['status'])


def websocket_accept(key):
    """The Sec-WebSocket-Accept value a server must answer to ``key`` (RFC 6455, 4.2.2)."""
    digest = hashlib.sha1((key + WEBSOCKET_GUID).encode('ascii')).digest()
    return base64.b64encode(digest).decode('ascii')


def _read_until(sock, marker, limit):
    data = b""
    while marker not in data and len(data) < limit:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _read_exactly(sock, count, data):
    while len(data) < count:
        chunk = sock.recv(max(4096, count - len(data)))
        if not chunk:
            raise ConnectionResetError('connection closed before the end of the answer')
        data += chunk
    return data


def _read_frame(sock, data, limit):
    """First server frame as (opcode, payload bytes); ``data`` holds bytes already received."""
    data = _read_exactly(sock, 2, data)
    opcode, length = data[0] & 0x0F, data[1] & 0x7F
    offset = 2
    if length == 126:
        data = _read_exactly(sock, 4, data)
        length, offset = struct.unpack('!H', data[2:4])[0], 4
    elif length == 127:
        data = _read_exactly(sock, 10, data)
        length, offset = struct.unpack('!Q', data[2:10])[0], 10
    data = _read_exactly(sock, offset + min(length, limit), data)
    return opcode, data[offset:offset + min(length, limit)]


def _close_frame():
    # Client frames must be masked (RFC 6455, 5.3); payload: status 1000, normal closure.
    mask = os.urandom(4)
    payload = struct.pack('!H', 1000)
    return b"\x88\x82" + mask + bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))


def _parse_head(head):
    lines = _decode(head).split("\r\n")
    version, _sep, rest = lines[0].partition(' ')
    if not version.startswith('HTTP/'):
        raise http.client.BadStatusLine(lines[0])
    code, _sep, reason = rest.partition(' ')
    pairs = [line.split(':', 1) for line in lines[1:] if ':' in line]
    return int(code), reason, _merged((name.strip(), value.strip()) for name, value in pairs)


def websocket_handshake(base_url, doc_key='docops-probe', path=None, headers=None, timeout=5.0,
                        validate_certs=True, ca_path=None, body_limit=BODY_LIMIT):
    """Open the engine.io WebSocket under base_url, read the first frame, close politely.

    Returns the fields of probe() plus ``accept_ok`` (Sec-WebSocket-Accept matches the
    key sent), ``upgrade_ok`` (status 101 with Upgrade: websocket and Connection: upgrade)
    and ``frame`` (text of the first frame, None when none arrived within ``timeout``).
    A Document Server answers ``0{"sid":...}`` (the engine.io open packet).
    """
    scheme, host, port, base_path, netloc = split_url(base_url)
    path = path or ENGINE_IO_PATH % doc_key
    extra = {str(name): str(value) for name, value in (headers or {}).items()}
    host_header = _host_header(extra, netloc)
    extra.setdefault('Host', host_header)
    key = base64.b64encode(os.urandom(16)).decode('ascii')
    request_headers = dict(extra, Upgrade='websocket', Connection='Upgrade')
    request_headers['Sec-WebSocket-Key'] = key
    request_headers['Sec-WebSocket-Version'] = '13'
    request = "GET %s HTTP/1.1\r\n%s\r\n" % (
        base_path + path, ''.join("%s: %s\r\n" % item for item in request_headers.items()))
    exchange = _Exchange(scheme + '://' + netloc + base_path + path)
    exchange.result.update(accept_ok=False, upgrade_ok=False, frame=None)
    sock = None
    try:
        sock = _connect(exchange, scheme, host, port, timeout, validate_certs, ca_path,
                        _name_of(host_header))
        sock.sendall(request.encode('utf-8'))
        exchange.phase = 'response'
        data = _read_until(sock, b"\r\n\r\n", 65536)
        if b"\r\n\r\n" not in data:
            raise http.client.RemoteDisconnected('connection closed before the response headers')
        exchange.mark('first_byte', 'body')
        head, _sep, rest = data.partition(b"\r\n\r\n")
        status, reason, response_headers = _parse_head(head)
        exchange.result.update(status=status, reason=reason, headers=response_headers)
        exchange.result['accept_ok'] = response_headers.get('sec-websocket-accept') == websocket_accept(key)
        exchange.result['upgrade_ok'] = (
            status == 101 and response_headers.get('upgrade', '').lower() == 'websocket'
            and 'upgrade' in response_headers.get('connection', '').lower())
        if status != 101:
            # An error answer (400 "Missing or invalid Sec-WebSocket-Key header"...): keep its body.
            wanted = min(int(response_headers.get('content-length', len(rest)) or 0), body_limit)
            exchange.result['body'] = _decode(_read_exactly(sock, wanted, rest)[:wanted])
        else:
            exchange.phase = 'frame'
            try:
                opcode, payload = _read_frame(sock, rest, body_limit)
            except (socket.timeout, TimeoutError):
                pass  # No frame within the timeout is an answer too: frame stays None.
            else:
                exchange.result['frame'] = _decode(payload) if opcode == 1 else 'opcode %d' % opcode
            try:
                sock.sendall(_close_frame())
            except OSError:
                pass  # The server may have closed first; the handshake result stands.
    except (OSError, ValueError, http.client.HTTPException) as exc:
        exchange.failed(exc)
    finally:
        if sock is not None:
            sock.close()
    return exchange.finish()


def tls_handshake(base_url, headers=None, timeout=5.0, ca_path=None):
    """Open a VERIFIED TLS connection to base_url (https) and report the certificate and protocol.

    The certificate is always verified (against ``ca_path`` or the system's CAs) and must carry
    the name of the Host header in ``headers`` (else the URL's host): that is what is being
    checked. Returns the fields of probe() (status stays None: no HTTP is spoken) plus ``tls``:
    None when the handshake failed, else ``version`` (TLSv1.3...), ``cipher``, ``server_name``,
    ``not_after`` (the certificate's text) and ``not_after_epoch`` (seconds since the epoch).
    """
    scheme, host, port, _base_path, netloc = split_url(base_url)
    if scheme != 'https':
        raise ValueError('%r is not an https:// URL' % base_url)
    extra = {str(name): str(value) for name, value in (headers or {}).items()}
    server_name = _name_of(_host_header(extra, netloc))
    exchange = _Exchange('https://' + netloc)
    exchange.result['tls'] = None
    sock = None
    try:
        sock = _connect(exchange, scheme, host, port, timeout, True, ca_path, server_name)
        certificate = sock.getpeercert() or {}
        not_after = certificate.get('notAfter')
        exchange.result['tls'] = {
            'version': sock.version(),
            'cipher': (sock.cipher() or (None,))[0],
            'server_name': server_name,
            'not_after': not_after,
            'not_after_epoch': ssl.cert_time_to_seconds(not_after) if not_after else None,
        }
    except (OSError, ValueError) as exc:
        exchange.failed(exc)
    finally:
        if sock is not None:
            sock.close()
    return exchange.finish()
