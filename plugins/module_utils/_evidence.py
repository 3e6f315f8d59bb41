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
