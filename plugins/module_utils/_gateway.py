# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The nginx_proxy role's variables, checked and normalised in one place, before anything changes.

``settings(values)`` takes the role's variables (keyed by their full names) and returns
the problems (one line each, naming the variable and saying why) and the normalised values
the role's templates use. Bad user input is never an exception: only a ``values`` that is
not a mapping, or lacks a variable, raises ``ValueError``. ``upstream(bind_addresses, port)``
is the gateway's default upstream derived from the documentserver role's publish settings.

Values may be Ansible's tagged or unsafe types (subclasses of str, list and dict) or, from an
inventory or a template, whole numbers written as digits: everything is copied to plain
Python types before it is checked. Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import re

from ansible_collections.docops.onlyoffice.plugins.module_utils._validate import Range

KEYS = (
    'nginx_proxy_site_name',
    'nginx_proxy_server_names',
    'nginx_proxy_upstreams',
    'nginx_proxy_vpath',
    'nginx_proxy_trusted_proxies',
    'nginx_proxy_client_max_body_size',
    'nginx_proxy_connect_timeout',
    'nginx_proxy_read_timeout',
    'nginx_proxy_send_timeout',
    'nginx_proxy_http_port',
    'nginx_proxy_https_port',
    'nginx_proxy_redirect_https_port',
    'nginx_proxy_hsts_max_age',
    'nginx_proxy_frame_ancestors',
    'nginx_proxy_upstream_max_fails',
    'nginx_proxy_upstream_fail_timeout',
    'nginx_proxy_tls',
)

PORT = Range(1, 65535)
# Whole numbers, checked in this order (the order of the problems).
RANGES = (
    ('nginx_proxy_connect_timeout', Range(1, 300)),
    ('nginx_proxy_read_timeout', Range(1, 86400)),
    ('nginx_proxy_send_timeout', Range(1, 86400)),
    ('nginx_proxy_http_port', PORT),
    ('nginx_proxy_https_port', PORT),
    ('nginx_proxy_redirect_https_port', PORT),
    ('nginx_proxy_hsts_max_age', Range(0, 2 * 63072000)),
    ('nginx_proxy_upstream_max_fails', Range(0, 100)),
    ('nginx_proxy_upstream_fail_timeout', Range(1, 3600)),
)

TLS_MODES = ('off', 'self_signed', 'provided', 'acme')

SITE_NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\Z')
DIGITS = re.compile(r'[0-9]+\Z')
# A label of a host name; upstream host names may also hold '_' (Docker container names do).
LABEL = re.compile(r'[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\Z')
UPSTREAM_LABEL = re.compile(r'[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\Z')
LOCALHOST_NAMES = ('localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback')
# Characters nginx would read as syntax, or that cannot be in a server name.
SERVER_NAME_FORBIDDEN = ';{}\'"/:'
VPATH_CHARS = re.compile(r'[A-Za-z0-9._~/-]*\Z')
# nginx size: bytes, or kilo/mega/giga bytes (1024-based).
SIZE = re.compile(r'([0-9]+)([kKmMgG]?)\Z')
SIZE_UNITS = {'': 1, 'k': 1024, 'm': 1024 ** 2, 'g': 1024 ** 3}
# The Document Server accepts uploads of up to 100m: a smaller gateway limit refuses them with 413.
MIN_BODY_SIZE = 100 * 1024 ** 2
# nginx keeps sizes in a signed 64-bit off_t.
MAX_BODY_SIZE = 2 ** 63 - 1
# CSP source expressions (https://www.w3.org/TR/CSP3/#grammardef-source-expression).
CSP_KEYWORDS = ("'self'", "'none'")
CSP_SCHEME = re.compile(r'[A-Za-z][A-Za-z0-9+.-]*:\Z')
CSP_HOST = re.compile(
    r'([A-Za-z][A-Za-z0-9+.-]*://)?'                       # scheme
    r'(\*|(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.?)'      # host, '*' or '*.' wildcard
    r'(:([0-9]{1,5}|\*))?'                                # port
    r'(/[A-Za-z0-9._~%!$&()*+=:@/-]*)?\Z')                # path
CSP_SEPARATORS = ';,'
CSP_QUOTES = '\'"'


