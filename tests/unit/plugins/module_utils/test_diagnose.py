# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""gateway_diagnose without a server: the parsers and the pure parts, then the gathering through a fake target
and a fake Docker source fed with outputs RECORDED from real commands (2026-11-22: the simulator image
documentserver-sim on Docker 20.10.24, the test bed's server-nginx image with Debian 12's nginx 1.22.1 and
systemd, iptables 1.8.9 (nf_tables) and nft on the development host), and the module's parameter checks."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import datetime
import errno
import json
import time

import pytest

from ansible_collections.docops.onlyoffice.plugins.module_utils import _diagnose, _evidence
from ansible_collections.docops.onlyoffice.plugins.modules import gateway_diagnose
from ansible_collections.docops.onlyoffice.tests.unit.plugins.modules.module_runner import failed, module_runner, ok

# ---------------------------------------------------------------- recorded outputs

# docker inspect docops-dg-rec1 (a healthy simulator published on 127.0.0.1:32789), trimmed to what is read.
INSPECT_RUNNING = {
    'Id': '6bfc1ebcd07c7d83fbf95b938db94d45172aa0a67eeef97262f1427779bd133a',
    'Name': '/docops-dg-rec1',
    'RestartCount': 0,
    'State': {'Status': 'running', 'Running': True, 'Paused': False, 'Restarting': False, 'OOMKilled': False,
              'Dead': False, 'Pid': 31818, 'ExitCode': 0, 'Error': '', 'StartedAt': '2026-11-22T19:13:46.135599815Z',
              'FinishedAt': '0001-01-01T00:00:00Z'},
    'Config': {'Image': 'docops-testbed/documentserver-sim:282eec49f6a2'},
    'HostConfig': {'PortBindings': {'80/tcp': [{'HostIp': '127.0.0.1', 'HostPort': ''}]}, 'Memory': 0,
                   'RestartPolicy': {'Name': 'no', 'MaximumRetryCount': 0}, 'Ulimits': []},
    'NetworkSettings': {'Ports': {'443/tcp': None, '80/tcp': [{'HostIp': '127.0.0.1', 'HostPort': '32789'}]},
                        'IPAddress': '172.17.0.3'},
}
STARTED = _evidence.docker_time('2026-11-22T19:13:46.135599815Z')

# docker logs --tail 50 of a healthy simulator, and of one started with SIM_DB_DOWN_AT_START=1.
BANNER = ("docops-sim: TEST DOUBLE of onlyoffice/documentserver — not the real Document Server (simulating 9.4.0 "
          "build 1, community edition, node '6bfc1ebcd07c')")
JWT_LINE = ('JWT is enabled by default. A random secret is generated automatically. Run the command "docker exec '
            '<container> sudo documentserver-jwt-status.sh" to get information about JWT.')
LOGS_HEALTHY = [
    BANNER, JWT_LINE,
    '[2026-11-22T19:13:46.232] [WARN] [localhost] [docId] [userId] nodeJS - Express server starting...',
    '[2026-11-22T19:13:47.234] [WARN] [localhost] [docId] [userId] nodeJS - Express server listening on port 8000 in '
    'production-linux mode. Version: 9.4.0. Build: 1',
]
LOGS_DB_DOWN = [
    BANNER, JWT_LINE,
    '[2026-11-22T19:13:46.449] [WARN] [localhost] [docId] [userId] nodeJS - Express server starting...',
    '[2026-11-22T19:13:46.450] [ERROR] [localhost] [docId] [userId] nodeJS - getTableColumns error: Error: connect '
    'ECONNREFUSED 127.0.0.1:5432',
]

# docker exec <c> sh -c INSIDE_COMMAND: docservice listening on 127.0.0.1:8000 and nginx on :80, then without 8000.
TCP_HEADER = ('  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode'
              '                                                     \n')
TCP6_HEADER = ('  sl  local_address                         remote_address                        st tx_queue '
               'rx_queue tr tm->when retrnsmt   uid  timeout inode\n')
DOCSERVICE_SOCKET = ('   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 '
                     '6122643 1 00000000f9d1949e 100 0 0 10 0                   \n')
NGINX_SOCKET = ('   1: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 6120967 '
                '1 0000000075a68f7b 100 0 0 10 0                   \n')
LIMITS = ('Limit                     Soft Limit           Hard Limit           Units     \n'
          'Max open files            20000                20000                files     \n')
INSIDE_HEALTHY = TCP_HEADER + DOCSERVICE_SOCKET + NGINX_SOCKET + TCP6_HEADER + '---limits---\n' + LIMITS
INSIDE_DB_DOWN = TCP_HEADER + NGINX_SOCKET + TCP6_HEADER + '---limits---\n' + LIMITS

# cgroup v1 memory.oom_control of a container.
OOM_CONTROL = 'oom_kill_disable 0\nunder_oom 0\noom_kill %d\n'

# docker ps -a --no-trunc --format '{{.ID}}\t{{.Image}}\t{{.Names}}'
PS = ('2eedbbba6cd95a495cd45bcbacdd493b92b64401d7ce6e8f9be27763c7051b62\tdocops-testbed/server-nginx:dfb1d52c9a3f\t'
      'docops-dg-nginx\n'
      'ce2cf98aa8f47fab75845e9c1c50dfaf1f9d4962f16c954aaaf5f04e9d216cae\tdocops-testbed/documentserver-sim:282eec49f6a2\t'
      'docops-dg-rec2\n'
      '6bfc1ebcd07c7d83fbf95b938db94d45172aa0a67eeef97262f1427779bd133a\tdocops-testbed/documentserver-sim:282eec49f6a2\t'
      'docops-dg-rec1\n')

