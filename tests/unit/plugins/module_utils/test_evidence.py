# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The evidence parsers, on text as nginx -T, /proc/meminfo, memory cgroups and error.log print it."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible_collections.docops.onlyoffice.plugins.module_utils import _evidence

# What `nginx -T` prints: our gateway site, a hand-written one with `localhost`, a direct proxy_pass.
NGINX_T = '''nginx: the configuration file /etc/nginx/nginx.conf syntax is ok
# configuration file /etc/nginx/sites-enabled/onlyoffice:
upstream docops_onlyoffice_docservice {
    server 127.0.0.1:8080 max_fails=0;
    keepalive 32;
}
upstream nodes {
    hash $shard consistent;
    server 10.0.0.5:8101 max_fails=1 fail_timeout=30s;
    server [2001:db8::7]:8102;
    # server 10.0.0.9:8103;
}
upstream handwritten { server localhost; }
server {
    location / { proxy_pass http://docops_onlyoffice_docservice; }
    location /n/ { proxy_pass http://nodes/; }
    location /h/ { proxy_pass http://handwritten; }
    location /direct/ { proxy_pass https://127.0.0.1:8443/; }
    location /again/ { proxy_pass http://docops_onlyoffice_docservice; }
    # location /old/ { proxy_pass http://127.0.0.1:9999; }
}
'''


def test_nginx_upstreams_from_nginx_t():
    assert _evidence.nginx_upstreams(NGINX_T) == [
        {'scheme': 'http', 'name': 'docops_onlyoffice_docservice', 'server': '127.0.0.1:8080'},
        {'scheme': 'http', 'name': 'nodes', 'server': '10.0.0.5:8101'},
        {'scheme': 'http', 'name': 'nodes', 'server': '[2001:db8::7]:8102'},
        {'scheme': 'http', 'name': 'handwritten', 'server': 'localhost:80'},
        {'scheme': 'https', 'name': None, 'server': '127.0.0.1:8443'},
    ]
    assert _evidence.nginx_upstreams('') == []


def test_memory_from_meminfo():
    meminfo = 'MemTotal:        8039896 kB\nMemFree:  1 kB\nMemAvailable:    6000000 kB\nSwapTotal:       2097148 kB\n'
    assert _evidence.memory_mb(meminfo) == (7851, 5859, 2047)
    assert _evidence.memory_mb('') == (None, None, None)


def test_oom_kill_count_v1_and_v2():
    assert _evidence.oom_kill_count('oom_kill_disable 0\nunder_oom 0\noom_kill 2\n') == 2      # cgroup v1
    assert _evidence.oom_kill_count('low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n') == 1          # cgroup v2
    assert _evidence.oom_kill_count('oom_kill_disable 0\nunder_oom 0\n') is None               # old kernels


def test_clock_skew_takes_the_middle_of_the_round_trip():
    assert _evidence.clock_skew(1000.0, 1999.0, 2001.0) == -1000.0
    assert _evidence.clock_skew(2000.5, 2000.0, 2001.0) == 0.0


def test_error_log_tail_keeps_errors_only():
    lines = [
        '2026/11/22 10:00:00 [notice] 1#1: signal process started',
        '2026/11/22 10:00:01 [error] 8#8: *1 connect() failed (111: Connection refused) while connecting to upstream',
        '2026/11/22 10:00:02 [warn] 8#8: *2 an upstream response is buffered to a temporary file',
        '2026/11/22 10:00:03 [crit] 8#8: *3 SSL_do_handshake() failed',
        'a continuation line without a date',
    ]
    assert _evidence.error_log_tail('\n'.join(lines)) == [lines[1], lines[3]]
    assert _evidence.error_log_tail('\n'.join(lines), limit=1) == [lines[3]]