def settings(values):
    """Check and normalise the nginx_proxy role's variables VALUES (a mapping keyed by their names).

    Returns a dict: ``problems`` (a list of one-line problems, empty when all is well),
    ``site_id``, ``server_names``, ``upstreams``, ``vpath``, ``trusted_proxies``,
    ``client_max_body_size`` and ``frame_ancestors``. With problems, the normalised values are
    a best effort. Raises ValueError only when VALUES is not a mapping or lacks a variable.
    """
    if not hasattr(values, 'keys') or not hasattr(values, '__getitem__') or isinstance(values, (str, bytes)):
        raise ValueError('gateway_settings: the settings must be a mapping of the nginx_proxy variables, got %s'
                         % type(values).__name__)
    missing = [key for key in KEYS if key not in values]
    if missing:
        raise ValueError('gateway_settings: the settings lack %s' % ', '.join(missing))
    values = dict((key, values[key]) for key in KEYS)
    problems = []

    tls = values['nginx_proxy_tls']
    tls_problem = tls_mode_problem(tls)
    if tls_problem:
        problems.append(tls_problem)
        tls = None
    else:
        tls = str(tls)

    site_id, problem = site_name(values['nginx_proxy_site_name'])
    problems.extend([problem] if problem else [])
    names, found = server_names(values['nginx_proxy_server_names'], tls)
    problems.extend(found)
    servers, found = upstreams(values['nginx_proxy_upstreams'])
    problems.extend(found)
    path, problem = vpath(values['nginx_proxy_vpath'])
    problems.extend([problem] if problem else [])
    proxies, found = trusted_proxies(values['nginx_proxy_trusted_proxies'])
    problems.extend(found)
    size, problem = body_size(values['nginx_proxy_client_max_body_size'])
    problems.extend([problem] if problem else [])

    numbers = {}
    for name, allowed in RANGES:
        numbers[name], problem = whole_number(name, values[name], allowed)
        problems.extend([problem] if problem else [])
    http, https = numbers['nginx_proxy_http_port'], numbers['nginx_proxy_https_port']
    if http is not None and http == https:
        problems.append('nginx_proxy_http_port and nginx_proxy_https_port are both %d: nginx cannot serve '
                        'plain HTTP and TLS on one port; choose two ports' % http)

    ancestors, found = frame_ancestors(values['nginx_proxy_frame_ancestors'])
    problems.extend(found)
    return {
        'problems': [_inert(problem) for problem in problems],
        'site_id': _inert(site_id),
        'server_names': [_inert(name) for name in names],
        'upstreams': [_inert(server) for server in servers],
        'vpath': _inert(path),
        'trusted_proxies': [_inert(proxy) for proxy in proxies],
        'client_max_body_size': _inert(size),
        'frame_ancestors': [_inert(source) for source in ancestors],
    }


def upstream(bind_addresses, port):
    """'host:port' to reach a server published on the first of BIND_ADDRESSES at PORT.

    0.0.0.0 becomes 127.0.0.1 and :: becomes [::1] (a listener on every address is reached on
    loopback); an IPv6 address is bracketed; no address at all means 127.0.0.1. Raises
    ValueError (one line) when an address or the port is not acceptable.
    """
    number, problem = whole_number('gateway_upstream: port', port, PORT)
    if problem:
        raise ValueError(problem)
    if bind_addresses is None:
        bind_addresses = []
    if isinstance(bind_addresses, (str, bytes)) or not isinstance(bind_addresses, (list, tuple)):
        raise ValueError('gateway_upstream: the bind addresses must be a list of IP addresses, got %s'
                         % _shown(bind_addresses))
    if not bind_addresses:
        return '127.0.0.1:%d' % number
    first = bind_addresses[0]
    text = _text(first)
    try:
        if text is None or '%' in text:
            raise ValueError(text)
        address = ipaddress.ip_address(text)
    except ValueError:
        raise ValueError('gateway_upstream: the first bind address %s is not an IP address without a zone '
                         '(such as 127.0.0.1, ::1, 0.0.0.0 or ::)' % _shown(first))
    if address.is_unspecified:
        return ('127.0.0.1:%d' if address.version == 4 else '[::1]:%d') % number
    return _host_port(address, number)