# On server-nginx: a hand-written site whose upstream is localhost:8080, where nothing listens.
NGINX_T = '''# configuration file /etc/nginx/nginx.conf:
user www-data;
worker_processes auto;
pid /run/nginx.pid;
error_log /var/log/nginx/error.log;
include /etc/nginx/modules-enabled/*.conf;
http {
    access_log /var/log/nginx/access.log;
    include /etc/nginx/conf.d/*.conf;
    include /etc/nginx/sites-enabled/*;
}
#mail {
#    server {
#        listen     localhost:110;
#    }
#}
# configuration file /etc/nginx/sites-enabled/default:
server {
    listen 80 default_server;
    listen [::]:80 default_server;
    root /var/www/html;
    server_name _;
    location / {
        try_files $uri $uri/ =404;
    }
}
# configuration file /etc/nginx/sites-enabled/onlyoffice:
upstream documentserver {
    server localhost:8080 max_fails=0 fail_timeout=0s;
}
server {
    listen 8081;
    error_log /var/log/nginx/onlyoffice.error.log;
    location / {
        proxy_pass http://documentserver;
        add_header X-Docops-Gateway-Error "upstream=$upstream_addr status=$upstream_status" always;
    }
}
'''
NGINX_T_OK = ('nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n'
              'nginx: configuration file /etc/nginx/nginx.conf test is successful\n')
NGINX_T_FAILED = ('2026/11/22 19:14:06 [emerg] 97#97: unknown directive "bogus_directive" in '
                  '/etc/nginx/sites-enabled/onlyoffice:12\nnginx: configuration file /etc/nginx/nginx.conf test failed\n')
ERROR_LINE = ('2026/11/22 19:14:02 [error] 83#83: *1 connect() failed (111: Connection refused) while connecting to '
              'upstream, client: 127.0.0.1, server: , request: "GET /healthcheck HTTP/1.1", upstream: '
              '"http://127.0.0.1:8080/healthcheck", host: "127.0.0.1:8081"')
SS_NGINX = ('LISTEN 0      511    0.0.0.0:80 0.0.0.0:*\nLISTEN 0      128    0.0.0.0:22 0.0.0.0:*\n'
            'LISTEN 0      511       [::]:80    [::]:*\nLISTEN 0      128       [::]:22    [::]:*\n')
SS_NGINX_STOPPED = 'LISTEN 0      128    0.0.0.0:22 0.0.0.0:*\nLISTEN 0      128       [::]:22    [::]:*\n'
NO_SYSTEMD = ("System has not been booted with systemd as init system (PID 1). Can't operate.\n"
              'Failed to connect to bus: Host is down\n')
IPTABLES_DOCKER = ('Chain DOCKER (2 references)\ntarget     prot opt source               destination         \n'
                   'RETURN     0    --  0.0.0.0/0            0.0.0.0/0           \n'
                   'DNAT       6    --  0.0.0.0/0            127.0.0.1            tcp dpt:32789 to:172.17.0.3:80\n')
IPTABLES_NO_CHAIN = "iptables v1.8.9 (nf_tables): chain `DOCKER' in table `nat' is incompatible, use 'nft' tool.\n"
NFT_NO_CHAIN = 'Error: No such file or directory\nlist chain ip nat DOCKER\n                   ^^^^^^\n'
MEMINFO = 'MemTotal:       24684100 kB\nMemFree:         1000000 kB\nMemAvailable:   20000000 kB\nSwapTotal:       2097148 kB\n'

# When the recordings were made: 19:18:34 UTC, a few minutes after the containers started.
NOW = STARTED + 288.3
HEALTHY_ANSWER = {'url': 'x', 'status': 200, 'reason': 'OK', 'body': 'true', 'error_kind': None, 'error': None,
                  'headers': {'content-type': 'text/plain; charset=utf-8'}, 'phase': None, 'timings': {}}
BAD_GATEWAY = dict(HEALTHY_ANSWER, status=502, reason='Bad Gateway', body='<html>502 Bad Gateway</html>',
                   headers={'content-type': 'text/html'})
REFUSED = dict(HEALTHY_ANSWER, status=None, reason=None, body='', error_kind='refused',
               error='connect: [Errno 111] Connection refused', headers={})


# ---------------------------------------------------------------- parsers

def test_nginx_test_error_is_the_first_reason_without_time_stamp_or_process():
    assert _evidence.nginx_test_error(NGINX_T_FAILED) == (
        '[emerg] unknown directive "bogus_directive" in /etc/nginx/sites-enabled/onlyoffice:12')
    assert _evidence.nginx_test_error('nginx: [emerg] host not found in upstream "ds" in /etc/nginx/x.conf:3\n') == (
        '[emerg] host not found in upstream "ds" in /etc/nginx/x.conf:3')
    assert _evidence.nginx_test_error('nginx: command not found') == 'nginx: command not found'
    assert _evidence.nginx_test_error('') is None


def test_error_log_files_come_from_nginx_T_without_stderr_syslog_or_comments():
    config = NGINX_T + 'error_log stderr;\nerror_log syslog:server=unix:/dev/log;\n# error_log /old.log;\n' \
                       'error_log /var/log/nginx/error.log warn;\nerror_log /dev/null;\n'
    assert _evidence.nginx_error_logs(config) == ['/var/log/nginx/error.log', '/var/log/nginx/onlyoffice.error.log']


def test_error_log_lines_since_a_time_at_error_level_or_worse():
    old = ERROR_LINE.replace('19:14:02', '19:04:02')
    notice = '2026/11/22 19:14:03 [notice] 83#83: signal process started'
    lines = _evidence.error_log_since('\n'.join([old, ERROR_LINE, notice, 'garbage']),
                                      datetime.datetime(2026, 11, 22, 19, 10, 0))
    assert lines == [ERROR_LINE]
    assert _evidence.error_log_since('\n'.join([ERROR_LINE] * 30), datetime.datetime(2026, 1, 1), limit=3) == \
        [ERROR_LINE] * 3


def test_listening_ports_from_ss_and_from_proc_net_tcp():
    assert _evidence.ss_listening_ports(SS_NGINX) == [22, 80]
    assert _evidence.ss_listening_ports('') == []
    assert _evidence.proc_net_listening_ports(INSIDE_HEALTHY.partition('---')[0]) == [80, 8000]
    assert _evidence.proc_net_listening_ports(INSIDE_DB_DOWN) == [80]


