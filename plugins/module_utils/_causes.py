# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The cause catalogue of a failed gateway: ONE list, from which the diagnosis classifies and the README's
cause table is checked (tests/unit/plugins/module_utils/test_causes.py).

Each cause has an id, the layer that fails (LAYERS, from the root outwards), what the play says, the fix, and a
test on the evidence that returns the line proving it (or None). ``classify(evidence)`` returns every matching
cause, the one closest to the root first: container before docservice before gateway before firewall.

The evidence is a dict of dicts; any key may be missing (not gathered, or not applicable), and a test only
matches on evidence that is there:

- ``container``: found, name, running, restarting, status, exit_code, restart_count, started_at, health,
  oom_kill_count (the memory cgroup's counter: Docker 20.10 never sets State.OOMKilled), oom_killed,
  memory_limit_mb, nofile_limit (open files of the container's first process), logs (last lines), published
  (list of {host_ip, host_port, container_port}); name is None when the container was looked for by image and
  port and none was found;
- ``baseline``: restart_count, started_at, as they were when the documentserver role finished;
- ``start``: elapsed (seconds since the container started), budget (seconds allowed to start);
- ``inner``: answer (the container's published port from the target: status, body, error_kind),
  docservice_listening (port 8000 inside the container);
- ``gateway``: running, listening (ports 80/443 answer on the target), config_ok, config_error, upstreams
  ('host:port' from ``nginx -T``), error_log (recent lines), answer (the gateway from the target: status,
  error_kind, headers);
- ``outside``: answer (the public URL from the controller: status, error_kind, error, headers), baseurl,
  expected_baseurl, websocket_status, command_error (CommandService's error code), tls_error;
- ``docker``: rules_ok (Docker's NAT rules exist);
- ``firewall``: active (ufw, firewalld, nftables or None), detail (one line naming it);
- ``host``: mem_total_mb, swap_total_mb, disk_free_mb;
- ``clock``: skew_seconds (target minus controller).

Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

LAYERS = ('container', 'docservice', 'gateway', 'firewall')

# Minimums of ONLYOFFICE Docs (its documentation: 4 GB RAM with swap, 40 GB disk; this collection's preflight).
MIN_MEMORY_MB = 4096
MIN_DISK_MB = 2048
MAX_SKEW_SECONDS = 60
# A container restarted by its restart policy this recently is still in its loop.
RECENT_START_SECONDS = 120

# Log lines of the Document Server (DESIGN.md section 7), as regular expressions.
WAITING_FOR = re.compile(r'Waiting for connection to the (\S+) host on port (\d+)')
AMQP_REFUSED = re.compile(r'\[AMQP\] Error: connect ECONNREFUSED (\S+)')
DB_REFUSED = re.compile(r'ECONNREFUSED (\S+:5432)')
FRAME_MAX = re.compile(r'frame_max.*lower than the minimum|frame_max', re.I)
AMQP_RESET = re.compile(r'\[AMQP\].*ECONNRESET')
LISTENING = re.compile(r'Express server listening on port 8000')

# nginx error.log lines.
ERRNO = re.compile(r'\((\d+): ([^)]*)\) while (connecting to|reading response header from) upstream.*?'
                   r'upstream: "(\w+)://([^"]+)"')
NO_LIVE = re.compile(r'no live upstreams while connecting to upstream')
PREMATURELY = re.compile(r'upstream prematurely closed connection')
TOO_BIG = re.compile(r'upstream sent too big header')


def _get(evidence, path):
    """evidence['a']['b'] for PATH 'a.b', or None when any part is missing."""
    value = evidence
    for key in path.split('.'):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _lines(evidence, path, pattern):
    """The lines at PATH that match PATTERN (a compiled regular expression)."""
    return [line for line in _get(evidence, path) or [] if pattern.search(line)]


def _last(lines):
    return lines[-1].strip() if lines else ''


def _status(answer):
    return answer.get('status') if isinstance(answer, dict) else None


def _errno_lines(evidence, number):
    return [line for line in _get(evidence, 'gateway.error_log') or []
            if ERRNO.search(line) and ERRNO.search(line).group(1) == str(number)]


def _upstream_of(line):
    match = ERRNO.search(line)
    return (match.group(4), match.group(5)) if match else (None, None)


def _host_port(text):
    host, _sep, port = text.rpartition(':')
    return host.strip('[]'), int(port) if port.isdigit() else None


def _published_ports(evidence):
    return [int(item['host_port']) for item in _get(evidence, 'container.published') or []
            if str(item.get('host_port', '')).isdigit()]


# ---------------------------------------------------------------- the tests, one per cause

def _container_missing(e):
    if _get(e, 'container.found') is False:
        if _get(e, 'container.name'):
            return 'no container named %s' % _get(e, 'container.name')
        return 'no container runs an image named *documentserver* or is published on the port given'
    return None


def _oom_killed(e):
    if _get(e, 'container.found') is False:
        return None
    count = _get(e, 'container.oom_kill_count') or 0
    exited_137 = _get(e, 'container.exit_code') == 137
    if _get(e, 'container.oom_killed') or (count > 0 and (exited_137 or (_get(e, 'container.restart_count') or 0) > 0)):
        return 'exit code %s, memory cgroup oom_kill count %s, memory limit %s MB' % (
            _get(e, 'container.exit_code'), count, _get(e, 'container.memory_limit_mb') or 'none')
    return None


def _crash_loop(e):
    now = _get(e, 'container.restart_count')
    before = _get(e, 'baseline.restart_count')
    restarted = now is not None and before is not None and now > before
    moved = (_get(e, 'baseline.started_at') and _get(e, 'container.started_at')
             and _get(e, 'baseline.started_at') != _get(e, 'container.started_at'))
    # Without a baseline: Docker counts only the restarts of its restart policy (each one a death of the
    # container), so a count above 0 with the last start moments ago is a loop caught between two crashes.
    elapsed = _get(e, 'start.elapsed')
    caught = (before is None and now is not None and now > 0 and elapsed is not None
              and elapsed < RECENT_START_SECONDS)
    if _get(e, 'container.restarting') or restarted or moved or caught:
        return 'restart count %s (was %s when the role finished), started at %s, last log: %s' % (
            now, before if before is not None else '?', _get(e, 'container.started_at'),
            _last(_get(e, 'container.logs') or []) or 'none')
    return None


def _container_exited(e):
    if _get(e, 'container.found') and _get(e, 'container.running') is False and not _get(e, 'container.restarting'):
        return 'state %s, exit code %s, last log: %s' % (
            _get(e, 'container.status'), _get(e, 'container.exit_code'), _last(_get(e, 'container.logs') or []) or 'none')
    return None


def _host_resources(e):
    problems = []
    total = _get(e, 'host.mem_total_mb')
    swap = _get(e, 'host.swap_total_mb') or 0
    if total is not None and total + swap < MIN_MEMORY_MB:
        problems.append('memory %d MB + swap %d MB < %d MB' % (total, swap, MIN_MEMORY_MB))
    disk = _get(e, 'host.disk_free_mb')
    if disk is not None and disk < MIN_DISK_MB:
        problems.append('%d MB free on /var/lib/docker < %d MB' % (disk, MIN_DISK_MB))
    return '; '.join(problems) or None


def _nofile_limit(e):
    waiting = [line for line in _lines(e, 'container.logs', WAITING_FOR) if WAITING_FOR.search(line).group(2) == '5672']
    if waiting and (_get(e, 'container.nofile_limit') or 0) > 1048576:
        return 'open-files limit %s; %s' % (_get(e, 'container.nofile_limit'), _last(waiting))
    return None


def _broker_incompatible(e):
    lines = _lines(e, 'container.logs', FRAME_MAX) or _lines(e, 'container.logs', AMQP_RESET)
    return _last(lines) or None


def _since_listening(lines):
    """The log lines after the last 'Express server listening': what the start waited for before is over."""
    listening = [index for index, line in enumerate(lines) if LISTENING.search(line)]
    return lines[listening[-1] + 1:] if listening else lines


def _dependency_unreachable(e):
    logs = _since_listening(_get(e, 'container.logs') or [])
    lines = [line for line in logs if WAITING_FOR.search(line) or AMQP_REFUSED.search(line) or DB_REFUSED.search(line)]
    false_health = (_get(e, 'inner.answer.body') or '').strip() == 'false'
    if _status(_get(e, 'inner.answer')) == 200 and (_get(e, 'inner.answer.body') or '').strip() == 'true':
        return None  # healthy now: those lines tell of an outage that is over
    if lines:
        return _last(lines) + (' (/healthcheck answers false)' if false_health else '')
    if false_health:
        return '/healthcheck answers false on the container port'
    return None


def _starting(e):
    elapsed, budget = _get(e, 'start.elapsed'), _get(e, 'start.budget')
    if elapsed is None or budget is None or elapsed > budget:
        return None
    if _get(e, 'inner.docservice_listening') is False or _status(_get(e, 'inner.answer')) == 502:
        return 'started %d s ago, within the start budget of %d s; docservice does not listen yet' % (elapsed, budget)
    return None


def _docservice_down(e):
    if _get(e, 'container.running') is False:
        return None
    if _get(e, 'inner.docservice_listening') is False or _status(_get(e, 'inner.answer')) == 502:
        elapsed, budget = _get(e, 'start.elapsed'), _get(e, 'start.budget')
        if elapsed is not None and budget is not None and elapsed <= budget:
            return None  # still starting
        lines = [line for line in _get(e, 'container.logs') or [] if 'docservice' in line or 'nodeJS' in line]
        return 'the container answers %s on its own port; docservice does not listen on 8000; last log: %s' % (
            _status(_get(e, 'inner.answer')) or 'nothing', _last(lines) or 'none')
    return None


def _jwt_mismatch(e):
    if _get(e, 'outside.command_error') == 6:
        return 'CommandService answers error 6 (token invalid) to a token signed with the JWT secret given'
    return None


def _clock_skew(e):
    skew = _get(e, 'clock.skew_seconds')
    if skew is not None and abs(skew) > MAX_SKEW_SECONDS:
        return 'the target clock is %+d s off the controller%s' % (
            skew, ' and CommandService answers error 7 (token expired)' if _get(e, 'outside.command_error') == 7 else '')
    if _get(e, 'outside.command_error') == 7:
        return 'CommandService answers error 7 (token expired) to a fresh token'
    return None


def _gateway_config_invalid(e):
    if _get(e, 'gateway.config_ok') is False:
        return 'nginx -t: %s' % (_get(e, 'gateway.config_error') or 'failed')
    return None


def _gateway_down(e):
    if _get(e, 'gateway.running') is False or _get(e, 'gateway.listening') is False:
        return 'nothing listens on the gateway ports%s' % (
            '' if _get(e, 'gateway.running') is not False else ' (nginx is not running)')
    return None


def _upstream_localhost(e):
    upstreams = _get(e, 'gateway.upstreams') or []
    named = [item for item in upstreams if _host_port(item)[0].lower() == 'localhost']
    v6 = [line for line in _errno_lines(e, 111) if '[::1]' in (_upstream_of(line)[1] or '')]
    if named and (v6 or not _get(e, 'gateway.error_log')):
        return 'upstream %s%s' % (named[0], ('; error.log: ' + _last(v6)) if v6 else '')
    return None


def _upstream_port_mismatch(e):
    upstreams = [_host_port(item) for item in _get(e, 'gateway.upstreams') or []]
    published = _published_ports(e)
    local = [(host, port) for host, port in upstreams if host in ('127.0.0.1', '::1', 'localhost') and port]
    if published and local and not any(port in published for _host, port in local):
        return 'the gateway proxies to port %s, the container is published on %s' % (
            ', '.join(str(port) for _host, port in local), ', '.join(str(port) for port in published))
    return None


def _upstream_scheme_wrong(e):
    upstream_ports = [_host_port(item)[1] for item in _get(e, 'gateway.upstreams') or []]
    for item in _get(e, 'container.published') or []:
        container_port = str(item.get('container_port', '')).partition('/')[0]
        if container_port == '443' and int(item.get('host_port', 0) or 0) in upstream_ports:
            return ("the gateway proxies to host port %s, which is the container's 443 (TLS only with certificates "
                    "in Data/certs)" % item.get('host_port'))
    return None


def _upstream_refused(e):
    lines = _errno_lines(e, 111)
    if lines:
        return 'error.log: %s' % _last(lines)
    return None


def _upstream_timeout(e):
    lines = _errno_lines(e, 110)
    if lines:
        return 'error.log: %s' % _last(lines)
    if _status(_get(e, 'outside.answer')) == 504:
        return 'the gateway answered 504 (its upstream did not answer in time)'
    # A hang is found before nginx's own timeout (60 s) writes its 110 line: the container's port accepts the
    # connection and then says nothing.
    if _get(e, 'inner.answer.error_kind') == 'timeout' and _get(e, 'container.running') is not False:
        return "the container's published port accepts connections but does not answer (%s)" % (
            _get(e, 'inner.answer.error') or 'timed out')
    return None


def _selinux_denied(e):
    lines = _errno_lines(e, 13)
    return ('error.log: %s' % _last(lines)) if lines else None


def _upstream_closed(e):
    lines = _lines(e, 'gateway.error_log', PREMATURELY)
    return ('error.log: %s' % _last(lines)) if lines else None


def _no_live_upstreams(e):
    lines = _lines(e, 'gateway.error_log', NO_LIVE)
    return ('error.log: %s' % _last(lines)) if lines else None


def _header_too_big(e):
    lines = _lines(e, 'gateway.error_log', TOO_BIG)
    return ('error.log: %s' % _last(lines)) if lines else None


def _tls_error(e):
    error = _get(e, 'outside.tls_error')
    return ('TLS: %s' % error) if error else None


def _mixed_scheme(e):
    baseurl, expected = _get(e, 'outside.baseurl'), _get(e, 'outside.expected_baseurl')
    if baseurl and expected and expected.startswith('https://') and baseurl.startswith('http://') \
            and baseurl[len('http://'):] == expected[len('https://'):]:
        return '/baseurl is %s, the public URL is %s' % (baseurl, expected)
    return None


def _proxy_headers_wrong(e):
    baseurl, expected = _get(e, 'outside.baseurl'), _get(e, 'outside.expected_baseurl')
    found = []
    if baseurl and expected and baseurl.rstrip('/') != expected.rstrip('/'):
        found.append('/baseurl is %s, the public URL is %s' % (baseurl, expected))
    websocket = _get(e, 'outside.websocket_status')
    if websocket is not None and websocket != 101:
        found.append('the WebSocket upgrade answers %s, not 101' % websocket)
    return '; '.join(found) or None


def _docker_rules_wiped(e):
    if _get(e, 'docker.rules_ok') is False:
        return "Docker's NAT rules are gone while the container runs"
    return None


def _firewall_blocked(e):
    inside = _status(_get(e, 'gateway.answer'))
    outside = _get(e, 'outside.answer') or {}
    if inside and 200 <= inside < 500 and outside.get('status') is None and outside.get('error_kind') in (
            'timeout', 'refused'):
        return 'the gateway answers %s on the target, but the public URL gets %s (%s); host firewall: %s' % (
            inside, outside.get('error_kind'), outside.get('error') or '', _get(e, 'firewall.detail') or 'not read')
    return None


class Cause:
    """One entry of the catalogue."""

    def __init__(self, cause_id, layer, says, fix, test):
        self.id = cause_id
        self.layer = layer
        self.says = says
        self.fix = fix
        self.test = test


# Closest to the root first within each layer: the order breaks ties.
CATALOGUE = (
    Cause('container_missing', 'container', 'the Document Server container does not exist',
          'run the documentserver role (docops.onlyoffice.documentserver)', _container_missing),
    Cause('oom_killed', 'container', 'the container was killed for lack of memory (OOM)',
          'give the server at least 4 GB of RAM with swap, and raise documentserver_memory (the limit) or empty it', _oom_killed),
    Cause('crash_loop', 'container', 'the container keeps restarting (crash loop)',
          'read the container log (docker logs <container>); the last lines say why it stops', _crash_loop),
    Cause('container_exited', 'container', 'the container is not running',
          'start it (docker start <container>) and read why it stopped in docker logs <container>',
          _container_exited),
    Cause('host_resources', 'container', 'the server is below the Document Server minimums',
          'resize the server: at least 4 GB of RAM with swap and free space on /var/lib/docker', _host_resources),
    Cause('nofile_limit', 'docservice', 'the internal broker hangs with a huge open-files limit',
          'run the container with an open-files limit of 65536 (docker run --ulimit nofile=65536:65536)', _nofile_limit),
    Cause('broker_incompatible', 'docservice', 'RabbitMQ refuses the Document Server (frame_max, RabbitMQ 4.1 or later)',
          'pin RabbitMQ to 4.0 or earlier', _broker_incompatible),
    Cause('dependency_unreachable', 'docservice', 'a dependency (database, broker, cache) is unreachable',
          'check that it runs and the connection settings (DB_HOST/DB_PORT, AMQP_URI, REDIS_SERVER_HOST)',
          _dependency_unreachable),
    Cause('starting', 'docservice', 'the Document Server is still starting',
          'wait: it is within its start budget (documentserver_ready_timeout, for slow servers)', _starting),
    Cause('docservice_down', 'docservice', 'docservice does not answer inside the container',
          'read the docservice log (/var/log/onlyoffice/documentserver/docservice/out.log in the container)',
          _docservice_down),
    Cause('jwt_mismatch', 'docservice', 'the JWT secret does not match',
          'use the same secret in the integration as documentserver_jwt_secret', _jwt_mismatch),
    Cause('clock_skew', 'docservice', "the server's clock is off, so fresh tokens look expired",
          'synchronise the clock (systemd-timesyncd or chrony)', _clock_skew),
    Cause('gateway_config_invalid', 'gateway', "nginx's configuration is invalid",
          "fix what nginx -t names, then reload nginx", _gateway_config_invalid),
    Cause('gateway_down', 'gateway', 'nginx does not listen', 'start nginx (systemctl start nginx)', _gateway_down),
    Cause('upstream_localhost', 'gateway', "the gateway's upstream is localhost, which also resolves to ::1",
          'proxy to 127.0.0.1:<port> (nginx_proxy_upstreams)', _upstream_localhost),
    Cause('upstream_port_mismatch', 'gateway', 'the gateway proxies to a port the container is not published on',
          "align the gateway's upstream port with documentserver_http_port", _upstream_port_mismatch),
    Cause('upstream_scheme_wrong', 'gateway', "the gateway proxies plain HTTP to the container's 443",
          "proxy to the container's port 80 (published as documentserver_http_port)", _upstream_scheme_wrong),
    Cause('selinux_denied', 'gateway', 'SELinux forbids nginx to connect to the upstream',
          'setsebool -P httpd_can_network_connect 1', _selinux_denied),
    Cause('upstream_closed', 'gateway', 'the upstream closed the connection before answering',
          'the container crashed or was killed mid-request: see the container causes', _upstream_closed),
    Cause('no_live_upstreams', 'gateway', 'nginx marked its only upstream down after one failure',
          'use max_fails=0 for a single upstream (the nginx_proxy role does)', _no_live_upstreams),
    Cause('header_too_big', 'gateway', 'the upstream sent a header larger than nginx buffers',
          'raise proxy_buffer_size and proxy_buffers (the nginx_proxy role uses 32k)', _header_too_big),
    Cause('upstream_refused', 'gateway', 'the gateway cannot connect to its upstream (refused)',
          'check the container causes above, then the upstream address and port', _upstream_refused),
    Cause('upstream_timeout', 'gateway', 'the upstream does not answer in time',
          'find what hangs (container load, docservice); raise proxy_read_timeout only for long requests',
          _upstream_timeout),
    Cause('tls_error', 'gateway', 'the TLS handshake with the public URL fails',
          'install a certificate valid for the public name (nginx_proxy_tls)', _tls_error),
    Cause('mixed_scheme', 'gateway', 'the Document Server builds http links behind an https gateway',
          'send X-Forwarded-Proto $scheme (and trust it only from known proxies)', _mixed_scheme),
    Cause('proxy_headers_wrong', 'gateway', 'the proxy headers are wrong (public URL or WebSocket upgrade)',
          'pass Host/X-Forwarded-Host, X-Forwarded-Proto, Upgrade and Connection as the nginx_proxy role does',
          _proxy_headers_wrong),
    Cause('docker_rules_wiped', 'firewall', "Docker's NAT rules were wiped (firewall reload or flush)",
          'restart Docker (systemctl restart docker); the firewall role does it after its changes',
          _docker_rules_wiped),
    Cause('firewall_blocked', 'firewall', 'the gateway answers on the server but not from outside',
          'allow 80 and 443 in the host firewall (firewall role) and in any cloud security group',
          _firewall_blocked),
)

BY_ID = dict((cause.id, cause) for cause in CATALOGUE)


def classify(evidence):
    """Every cause whose test matches EVIDENCE, closest to the root first: a list of dicts with id, layer, says,
    evidence (the line that proves it) and fix."""
    found = []
    for rank, cause in enumerate(CATALOGUE):
        proof = cause.test(evidence or {})
        if proof:
            found.append((LAYERS.index(cause.layer), rank, cause, proof))
    found.sort(key=lambda item: item[:2])
    return [dict(id=cause.id, layer=cause.layer, says=cause.says, evidence=proof, fix=cause.fix)
            for _layer, _rank, cause, proof in found]


def message(status, layer, finding):
    """The one line the play fails with: '<status> from <layer>: <cause> — <evidence> — <fix>'."""
    return '%s from %s: %s — %s — %s' % (status, layer, finding['says'], finding['evidence'], finding['fix'])