def tls_mode_problem(value):
    """One line when VALUE is not one of TLS_MODES, else None."""
    if value is False:
        return ("nginx_proxy_tls is the boolean false: YAML reads an unquoted off as false; "
                "write nginx_proxy_tls: 'off'")
    text = _text(value)
    if text not in TLS_MODES:
        return 'nginx_proxy_tls must be one of %s, got %s' % (', '.join(TLS_MODES), _shown(value))
    return None


def site_name(value):
    """(site_id, problem) for the site name VALUE; site_id is lower-case with '_' for anything but [a-z0-9]."""
    text = _text(value)
    if text is None:
        return '', 'nginx_proxy_site_name must be a string, got %s' % _shown(value)
    site_id = re.sub('[^a-z0-9]', '_', text.lower())
    if not SITE_NAME.match(text):
        return site_id, ("nginx_proxy_site_name: %s is refused: it names the site's files and nginx variables, "
                         "so it must be 1 to 64 letters, digits, '_', '.' or '-', the first a letter or digit"
                         % _shown(text))
    return site_id, None


def server_names(value, tls=None):
    """(names, problems) for the server names VALUE; names are lower-case without a trailing dot.

    With TLS 'acme', the catch-all name '_' and wildcards are refused (HTTP-01 cannot issue them).
    """
    items, problems = _list('nginx_proxy_server_names', value, 'host names', required=True)
    names = []
    for item in items:
        text = _text(item)
        if text is None:
            problems.append('nginx_proxy_server_names: %s is not a string; list host names such as '
                            'office.example.com' % _shown(item))
            continue
        name, problem = _server_name(text, tls)
        if problem:
            problems.append('nginx_proxy_server_names: %s is refused: %s' % (_shown(text), problem))
        if name in names:
            problems.append('nginx_proxy_server_names: %s is listed twice (as %s; names are compared in lower '
                            'case without a trailing dot); nginx warns about a conflicting server name'
                            % (_shown(text), _shown(name)))
            continue
        names.append(name)
    return names, problems


def _server_name(text, tls):
    """(normalised name, reason it is refused or None)."""
    for char in text:
        if char.isspace() or char in SERVER_NAME_FORBIDDEN or not char.isprintable():
            return text, ('%r cannot be in a server name (nginx would read it as syntax; a port or a URL is '
                          'not a name): list bare host names such as office.example.com' % char)
    if text == '_':
        if tls == 'acme':
            return text, ("with nginx_proxy_tls 'acme' every name needs a certificate, and ACME's HTTP-01 "
                          "challenge cannot issue one for the catch-all '_'; list the real host names")
        return text, None
    name = text.lower()
    wildcard = name.startswith('*.')
    rest = name[2:] if wildcard else name
    rest = rest[:-1] if rest.endswith('.') else rest
    name = ('*.' if wildcard else '') + rest
    if not _host_name(rest, LABEL):
        return name, ('a server name is a host name (labels of ASCII letters, digits and inner hyphens, each up '
                      'to 63 characters, 253 in all; an internationalised name in its xn-- form), optionally '
                      'after "*.", or "_"')
    if wildcard and tls == 'acme':
        return name, ("with nginx_proxy_tls 'acme', ACME's HTTP-01 challenge cannot issue a wildcard "
                      "certificate (only DNS-01 can); list each host name")
    return name, None


def upstreams(value):
    """(servers, problems) for the upstreams VALUE, each normalised to 'host:port'."""
    items, problems = _list('nginx_proxy_upstreams', value, "'host:port' addresses such as 127.0.0.1:8080",
                            required=True)
    servers = []
    for item in items:
        text = _text(item)
        if text is None:
            problems.append("nginx_proxy_upstreams: %s is not a string; list 'host:port' addresses such as "
                            "127.0.0.1:8080" % _shown(item))
            continue
        server, problem = upstream_server(text)
        if problem:
            problems.append('nginx_proxy_upstreams: %s is refused: %s' % (_shown(text), problem))
        if server in servers:
            problems.append('nginx_proxy_upstreams: %s is listed twice (as %s); nginx would send it twice the '
                            'share of requests' % (_shown(text), _shown(server)))
            continue
        servers.append(server)
    return servers, problems