def test_nofile_limit_and_docker_times():
    assert _evidence.nofile_limit(LIMITS) == 20000
    assert _evidence.nofile_limit('Max open files            unlimited            unlimited            files') is None
    assert _evidence.docker_time('2026-11-22T19:13:46.135599815Z') == pytest.approx(1795374826.1356, abs=1e-3)
    assert _evidence.docker_time('2026-11-22T20:13:46+01:00') == pytest.approx(1795374826.0)
    assert _evidence.docker_time('0001-01-01T00:00:00Z') is None
    assert _evidence.docker_time('yesterday') is None


# ---------------------------------------------------------------- pure parts of the diagnosis

@pytest.mark.parametrize('image, expected', [
    ('onlyoffice/documentserver:9.4.0', True),
    ('onlyoffice/documentserver-ee', True),
    ('registry.example.test:5000/mirror/onlyoffice/documentserver-de@sha256:0123', True),
    ('docops-testbed/documentserver-sim:282eec49f6a2', True),
    ('nginx:1.25', False),
    ('documentserver.example.test:5000/nginx', False),
    ('sha256:6bfc1ebcd07c', False),
])
def test_documentserver_images_are_told_by_their_repository_name(image, expected):
    assert _diagnose.is_documentserver_image(image) is expected


def test_published_ports_of_a_running_and_of_a_stopped_container():
    assert _diagnose.published(INSPECT_RUNNING) == [
        {'host_ip': '127.0.0.1', 'host_port': 32789, 'container_port': '80/tcp'}]
    stopped = copy.deepcopy(INSPECT_RUNNING)
    stopped['NetworkSettings']['Ports'] = {}
    stopped['HostConfig']['PortBindings'] = {'80/tcp': [{'HostIp': '', 'HostPort': '8080'}]}
    assert _diagnose.published(stopped) == [{'host_ip': '0.0.0.0', 'host_port': 8080, 'container_port': '80/tcp'}]


def _attrs(name, image, port=None, running=True):
    attrs = copy.deepcopy(INSPECT_RUNNING)
    attrs.update(Id=name + '-id', Name='/' + name)
    attrs['Config']['Image'] = image
    attrs['State']['Running'] = running
    attrs['NetworkSettings']['Ports'] = {'80/tcp': [{'HostIp': '127.0.0.1', 'HostPort': str(port)}]} if port else {}
    attrs['HostConfig']['PortBindings'] = {}
    return attrs


class Engine:
    """Containers by id, and the ids inspected."""

    def __init__(self, *containers):
        self.by_id = dict((attrs['Id'], attrs) for attrs in containers)
        self.inspected = []

    def listing(self):
        return [{'id': attrs['Id'], 'name': attrs['Name'][1:], 'image': attrs['Config']['Image']}
                for attrs in self.by_id.values()]

    def inspect_many(self, ids):
        self.inspected += ids
        return [self.by_id[ref] for ref in ids]


def test_the_only_container_of_a_documentserver_image_is_chosen_without_inspecting_the_others():
    engine = Engine(_attrs('web', 'nginx'), _attrs('office', 'onlyoffice/documentserver:9.4.0', 8080))
    attrs, gap = _diagnose.choose_container(engine.listing(), engine.inspect_many)
    assert attrs['Name'] == '/office' and gap is None and engine.inspected == ['office-id']


def test_with_several_the_one_on_the_published_port_wins_else_none_with_a_gap():
    engine = Engine(_attrs('a', 'onlyoffice/documentserver', 8080), _attrs('b', 'onlyoffice/documentserver-ee', 8090))
    assert _diagnose.choose_container(engine.listing(), engine.inspect_many, 8090)[0]['Name'] == '/b'
    attrs, gap = _diagnose.choose_container(engine.listing(), engine.inspect_many)
    assert attrs is None and gap == '2 containers of a documentserver image (a, b): give the container option'


def test_a_document_server_of_another_image_is_found_by_its_port():
    engine = Engine(_attrs('web', 'nginx', 80), _attrs('office', 'example/office:1', 8080))
    assert _diagnose.choose_container(engine.listing(), engine.inspect_many, 8080)[0]['Name'] == '/office'
    assert _diagnose.choose_container(engine.listing(), engine.inspect_many, 9999) == (None, None)


def test_the_only_documentserver_container_on_another_port_is_diagnosed_with_a_gap():
    engine = Engine(_attrs('office', 'onlyoffice/documentserver', 8090))
    attrs, gap = _diagnose.choose_container(engine.listing(), engine.inspect_many, 8080)
    assert attrs['Name'] == '/office'
    assert gap == ('no container is published on port 8080: diagnosed office, the only container of a documentserver '
                   'image')


@pytest.mark.parametrize('ports, port, address, url', [
    ([{'host_ip': '127.0.0.1', 'host_port': 32789, 'container_port': '80/tcp'}], None, None, 'http://127.0.0.1:32789'),
    ([{'host_ip': '0.0.0.0', 'host_port': 8443, 'container_port': '443/tcp'},
      {'host_ip': '0.0.0.0', 'host_port': 8080, 'container_port': '80/tcp'}], None, None, 'http://127.0.0.1:8080'),
    ([{'host_ip': '0.0.0.0', 'host_port': 8443, 'container_port': '443/tcp'},
      {'host_ip': '::', 'host_port': 8080, 'container_port': '80/tcp'}], 8443, None, 'https://127.0.0.1:8443'),
    ([{'host_ip': '::', 'host_port': 8080, 'container_port': '80/tcp'}], None, None, 'http://[::1]:8080'),
    ([], None, '172.17.0.3', 'http://172.17.0.3:80'),
    ([{'host_ip': '0.0.0.0', 'host_port': 9000, 'container_port': '9000/tcp'}], None, None, None),
])
def test_the_container_is_probed_on_its_published_web_port(ports, port, address, url):
    assert _diagnose.inner_url(ports, port, address) == url


def test_upstreams_on_the_published_port_are_kept_else_all():
    servers = ['127.0.0.1:3000', 'localhost:8080']
    assert _diagnose.relevant_upstreams(servers, [8080]) == ['localhost:8080']
    assert _diagnose.relevant_upstreams(servers, [32789]) == servers


