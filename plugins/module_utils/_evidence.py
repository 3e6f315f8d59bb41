# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reading the evidence of a failed gateway from what the target prints: pure parsers, unit-tested without a
server. Each returns plain values for the evidence dict that _causes.classify reads.

Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import re

_COMMENT = re.compile(r'#[^\n]*')
_UPSTREAM_BLOCK = re.compile(r'\bupstream\s+([^\s{]+)\s*\{([^}]*)\}')
_SERVER = re.compile(r'(?:^|[;{\s])server\s+([^\s;]+)[^;]*;')
_PROXY_PASS = re.compile(r'\bproxy_pass\s+(https?)://([^\s;/$]+)')
_MEMINFO = re.compile(r'^(MemTotal|SwapTotal|MemAvailable):\s+(\d+)\s*kB', re.M)
_OOM_KILL = re.compile(r'^oom_kill\s+(\d+)\s*$', re.M)
_ERROR_TIME = re.compile(r'^(\d{4})/(\d\d)/(\d\d) (\d\d):(\d\d):(\d\d) \[(\w+)\]')


def _without_comments(text):
    return _COMMENT.sub('', text or '')


def nginx_upstreams(config):
    """The upstream servers the gateway proxies to, from ``nginx -T``: a list of dicts with scheme, name (the
    upstream block's name, or None for a direct proxy_pass) and server ('host:port', the port defaulting to the
    scheme's), in the order they appear, without duplicates."""
    text = _without_comments(config)
    blocks = dict((match.group(1), match.group(2)) for match in _UPSTREAM_BLOCK.finditer(text))
    found = []
    for match in _PROXY_PASS.finditer(text):
        scheme, target = match.group(1), match.group(2)
        default_port = '443' if scheme == 'https' else '80'
        if target in blocks:
            servers = _SERVER.findall(blocks[target])
            name = target
        else:
            servers, name = [target], None
        for server in servers:
            if server.startswith('unix:'):
                continue
            if not re.search(r':\d+$', server) or (server.count(':') > 1 and not server.startswith('[')):
                server = '%s:%s' % (server, default_port)
            item = dict(scheme=scheme, name=name, server=server)
            if item not in found:
                found.append(item)
    return found


def memory_mb(meminfo):
    """(total, available, swap total) in MB from /proc/meminfo; None for what is missing."""
    values = dict((key, int(value) // 1024) for key, value in _MEMINFO.findall(meminfo or ''))
    return values.get('MemTotal'), values.get('MemAvailable'), values.get('SwapTotal')


def oom_kill_count(text):
    """The oom_kill counter of a memory cgroup (v1 memory.oom_control, v2 memory.events), or None."""
    match = _OOM_KILL.search(text or '')
    return int(match.group(1)) if match else None


def clock_skew(target_epoch, controller_before, controller_after):
    """Seconds the target's clock is ahead of the controller's (negative: behind), from the target's epoch read
    between two readings of the controller's; the round trip's half is the uncertainty, taken out."""
    middle = (controller_before + controller_after) / 2.0
    return target_epoch - middle


def error_log_tail(text, limit=20, levels=('error', 'crit', 'alert', 'emerg')):
    """The last LIMIT lines of an nginx error.log at one of LEVELS (warnings and notices left out)."""
    found = []
    for line in (text or '').splitlines():
        match = _ERROR_TIME.match(line)
        if match and match.group(7) in levels:
            found.append(line.rstrip())
    return found[-limit:]


# ---------------------------------------------------------------- the target's own tools, for gateway_diagnose

_ERROR_LOG_DIRECTIVE = re.compile(r'(?:^|[;{\s])error_log\s+([^\s;]+)')
_NGINX_MESSAGE = re.compile(r'^(?:\d{4}/\d\d/\d\d \d\d:\d\d:\d\d |nginx: )?\[(emerg|alert|crit|error)\] '
                            r'(?:\d+#\d+: )?(.*)$')
_SS_LOCAL = re.compile(r'^LISTEN\s+\d+\s+\d+\s+(\S+):(\d+)\s', re.M)
_NOFILE = re.compile(r'^Max open files\s+(\S+)', re.M)
_DOCKER_TIME = re.compile(r'^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$')
_TCP_LISTEN = '0A'


def nginx_test_error(output):
    """The first line of a failed ``nginx -t`` that says why, as '[emerg] unknown directive ...' (without nginx's
    time stamp, process ids or name); the first line when none has a level; None for no output."""
    lines = [line.strip() for line in (output or '').splitlines() if line.strip()]
    for line in lines:
        match = _NGINX_MESSAGE.match(line)
        if match:
            return '[%s] %s' % match.groups()
    return lines[0] if lines else None


def nginx_error_logs(config):
    """The files nginx writes its error log to, from ``nginx -T``, in order, without duplicates; stderr, syslog,
    the memory buffer and /dev/null left out."""
    found = []
    for path in _ERROR_LOG_DIRECTIVE.findall(_without_comments(config)):
        if path.startswith('/') and path != '/dev/null' and path not in found:
            found.append(path)
    return found


def error_log_since(text, since, limit=20, levels=('error', 'crit', 'alert', 'emerg')):
    """The last LIMIT lines of an nginx error.log at one of LEVELS written at SINCE or later: SINCE is a naive
    datetime.datetime in the target's local time, the time nginx writes."""
    floor = since.timetuple()[:6]
    found = []
    for line in (text or '').splitlines():
        match = _ERROR_TIME.match(line)
        if match and match.group(7) in levels and tuple(int(part) for part in match.groups()[:6]) >= floor:
            found.append(line.rstrip())
    return found[-limit:]


def ss_listening_ports(output):
    """The TCP ports that listen, from ``ss -ltnH`` (or ``ss -ltn``): a sorted list of ints."""
    return sorted(set(int(port) for _address, port in _SS_LOCAL.findall(output or '')))


def proc_net_listening_ports(text):
    """The TCP ports that listen, from /proc/net/tcp and /proc/net/tcp6 (concatenated): a sorted list of ints."""
    ports = set()
    for line in (text or '').splitlines():
        fields = line.split()
        if len(fields) > 3 and fields[0].endswith(':') and fields[3] == _TCP_LISTEN and ':' in fields[1]:
            ports.add(int(fields[1].rpartition(':')[2], 16))
    return sorted(ports)


def nofile_limit(limits):
    """The soft open-files limit from /proc/<pid>/limits; None when it is missing or unlimited."""
    match = _NOFILE.search(limits or '')
    return int(match.group(1)) if match and match.group(1).isdigit() else None


def docker_time(text):
    """Seconds since the epoch of a time as Docker prints it (RFC 3339 with nanoseconds, 'Z' or an offset); None
    for Docker's zero time (never started) or what does not parse."""
    match = _DOCKER_TIME.match(text or '')
    if not match or match.group(1) == '0001':
        return None
    moment = datetime.datetime(*(int(part) for part in match.groups()[:6]), tzinfo=datetime.timezone.utc)
    zone = match.group(8)
    offset = 0 if zone == 'Z' else (1 if zone[0] == '+' else -1) * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    fraction = float('0.' + match.group(7)) if match.group(7) else 0.0
    return moment.timestamp() + fraction - offset