def upstream_server(text):
    """(normalised 'host:port', reason TEXT is refused or None) for one upstream server."""
    if text.startswith('['):
        match = re.match(r'\[([^\]]*)\](?::(.*))?\Z', text)
        if not match:
            return text, "a bracketed IPv6 address is written '[address]:port', for example '[::1]:8080'"
        host, port = match.group(1), match.group(2)
        if port is None:
            return text, "the port is required, for example %s" % _shown('[%s]:8080' % host)
        number, problem = _port(port)
        if problem:
            return text, problem
        try:
            if '%' in host:
                raise ValueError(host)
            address = ipaddress.IPv6Address(host)
        except ValueError:
            return text, ('%s is not an IPv6 address without a zone (only IPv6 addresses are bracketed, '
                          'for example [::1]:8080)' % _shown(host))
        if address.is_unspecified:
            return _host_port(address, number), (
                ':: is where a server listens on all addresses, not an address to connect to; '
                'use [::1]:%d, 127.0.0.1:%d or the node\'s address' % (number, number))
        return _host_port(address, number), None

    if text.count(':') > 1:
        return text, 'an IPv6 address needs brackets and a port, for example %s' % _bracketed_example(text)
    if ':' not in text:
        return text, "the port is required: write 'host:port', for example %s" % _shown(text + ':8080')
    host, port = text.split(':')
    number, problem = _port(port)
    if problem:
        return text, problem
    name = host.lower()
    name = name[:-1] if name.endswith('.') else name
    if re.match(r'[0-9.]+\Z', name):
        try:
            address = ipaddress.IPv4Address(name)
        except ValueError:
            return text, '%s is not an IPv4 address (four numbers from 0 to 255, no leading zeros)' % _shown(host)
        if address.is_unspecified:
            return _host_port(address, number), (
                "0.0.0.0 is where a server listens on all addresses, not an address to connect to; "
                "use 127.0.0.1:%d or the node's address" % number)
        return _host_port(address, number), None
    if name in LOCALHOST_NAMES or name.endswith('.localhost'):
        return '%s:%d' % (name, number), (
            "localhost resolves to both 127.0.0.1 and ::1, so nginx makes two upstream servers of it and "
            "the one the Document Server does not listen on refuses connections (502 'connect() failed (111)' "
            "on [::1]); use 127.0.0.1:%d" % number)
    if not _host_name(name, UPSTREAM_LABEL):
        return text, ('%s is not an IPv4 address, a bracketed IPv6 address or a host name (labels of letters, '
                      'digits, inner hyphens and underscores)' % _shown(host))
    return '%s:%d' % (name, number), None


def _bracketed_example(text):
    """'[address]:port' for an unbracketed IPv6 address TEXT, with or without a port at its end."""
    head, tail = text.rsplit(':', 1)
    for address, port in ((head, tail), (text, '8080')):
        try:
            if '%' not in address and DIGITS.match(port):
                return "'[%s]:%s'" % (ipaddress.IPv6Address(address).compressed, port)
        except ValueError:
            pass
    return "'[::1]:8080'"


def vpath(value):
    """(normalised virtual path, problem): '' for none, else '/a/b' without a trailing slash."""
    if value is None:
        return '', None
    text = _text(value)
    if text is None:
        return '', 'nginx_proxy_vpath must be a string such as /ds-vpath, got %s' % _shown(value)
    normal = text.rstrip('/')
    if not VPATH_CHARS.match(text):
        char = next(char for char in text if not VPATH_CHARS.match(char))
        return normal, ("nginx_proxy_vpath: %s is refused: %r cannot be in it; a virtual path holds only letters, "
                        "digits and '.', '_', '~', '-', '/', because nginx locations and the editors' URLs use it "
                        "unquoted" % (_shown(text), char))
    if text and not text.startswith('/'):
        return '/' + normal, ("nginx_proxy_vpath: %s is refused: a virtual path must start with '/', "
                              "for example %s" % (_shown(text), _shown('/' + normal)))
    if '//' in text:
        return normal, ("nginx_proxy_vpath: %s is refused: '//' is not allowed, because nginx merges slashes "
                        "in the request path and the location would never match" % _shown(text))
    if any(segment in ('.', '..') for segment in normal.split('/')):
        return normal, ("nginx_proxy_vpath: %s is refused: '.' and '..' segments are not allowed, because "
                        "browsers and nginx resolve them away and the location would never match" % _shown(text))
    return normal, None