def test_docker_rules_verdict_from_recorded_answers():
    assert _diagnose.rules_verdict([('iptables', 0, IPTABLES_DOCKER)]) is True
    assert _diagnose.rules_verdict([('iptables', 1, IPTABLES_NO_CHAIN), ('nft', 1, NFT_NO_CHAIN)]) is False
    assert _diagnose.rules_verdict([('iptables', 4, 'iptables: Permission denied (you must be root)')]) is None
    assert _diagnose.rules_verdict([]) is None


# ---------------------------------------------------------------- the gathering, through fakes

class FakeTarget:
    """Commands answer from a dict keyed by the argv joined with spaces; files from a dict; probes by base URL."""

    def __init__(self, commands=None, files=None, answers=None, installed=None, now=NOW):
        self.commands = commands or {}
        self.files = files or {}
        self.answers = answers or {}
        self.installed = set(installed if installed is not None else ('nginx', 'iptables', 'nft', 'docker'))
        self.clock = now
        self.ran = []
        self.probed = []

    def which(self, name):
        return '/usr/sbin/' + name if name in self.installed else None

    def run(self, argv, timeout=_diagnose.COMMAND_TIMEOUT, merge=False):
        line = ' '.join(argv)
        self.ran.append(line)
        if argv[0].rpartition('/')[2] not in self.installed and argv[0] not in ('ss', 'systemctl'):
            return 127, '', '%s: not installed' % argv[0]
        answer = self.commands.get(line, (127, '', '%s: not recorded' % line))
        return answer

    def read(self, path, last_bytes=None):
        content = self.files.get(path)
        if isinstance(content, Exception):
            raise content
        if content is None:
            raise IOError(errno.ENOENT, 'No such file or directory', path)
        return content

    def glob(self, pattern):
        return sorted(path for path in self.files if path.startswith('/var/log/nginx/') and path.endswith('error.log'))

    def free_mb(self, path):
        assert path == '/var/lib/docker'
        return 67553

    def probe(self, base_url, path, headers, timeout, validate_certs):
        self.probed.append((base_url, path, headers, timeout, validate_certs))
        return self.answers.get(base_url, REFUSED)

    def now(self):
        return self.clock


class FakeDocker:
    """The Docker source: what the SDK answers, recorded."""

    via = 'the Docker SDK for Python'

    def __init__(self, containers, logs=None, inside=(0, INSIDE_HEALTHY)):
        self.by_name = dict((attrs['Name'][1:], attrs) for attrs in containers)
        self.log_lines = logs or LOGS_HEALTHY
        self.inside = inside

    def containers(self):
        return [{'id': attrs['Id'], 'name': name, 'image': attrs['Config']['Image']}
                for name, attrs in self.by_name.items()]

    def inspect(self, ref):
        return next((attrs for name, attrs in self.by_name.items() if ref in (name, attrs['Id'])), None)

    def inspect_many(self, ids):
        return [self.inspect(ref) for ref in ids]

    def logs(self, ref, lines):
        assert lines == 50
        return self.log_lines

    def run_inside(self, ref, command):
        assert command == _diagnose.INSIDE_COMMAND
        if isinstance(self.inside, Exception):
            raise self.inside
        return self.inside

    def root_dir(self):
        return '/var/lib/docker'


CONTAINER_URL = 'http://127.0.0.1:32789'
GATEWAY_URL = 'http://127.0.0.1:8081'
CGROUP = '/sys/fs/cgroup/memory/docker/%s/memory.oom_control' % INSPECT_RUNNING['Id']


def nginx_commands(config_ok=True, active=True, listening=SS_NGINX.replace(':80 ', ':8081 ')):
    return {
        'ss -ltnH': (0, listening, ''),
        'systemctl is-active nginx': (0, 'active\n', '') if active else (3, 'inactive\n', ''),
        '/usr/sbin/nginx -t': (0, '', NGINX_T_OK) if config_ok else (1, '', NGINX_T_FAILED),
        '/usr/sbin/nginx -T': (0, NGINX_T, NGINX_T_OK) if config_ok else (1, '', NGINX_T_FAILED),
        '/usr/sbin/iptables -t nat -n -L DOCKER': (0, IPTABLES_DOCKER, ''),
    }


def base_files(error_log=''):
    return {'/proc/meminfo': MEMINFO, CGROUP: OOM_CONTROL % 0, '/var/log/nginx/error.log': '',
            '/var/log/nginx/onlyoffice.error.log': error_log}


def answer(result, headers=False):
    return _diagnose.answer_evidence(result, with_headers=headers)


def params(**changes):
    values = dict((name, option.get('default')) for name, option in _diagnose.argument_spec().items())
    values.update(container='docops-dg-rec1', gateway_url=GATEWAY_URL, published_port=32789)
    values.update(changes)
    return values


def diagnose(target, docker, gap=None, **changes):
    return _diagnose.Diagnosis(params(**changes), target, docker, gap).run()


def healthy_target(**changes):
    options = dict(commands=nginx_commands(), files=base_files(),
                   answers={CONTAINER_URL: HEALTHY_ANSWER, GATEWAY_URL: HEALTHY_ANSWER})
    options.update(changes)
    return FakeTarget(**options)


def with_upstream(port):
    """nginx -T with the recorded site's upstream on PORT."""
    commands = nginx_commands()
    commands['/usr/sbin/nginx -T'] = (0, NGINX_T.replace('localhost:8080', '127.0.0.1:%d' % port), NGINX_T_OK)
    return commands


def test_a_healthy_stack_matches_no_cause_and_has_every_section():
    target = healthy_target(commands=with_upstream(32789))
    result = diagnose(target, FakeDocker([INSPECT_RUNNING]), controller_time={'before': NOW - 1.5, 'after': NOW - 0.5})
    assert result['healthy'] and result['causes'] == [] and result['cause'] is None and result['layer'] is None
    assert result['gaps'] == [] and result['changed'] is False
    assert result['message'] == ('no cause found: container docops-dg-rec1 running, its port answers HTTP 200 "true", '
                                 'the gateway http://127.0.0.1:8081 answers HTTP 200 "true"')
    evidence = result['evidence']
    assert sorted(evidence) == ['clock', 'container', 'docker', 'firewall', 'gateway', 'host', 'inner', 'start']
    assert evidence['firewall'] == {'active': None, 'detail': 'no ufw, firewalld or table inet docops_firewall'}
    container = evidence['container']
    assert container['found'] and container['running'] and container['name'] == 'docops-dg-rec1'
    assert container['oom_kill_count'] == 0 and container['nofile_limit'] == 20000 and container['logs'] == LOGS_HEALTHY
    assert container['published'] == [{'host_ip': '127.0.0.1', 'host_port': 32789, 'container_port': '80/tcp'}]
    assert evidence['start'] == {'elapsed': 288.3, 'budget': 300}
    assert evidence['inner'] == {'docservice_listening': True, 'answer': {
        'status': 200, 'body': 'true', 'error_kind': None, 'error': None}}
    gateway = evidence['gateway']
    assert gateway['running'] and gateway['listening'] and gateway['config_ok'] and gateway['config_error'] is None
    assert gateway['upstreams'] == ['127.0.0.1:32789'] and gateway['error_log'] == []
    assert gateway['answer']['status'] == 200 and gateway['answer']['headers']
    assert evidence['docker'] == {'rules_ok': True}
    assert evidence['host'] == {'mem_total_mb': 24105, 'swap_total_mb': 2047, 'disk_free_mb': 67553}
    assert evidence['clock'] == {'skew_seconds': 1.0}
    # Only /healthcheck, with the short timeout, the gateway's headers and no certificate check by default.
    assert sorted(target.probed) == [(CONTAINER_URL, '/healthcheck', {}, 3, False),
                                     (GATEWAY_URL, '/healthcheck', {}, 3, False)]


def test_the_recorded_hand_written_site_proxies_to_a_port_the_container_is_not_published_on():
    error_log = '\n'.join([ERROR_LINE.replace('19:14:02', '19:04:02'), ERROR_LINE])
    target = healthy_target(files=base_files(error_log), answers={CONTAINER_URL: HEALTHY_ANSWER, GATEWAY_URL: BAD_GATEWAY},
                            now=time.mktime((2026, 11, 22, 19, 14, 30, 0, 0, -1)))
    result = diagnose(target, FakeDocker([INSPECT_RUNNING]))
    assert [cause['id'] for cause in result['causes']] == ['upstream_port_mismatch', 'upstream_refused']
    assert result['layer'] == 'gateway'
    # Only the recent line: the one ten minutes older is another incident.
    assert result['evidence']['gateway']['error_log'] == [ERROR_LINE]
    assert result['evidence']['gateway']['upstreams'] == ['localhost:8080']
    assert result['message'] == (
        '502 from gateway: the gateway proxies to a port the container is not published on — the gateway proxies to '
        "port 8080, the container is published on 32789 — align the gateway's upstream port with "
        'documentserver_http_port')
    assert set(result['causes'][0]) == {'id', 'layer', 'summary', 'evidence', 'fix'}


def test_database_down_at_start_is_a_dependency_then_docservice_down_past_the_budget():
    docker = FakeDocker([INSPECT_RUNNING], logs=LOGS_DB_DOWN, inside=(0, INSIDE_DB_DOWN))
    answers = {CONTAINER_URL: BAD_GATEWAY, GATEWAY_URL: BAD_GATEWAY}
    result = diagnose(healthy_target(answers=answers, commands=with_upstream(32789)), docker, start_budget=60)
    assert [cause['id'] for cause in result['causes']] == ['dependency_unreachable', 'docservice_down']
    assert result['evidence']['inner']['docservice_listening'] is False
    assert result['message'].startswith('502 from docservice: a dependency (database, broker, cache) is unreachable — '
                                        '[2026-11-22T19:13:46.450] [ERROR]')
    within = diagnose(healthy_target(answers=answers, commands=with_upstream(32789)), docker, start_budget=600)
    assert [cause['id'] for cause in within['causes']] == ['dependency_unreachable', 'starting']


def test_an_invalid_nginx_config_is_named_with_nginx_s_own_line():
    target = healthy_target(commands=nginx_commands(config_ok=False))
    result = diagnose(target, FakeDocker([INSPECT_RUNNING]))
    assert result['cause'] == 'gateway_config_invalid'
    assert result['evidence']['gateway']['config_error'] == (
        '[emerg] unknown directive "bogus_directive" in /etc/nginx/sites-enabled/onlyoffice:12')
    assert 'upstreams' not in result['evidence']['gateway']
    assert result['gaps'] == ['nginx -T failed, upstreams unknown: [emerg] unknown directive "bogus_directive" in '
                              '/etc/nginx/sites-enabled/onlyoffice:12']


def test_a_stopped_nginx_is_gateway_down():
    commands = dict(with_upstream(32789), **{'ss -ltnH': (0, SS_NGINX_STOPPED, '')})
    commands['systemctl is-active nginx'] = (3, 'inactive\n', '')
    target = healthy_target(commands=commands, answers={CONTAINER_URL: HEALTHY_ANSWER})
    result = diagnose(target, FakeDocker([INSPECT_RUNNING]))
    assert result['cause'] == 'gateway_down' and result['evidence']['gateway']['running'] is False
    assert result['message'].startswith('no answer from gateway: nginx does not listen — nothing listens on the '
                                        'gateway ports (nginx is not running)')


def test_without_systemd_nginx_s_pid_file_tells_and_without_either_it_is_a_gap():
    commands = dict(with_upstream(32789), **{'systemctl is-active nginx': (1, '', NO_SYSTEMD)})
    files = dict(base_files(), **{'/run/nginx.pid': '52\n', '/proc/52/comm': 'nginx\n'})
    result = diagnose(healthy_target(commands=commands, files=files), FakeDocker([INSPECT_RUNNING]))
    assert result['healthy'] and result['evidence']['gateway']['running'] is True
    result = diagnose(healthy_target(commands=commands), FakeDocker([INSPECT_RUNNING]))
    assert result['healthy'] and 'running' not in [k for k, v in result['evidence']['gateway'].items() if v is not None]
    assert result['gaps'] == ['nginx running: unknown: systemd cannot tell (systemctl exit code 1) and no nginx.pid '
                              'names a live process']