def trusted_proxies(value):
    """(proxies, problems) for the trusted proxies VALUE (addresses or CIDR networks).

    A bare address stays a bare address and a network stays a network, each in its compressed
    form (for example '2001:db8::1', '10.0.0.0/8'); nginx's set_real_ip_from takes both.
    """
    items, problems = _list('nginx_proxy_trusted_proxies', value, 'IP addresses or CIDR networks')
    proxies, networks = [], []
    for item in items:
        text = _text(item)
        if text is None:
            problems.append('nginx_proxy_trusted_proxies: %s is not a string; list IP addresses or networks '
                            'such as 10.0.0.0/8' % _shown(item))
            continue
        try:
            if '%' in text:
                raise ValueError(text)
            network = ipaddress.ip_network(text, strict=False)
        except ValueError:
            problems.append('nginx_proxy_trusted_proxies: %s is refused: it is not an IP address or a CIDR '
                            'network (such as 192.0.2.7, 10.0.0.0/8 or 2001:db8::/32)' % _shown(text))
            continue
        if '/' in text:
            normal = str(network)
            address = text.partition('/')[0]
            if network.network_address != ipaddress.ip_address(address):
                problems.append(
                    'nginx_proxy_trusted_proxies: %s is refused: it has host bits set, so it is neither an '
                    'address nor a network; write %s for the network or %s for the one address'
                    % (_shown(text), network, address))
                continue
        else:
            normal = str(network.network_address)
        if network in networks:
            problems.append('nginx_proxy_trusted_proxies: %s is listed twice (both are %s)' % (_shown(text), network))
            continue
        networks.append(network)
        proxies.append(normal)
    return proxies, problems


def body_size(value):
    """(normalised nginx size, problem) for client_max_body_size VALUE (a size string, or bytes)."""
    name = 'nginx_proxy_client_max_body_size'
    if isinstance(value, bool) or isinstance(value, float):
        return '', "%s must be an nginx size such as '100m' or a whole number of bytes, got %s" % (name, _shown(value))
    text = str(int(value)) if isinstance(value, int) else _text(value)
    match = SIZE.match(text) if text is not None else None
    if not match:
        return ('' if text is None else text.lower()), (
            "%s: %s is refused: an nginx size is a whole number of bytes, optionally followed by k, m or g "
            "(for example '100m')" % (name, _shown(value)))
    digits = match.group(1).lstrip('0') or '0'
    unit = match.group(2).lower()
    normal = digits + unit
    if len(digits) > 20 or int(digits) * SIZE_UNITS[unit] > MAX_BODY_SIZE:
        return normal, '%s: %s is refused: it is larger than nginx can hold (2^63-1 bytes); 0 means no limit' % (
            name, _shown(text))
    size = int(digits) * SIZE_UNITS[unit]
    if 0 < size < MIN_BODY_SIZE:
        return normal, ("%s: %s is refused: the Document Server accepts uploads of up to 100m, so the gateway "
                        "must allow at least 100m (104857600 bytes) or it answers 413 to files the Document "
                        "Server would take; 0 means no limit" % (name, _shown(text)))
    return normal, None


def frame_ancestors(value):
    """(ancestors, problems) for the CSP frame-ancestors sources VALUE; the list is returned unchanged."""
    items, problems = _list('nginx_proxy_frame_ancestors', value, "CSP sources such as 'self' or https://example.com")
    sources = []
    for item in items:
        text = _text(item)
        if text is None:
            problems.append("nginx_proxy_frame_ancestors: %s is not a string; list CSP sources such as 'self' or "
                            "https://dms.example.com" % _shown(item))
            continue
        sources.append(text)
        problem = _csp_source(text)
        if problem:
            problems.append('nginx_proxy_frame_ancestors: %s is refused: %s' % (_shown(text), problem))
    if "'none'" in [source.lower() for source in sources] and len(sources) > 1:
        problems.append("nginx_proxy_frame_ancestors: 'none' cannot be combined with other sources (browsers "
                        "ignore it then); list 'none' alone to forbid every frame")
    return sources, problems