def test_an_exited_container_is_read_without_probing_it_or_its_rules():
    attrs = copy.deepcopy(INSPECT_RUNNING)
    attrs['State'].update(Status='exited', Running=False, ExitCode=1, FinishedAt='2026-11-22T19:13:49.2Z')
    attrs['NetworkSettings']['Ports'] = {}
    attrs['HostConfig']['PortBindings'] = {'80/tcp': [{'HostIp': '127.0.0.1', 'HostPort': '32789'}]}
    logs = LOGS_HEALTHY + ['[2026-11-22T19:13:49.236] [FATAL] [localhost] [docId] [userId] nodeJS - '
                           'uncaughtException: Error: simulated crash (SIM_CRASH_AFTER=3)']
    files = dict(base_files())
    del files[CGROUP]
    target = healthy_target(files=files, commands=with_upstream(32789), answers={GATEWAY_URL: BAD_GATEWAY})
    result = diagnose(target, FakeDocker([attrs], logs=logs, inside=AssertionError('no exec in a stopped container')))
    assert result['cause'] == 'container_exited' and result['layer'] == 'container'
    assert result['message'] == (
        '502 from container: the container is not running — state exited, exit code 1, last log: '
        '[2026-11-22T19:13:49.236] [FATAL] [localhost] [docId] [userId] nodeJS - uncaughtException: Error: simulated '
        'crash (SIM_CRASH_AFTER=3) — start it (docker start <container>) and read why it stopped in docker logs '
        '<container>')
    assert [url for url, *_rest in target.probed] == [GATEWAY_URL]
    evidence = result['evidence']
    assert 'inner' not in evidence and 'start' not in evidence and 'docker' not in evidence
    assert evidence['container']['published'][0]['host_port'] == 32789
    assert result['gaps'] == ['OOM kill count: no memory cgroup of the container (cgroup v1 or v2); it is gone with '
                              'the stopped container: unknown']
    assert not any('iptables' in line for line in target.ran)


def test_exit_137_with_the_cgroup_s_oom_kill_count_is_oom_killed():
    attrs = copy.deepcopy(INSPECT_RUNNING)
    attrs['State'].update(Status='exited', Running=False, ExitCode=137)
    attrs['HostConfig']['Memory'] = 512 * 1024 * 1024
    files = dict(base_files(), **{CGROUP: OOM_CONTROL % 1})
    result = diagnose(healthy_target(files=files), FakeDocker([attrs]))
    assert result['cause'] == 'oom_killed'
    assert result['causes'][0]['evidence'] == 'exit code 137, memory cgroup oom_kill count 1, memory limit 512 MB'


def test_a_missing_container_by_name_and_none_found_by_image():
    result = diagnose(healthy_target(), FakeDocker([INSPECT_RUNNING]), container='onlyoffice-documentserver')
    assert result['cause'] == 'container_missing' and result['evidence']['container'] == {
        'found': False, 'name': 'onlyoffice-documentserver'}
    assert result['causes'][0]['evidence'] == 'no container named onlyoffice-documentserver'
    result = diagnose(healthy_target(), FakeDocker([_attrs('web', 'nginx', 80)]), container=None, published_port=None)
    assert result['cause'] == 'container_missing'
    assert result['causes'][0]['evidence'] == ('no container runs an image named *documentserver* or is published on '
                                               'the port given')


def test_docker_s_rules_gone_from_iptables_and_nft():
    commands = with_upstream(32789)
    commands['/usr/sbin/iptables -t nat -n -L DOCKER'] = (1, '', IPTABLES_NO_CHAIN)
    commands['/usr/sbin/nft list chain ip nat DOCKER'] = (1, '', NFT_NO_CHAIN)
    result = diagnose(healthy_target(commands=commands), FakeDocker([INSPECT_RUNNING]))
    assert result['cause'] == 'docker_rules_wiped' and result['evidence']['docker'] == {'rules_ok': False}


def test_what_cannot_be_read_is_a_gap_and_the_rest_is_gathered():
    files = dict(base_files(), **{'/var/log/nginx/onlyoffice.error.log': PermissionError(
        errno.EACCES, 'Permission denied', '/var/log/nginx/onlyoffice.error.log')})
    del files['/proc/meminfo']
    target = healthy_target(files=files, commands=with_upstream(32789), installed=('nginx',))
    no_shell = 'OCI runtime exec failed: exec: "sh": executable file not found in $PATH: unknown'
    docker = FakeDocker([INSPECT_RUNNING], inside=(126, no_shell))
    result = diagnose(target, docker)
    assert result['healthy']
    assert result['gaps'] == [
        "host memory: [Errno 2] No such file or directory: '/proc/meminfo'",
        'inside the container: docker exec failed (exit code 126): OCI runtime exec failed: exec: "sh": executable '
        'file not found in $PATH: unknown',
        "error.log unreadable: [Errno 13] Permission denied: '/var/log/nginx/onlyoffice.error.log'",
        "Docker's NAT rules: neither iptables nor nft is installed",
    ]
    assert 'docservice_listening' not in result['evidence']['inner']
    assert result['evidence']['host'] == {'disk_free_mb': 67553}


def test_a_step_that_breaks_unexpectedly_is_a_gap_not_a_traceback():
    class BrokenDocker(FakeDocker):
        def logs(self, ref, lines):
            raise RuntimeError('engine went away')

    result = diagnose(healthy_target(commands=with_upstream(32789)), BrokenDocker([INSPECT_RUNNING]))
    assert result['healthy'] and result['gaps'] == ['container log: engine went away']
    assert result['evidence']['container']['logs'] is None


def test_without_nginx_the_gateway_is_judged_by_its_port_and_answer():
    commands = nginx_commands(listening=SS_NGINX.replace(':80 ', ':32789 '))
    result = diagnose(healthy_target(installed=('iptables',), commands=commands), FakeDocker([INSPECT_RUNNING]),
                      gateway_url=CONTAINER_URL)
    assert result['healthy'] and result['gaps'] == [
        'nginx not installed: no nginx evidence (running, nginx -t, upstreams, error.log)']
    assert result['evidence']['gateway'] == {'listening': True, 'answer': answer(HEALTHY_ANSWER, headers=True)}
    result = diagnose(healthy_target(installed=('iptables',)), FakeDocker([INSPECT_RUNNING]), gateway_url=CONTAINER_URL)
    assert result['cause'] == 'gateway_down' and result['evidence']['gateway']['listening'] is False
    target = healthy_target(installed=('iptables',), commands=dict(nginx_commands(), **{'ss -ltnH': (1, '', 'no ss')}),
                            files=dict(base_files(), **{'/proc/net/tcp': TCP_HEADER + NGINX_SOCKET,
                                                        '/proc/net/tcp6': TCP6_HEADER}))
    result = diagnose(target, FakeDocker([INSPECT_RUNNING]), gateway_url='http://127.0.0.1')
    assert result['evidence']['gateway']['listening'] is True


def test_the_controller_s_view_and_the_baseline_are_passed_through():
    outside = {'answer': {'status': None, 'error_kind': 'timeout', 'error': 'connect: timed out', 'url': 'ignored',
                          'timings': {'total': 3.0}},
               'baseurl': None, 'expected_baseurl': None, 'websocket_status': None, 'command_error': None,
               'tls_error': None}
    result = diagnose(healthy_target(commands=with_upstream(32789)), FakeDocker([INSPECT_RUNNING]), outside=outside,
                      baseline={'restart_count': 0, 'started_at': INSPECT_RUNNING['State']['StartedAt']})
    assert result['evidence']['outside'] == {'answer': {'error_kind': 'timeout', 'error': 'connect: timed out'}}
    assert result['evidence']['baseline'] == {'restart_count': 0, 'started_at': '2026-11-22T19:13:46.135599815Z'}
    assert result['cause'] == 'firewall_blocked' and result['layer'] == 'firewall'
    moved = diagnose(healthy_target(commands=with_upstream(32789)), FakeDocker([INSPECT_RUNNING]),
                     baseline={'restart_count': 0, 'started_at': '2026-11-22T19:10:00.000000000Z'})
    assert moved['cause'] == 'crash_loop'


def test_a_skewed_clock():
    result = diagnose(healthy_target(commands=with_upstream(32789)), FakeDocker([INSPECT_RUNNING]),
                      controller_time={'before': NOW + 600, 'after': NOW + 601})
    assert result['cause'] == 'clock_skew' and result['evidence']['clock'] == {'skew_seconds': -600.5}


# ---------------------------------------------------------------- the docker CLI fallback

def cli_commands():
    base = 'docker -H unix:///var/run/docker.sock '
    return {
        base + 'inspect --type container docops-dg-rec1': (0, json.dumps([INSPECT_RUNNING]), ''),
        base + 'inspect --type container nope': (1, '[]\n', 'Error: No such container: nope\n'),
        base + "ps -a --no-trunc --format {{.ID}}\t{{.Image}}\t{{.Names}}": (0, PS, ''),
        base + 'inspect --type container ce2cf98aa8f47fab75845e9c1c50dfaf1f9d4962f16c954aaaf5f04e9d216cae '
               '6bfc1ebcd07c7d83fbf95b938db94d45172aa0a67eeef97262f1427779bd133a': (0, json.dumps([
                   dict(INSPECT_RUNNING, Id='ce2c', Name='/docops-dg-rec2', NetworkSettings={'Ports': {
                       '80/tcp': [{'HostIp': '127.0.0.1', 'HostPort': '32790'}]}}), INSPECT_RUNNING]), ''),
        base + 'logs --tail 50 ' + INSPECT_RUNNING['Id']: (0, '\n'.join(LOGS_HEALTHY) + '\n', ''),
        base + 'exec %s sh -c %s' % (INSPECT_RUNNING['Id'], _diagnose.INSIDE_COMMAND): (0, INSIDE_HEALTHY, ''),
        base + 'info --format {{.DockerRootDir}}': (0, '/var/lib/docker\n', ''),
    }


def test_without_the_sdk_the_docker_cli_gives_the_same_evidence(monkeypatch):
    monkeypatch.setattr(_diagnose._docker, 'HAS_DOCKER', False)
    commands = dict(with_upstream(32789), **cli_commands())
    target = healthy_target(commands=commands)
    docker, gap = _diagnose.docker_source(params(), target)
    assert isinstance(docker, _diagnose.CliDocker) and gap == 'Docker SDK for Python missing: used the docker CLI'
    by_cli = diagnose(target, docker, gap)
    by_sdk = diagnose(healthy_target(commands=with_upstream(32789)), FakeDocker([INSPECT_RUNNING]))
    assert by_cli['gaps'] == [gap] and by_cli['healthy']
    assert by_cli['evidence'] == by_sdk['evidence']
    # Found by its published port among the two simulators, in one inspect call.
    found = diagnose(target, docker, gap, container=None)
    assert found['evidence']['container']['name'] == 'docops-dg-rec1'
    missing = diagnose(target, docker, gap, container='nope')
    assert missing['cause'] == 'container_missing'


def test_the_cli_takes_the_connection_options():
    target = FakeTarget()
    docker = _diagnose.CliDocker(target, {'docker_host': 'tcp://192.0.2.10:2376', 'tls': False, 'tls_verify': True,
                                          'ca_path': '/ca.pem', 'client_cert': '/cert.pem', 'client_key': '/key.pem',
                                          'timeout': 7})
    with pytest.raises(_diagnose.DockerCliError, match='docker info: '):
        docker.root_dir()
    assert target.ran == ['docker -H tcp://192.0.2.10:2376 --tlsverify --tlscacert /ca.pem --tlscert /cert.pem '
                          '--tlskey /key.pem info --format {{.DockerRootDir}}']


def test_neither_sdk_nor_cli(monkeypatch):
    monkeypatch.setattr(_diagnose._docker, 'HAS_DOCKER', False)
    docker, gap = _diagnose.docker_source(params(), FakeTarget(installed=()))
    assert docker is None and gap == 'container: neither the Docker SDK for Python nor the docker CLI is installed'
    result = diagnose(healthy_target(), None, gap)
    assert 'container' not in result['evidence'] and result['gaps'][0] == gap


# ---------------------------------------------------------------- the module's parameters