def _csp_source(text):
    """The reason TEXT is not a CSP source expression for frame-ancestors, or None."""
    if text.lower() in CSP_KEYWORDS:
        return None
    if text.lower() in ('self', 'none'):
        return "write the keyword with its single quotes, \"'%s'\"; without them it is a host name" % text.lower()
    separator = next((char for char in text
                      if char in CSP_SEPARATORS or char.isspace() or not char.isprintable()), None)
    if separator is None and len(text) > 1 and text.startswith("'") and text.endswith("'"):
        return "frame-ancestors takes only the keywords 'self' and 'none'"
    char = separator or next((char for char in text if char in CSP_QUOTES), None)
    if char:
        return ("%r cannot be in a source: a source is one keyword ('self' or 'none'), scheme (https:) "
                "or host (https://dms.example.com); list several as separate items" % char)
    if CSP_SCHEME.match(text) or CSP_HOST.match(text):
        return None
    return ("a source is 'self', 'none', a scheme such as https: or a host such as https://dms.example.com, "
            "https://*.example.com or https://dms.example.com:8443")


def whole_number(name, value, allowed):
    """(int or None, problem) for VALUE: an int or a string of digits inside the Range ALLOWED."""
    text = _text(value)
    if isinstance(value, int) and not isinstance(value, bool):
        number = int(value)
    elif text is not None and DIGITS.match(text) and len(text) <= 20:
        number = int(text)
    else:
        return None, '%s must be a whole number %s, got %s' % (name, allowed.describe(), _shown(value))
    problem = allowed.problem(name, number)
    return (None, problem) if problem else (number, None)


def _port(text):
    """(int, problem) for the port TEXT of an upstream server."""
    if not DIGITS.match(text) or len(text) > 5 or not 1 <= int(text) <= 65535:
        return None, 'the port must be a whole number from 1 to 65535, got %s' % _shown(text)
    return int(text), None


def _host_port(address, port):
    if address.version == 6:
        return '[%s]:%d' % (address.compressed, port)
    return '%s:%d' % (address.compressed, port)


def _host_name(name, label):
    """True when NAME (lower-case, without a trailing dot) is a host name whose labels match LABEL."""
    return 0 < len(name) <= 253 and all(label.match(part) for part in name.split('.'))


def _list(name, value, what, required=False):
    """(items, problems): VALUE as a plain list; None is an empty list."""
    if value is None:
        value = []
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        return [], ['%s must be a list of %s, got %s' % (name, what, _shown(value))]
    if required and not value:
        return [], ['%s must not be empty: list %s' % (name, what)]
    return list(value), []


def _text(value):
    """VALUE as a plain str, or None when it is not text (numbers, booleans, lists and mappings are not)."""
    if value is None or isinstance(value, (bool, int, float, list, tuple, dict, bytes)):
        return None
    if isinstance(value, str) or hasattr(value, 'encode'):
        # A tagged, unsafe or vaulted string: compare a plain copy.
        return str(value)
    return None


def _inert(text):
    """TEXT as a plain str in which no template starts: a refused value (best-effort, or shown in a problem)
    may be templated again by ansible-core < 2.19, so '{' before '{', '%' or '#' is written as '\\x7b'."""
    return re.sub(r'\{(?=[{%#])', r'\\x7b', str.__str__(text))


def _shown(value, limit=80):
    """A short, one-line picture of VALUE for a message."""
    text = _text(value)
    if value is None:
        shown = 'null'
    elif text is not None:
        shown = repr(text)
    elif isinstance(value, (list, tuple)):
        shown = 'a list'
    elif isinstance(value, dict) or hasattr(value, 'keys'):
        shown = 'a mapping'
    elif isinstance(value, float):
        shown = repr(float(value))
    elif isinstance(value, bool):
        shown = repr(value)
    elif isinstance(value, int):
        shown = repr(int(value)) if abs(value) < 10 ** 30 else 'a %d-bit number' % int(value).bit_length()
    else:
        shown = type(value).__name__
    return shown if len(shown) <= limit else shown[:limit - 4] + '...' + shown[-1]