@pytest.fixture
def run(monkeypatch):
    return module_runner(monkeypatch, gateway_diagnose)


@pytest.mark.parametrize('args, message', [
    ({'timeout': float('nan')}, 'timeout must be a finite number, got nan'),
    ({'timeout': 0}, 'timeout must be > 0 and <= 60, got 0'),
    ({'timeout': 61}, 'timeout must be > 0 and <= 60, got 61'),
    ({'start_budget': float('inf')}, 'start_budget must be a finite number, got inf'),
    ({'start_budget': -1}, 'start_budget must be >= 0 and <= 86400, got -1'),
    ({'published_port': 0}, 'published_port must be >= 1 and <= 65535, got 0'),
    ({'published_port': 70000}, 'published_port must be >= 1 and <= 65535, got 70000'),
    # ansible-core 2.16 refuses this float with its own conversion message, which names the parameter too.
    ({'published_port': float('inf')}, ('published_port must be a finite number, got inf',
                                        "argument 'published_port' is of type <class 'float'> and we were unable")),
    ({'docker_timeout': 0}, 'docker_timeout must be >= 1 and <= 3600, got 0'),
    ({'container': ' '}, 'container: give the name or ID of a Docker container, or leave the option out to find it '
                         'by image'),
    ({'gateway_url': 'ftp://127.0.0.1'}, "gateway_url: 'ftp://127.0.0.1' is not an http:// or https:// URL"),
    ({'gateway_headers': {'Host': 'a\r\nX: y'}}, "gateway_headers: header 'Host' has a line break or NUL character, "
                                                 "which would split the request"),
    ({'baseline': {'restart_count': -1}}, 'baseline.restart_count must be >= 0 and <= 1000000000, got -1'),
    ({'controller_time': {'before': float('nan'), 'after': 1}}, 'controller_time.before must be a finite number, '
                                                                'got nan'),
    ({'controller_time': {'before': 10, 'after': 9}}, 'controller_time: after (9.0) is earlier than before (10.0)'),
    ({'outside': {'answer': {'status': 700}}}, 'outside.answer.status must be >= 100 and <= 599, got 700'),
    ({'outside': {'answer': {'status': 'bad'}}}, "outside.answer.status must be a number, got 'bad'"),
    ({'outside': {'answer': {'error_kind': 3}}}, 'outside.answer.error_kind must be a string, got 3'),
    ({'outside': {'answer': {'headers': 'x'}}}, "outside.answer.headers must be a dict, got 'x'"),
    ({'outside': {'websocket_status': 99}}, 'outside.websocket_status must be >= 100 and <= 599, got 99'),
])
def test_bad_parameters_fail_with_one_line_naming_them_before_anything_runs(run, monkeypatch, args, message):
    monkeypatch.setattr(_diagnose, 'Target', None)  # nothing may be gathered
    msg = failed(run(**args))['msg']
    assert msg == message if isinstance(message, str) else msg.startswith(message), msg


def test_the_module_returns_the_diagnosis_unchanged_in_check_mode(run, monkeypatch):
    target = healthy_target(commands=with_upstream(32789))
    monkeypatch.setattr(_diagnose, 'Target', lambda: target)
    monkeypatch.setattr(_diagnose, 'docker_source', lambda params, given: (FakeDocker([INSPECT_RUNNING]), None))
    result = ok(run(check_mode=True, container='docops-dg-rec1', gateway_url=GATEWAY_URL, published_port='32789',
                    outside={'answer': {'status': '200', 'body': 'true'}}))
    assert result['changed'] is False and result['healthy'] and result['cause'] is None
    assert set(result) >= {'evidence', 'causes', 'cause', 'layer', 'message', 'healthy', 'gaps'}
    assert result['evidence']['outside'] == {'answer': {'status': 200, 'body': 'true'}}


def _public(name, **values):
    check = dict(name=name, label='public', passed=True, status=200, detail='', error_kind=None, error=None, body='')
    check.update(values)
    return check


def test_the_outside_view_from_the_checks_of_the_public_url():
    checks = [
        _public('healthcheck', label='container', body='true'),  # from the server: not the outside view
        _public('healthcheck', status=None, passed=False, error_kind='timeout', error='connect: timed out'),
        _public('baseurl', passed=False, body='http://office.example.test'),
        _public('websocket', status=400, passed=False),
        _public('command_version', passed=False, body='{"error": 6}'),
    ]
    assert _diagnose.outside_from_checks(checks) == {
        'answer': {'error_kind': 'timeout', 'error': 'connect: timed out', 'body': ''},
        'baseurl': 'http://office.example.test', 'websocket_status': 400, 'command_error': 6}


def test_the_outside_view_keeps_a_tls_failure_and_ignores_what_does_not_parse():
    checks = [
        _public('healthcheck', status=None, passed=False, error_kind='tls', error='connect: CERTIFICATE_VERIFY_FAILED'),
        _public('baseurl', status=502, passed=False, body='<html>'),
        _public('command_version', passed=False, body='not json'),
        _public('tls', status=None, passed=False, detail='expected a certificate valid for the name'),
    ]
    outside = _diagnose.outside_from_checks(checks)
    assert outside == {'answer': {'error_kind': 'tls', 'error': 'connect: CERTIFICATE_VERIFY_FAILED', 'body': ''},
                       'tls_error': 'connect: CERTIFICATE_VERIFY_FAILED'}
    assert _diagnose.outside_from_checks([]) == {}


def test_the_host_firewall_is_named():
    found = dict(nft=True, ufw=True, ufw_active=False, firewalld=False, firewalld_active=False)
    table = ('table inet docops_firewall {\n\tchain input {\n\t\ttype filter hook input priority filter; policy drop;\n'
             '\t\tiif "lo" accept\n\t}\n}\n')
    assert _diagnose.firewall_evidence(found, table) == {
        'active': 'nftables', 'detail': 'nftables table inet docops_firewall, incoming policy drop'}
    assert _diagnose.firewall_evidence(dict(found, ufw_active=True), table)['active'] == 'ufw'
    assert _diagnose.firewall_evidence(dict(found, firewalld_active=True), None) == {
        'active': 'firewalld', 'detail': 'firewalld is running'}
