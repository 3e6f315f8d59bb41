# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What gateway_diagnose gathers on the target, read-only, and how it concludes.

The evidence has the shape _causes reads (its docstring); _causes.classify is the only place that decides. The
effects go through two objects a unit test replaces with fakes: a Target (commands, files, HTTP probes, the
clock) and a Docker source (the Docker SDK for Python, or the docker CLI when the SDK is missing). The rest is
pure. Each gathering step is independent: one that fails becomes a line in ``gaps``, never a traceback, and the
others go on.

Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import glob
import json
import os
import re
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.docops.onlyoffice.plugins.module_utils import _causes, _docker, _evidence, _probe
from ansible_collections.docops.onlyoffice.plugins.module_utils._firewall_backends import found_on_host
from ansible_collections.docops.onlyoffice.plugins.module_utils._validate import (
    Range,
    first_number_problem,
    header_problem,
)

LOG_LINES = 50
# error.log lines older than this are about another incident.
ERROR_LOG_WINDOW = 300
ERROR_LOG_LINES = 20
ERROR_LOG_READ_BYTES = 256 * 1024
DEFAULT_ERROR_LOGS = '/var/log/nginx/*error.log'
NGINX_PID_FILES = ('/run/nginx.pid', '/var/run/nginx.pid')
DEFAULT_DOCKER_ROOT = '/var/lib/docker'
COMMAND_TIMEOUT = 10
BODY_EXCERPT = 200
IMAGE_WORD = 'documentserver'
DOCSERVICE_PORT = 8000
HEALTHCHECK_PATH = '/healthcheck'
SBIN_PATH = '/usr/local/sbin:/usr/sbin:/sbin'
# Run inside the container: its TCP sockets (its own network namespace) and the limits of its first process.
LIMITS_MARK = '---limits---'
INSIDE_COMMAND = 'cat /proc/net/tcp /proc/net/tcp6 2>/dev/null; echo %s; cat /proc/1/limits' % LIMITS_MARK
# The memory cgroup of a container: cgroup v1 or v2, Docker's cgroupfs or systemd driver.
OOM_COUNTER_FILES = (
    '/sys/fs/cgroup/memory/docker/{id}/memory.oom_control',
    '/sys/fs/cgroup/memory/system.slice/docker-{id}.scope/memory.oom_control',
    '/sys/fs/cgroup/system.slice/docker-{id}.scope/memory.events',
    '/sys/fs/cgroup/docker/{id}/memory.events',
)
# What iptables or nft print when Docker's chain is not there (iptables-nft 1.8.9 calls it "incompatible").
NO_CHAIN_WORDS = ('No chain/target/match', 'does not exist', 'No such file or directory', 'incompatible')
OUTSIDE_TEXT_KEYS = ('error_kind', 'error', 'body')
MIB = 1024 * 1024
# The nftables table of the firewall role (host_firewall's default).
OUR_TABLE = 'docops_firewall'

RANGES = {
    'published_port': Range(1, 65535),
    'start_budget': Range(0, 86400),
    'timeout': Range(0, 60, low_inclusive=False),
    'docker_timeout': _docker.TIMEOUT_RANGE,
    'baseline.restart_count': Range(0, 10 ** 9),
    'controller_time.before': Range(0, 10 ** 11),
    'controller_time.after': Range(0, 10 ** 11),
    'outside.websocket_status': Range(100, 599),
    'outside.command_error': Range(0, 1000),
    'since': Range(0, 10 ** 11),
}


# ---------------------------------------------------------------- parameters

def docker_option(name):
    """Our name of a shared Docker connection option: timeout already belongs to the probes (as in gateway_probe)."""
    return name if name.startswith('docker_') else 'docker_' + name


def argument_spec():
    spec = dict((docker_option(name), option) for name, option in _docker.docker_argument_spec().items())
    spec.update(
        container=dict(type='str'),
        published_port=dict(type='int'),
        gateway_url=dict(type='str', default='http://127.0.0.1'),
        gateway_headers=dict(type='dict', default={}),
        validate_certs=dict(type='bool', default=False),
        baseline=dict(type='dict', options=dict(
            restart_count=dict(type='int'),
            started_at=dict(type='str'),
        )),
        start_budget=dict(type='float', default=300),
        controller_time=dict(type='dict', options=dict(
            before=dict(type='float', required=True),
            after=dict(type='float', required=True),
        )),
        outside=dict(type='dict', options=dict(
            answer=dict(type='dict'),
            baseurl=dict(type='str'),
            expected_baseurl=dict(type='str'),
            websocket_status=dict(type='int'),
            command_error=dict(type='int'),
            tls_error=dict(type='str'),
        )),
        outside_checks=dict(type='list', elements='dict', default=[]),
        since=dict(type='float'),
        timeout=dict(type='float', default=3),
    )
    return spec


def _check(checks, name, label='public'):
    for check in checks:
        if check.get('name') == name and check.get('label', label) == label:
            return check
    return None


def outside_from_checks(checks):
    """The controller's view (evidence['outside']) from gateway_probe's check results of the public URL."""
    checks = [check for check in checks or [] if isinstance(check, dict)]
    outside = {}
    health = _check(checks, 'healthcheck')
    if health is not None:
        outside['answer'] = without_none(dict(
            status=health.get('status'), error_kind=health.get('error_kind'), error=health.get('error'),
            body=health.get('body')))
    baseurl = _check(checks, 'baseurl')
    if baseurl is not None and baseurl.get('status') == 200 and baseurl.get('body'):
        outside['baseurl'] = baseurl['body'].strip()
    websocket = _check(checks, 'websocket')
    if websocket is not None and websocket.get('status') is not None:
        outside['websocket_status'] = websocket['status']
    command = _check(checks, 'command_version')
    if command is not None and command.get('status') == 200:
        try:
            code = json.loads(command.get('body') or '').get('error')
        except (ValueError, AttributeError):
            code = None
        if isinstance(code, int) and not isinstance(code, bool):
            outside['command_error'] = code
    # A TLS error is one the handshake reported, or a certificate check that failed on a completed handshake
    # (expiry); a handshake that timed out is no answer, not a TLS error.
    tls = [check for check in checks if check.get('label', 'public') == 'public'
           and (check.get('error_kind') == 'tls'
                or (check.get('name') == 'tls' and not check.get('passed') and not check.get('error_kind')))]
    if tls:
        outside['tls_error'] = tls[0].get('error') or tls[0].get('detail')
    return outside


def connection_params(params):
    """The module's docker_* options under the names _docker.get_client reads."""
    return dict((name, params[docker_option(name)]) for name in _docker.docker_argument_spec())


def outside_answer(answer):
    """The controller's answer as the evidence keeps it (status, error_kind, error, body, headers), or raise
    ValueError naming the key that has the wrong type."""
    kept = {}
    status = answer.get('status')
    if isinstance(status, str) and status.strip().isdigit():
        status = int(status)
    if status is not None:
        problem = Range(100, 599).problem('outside.answer.status', status)
        if problem:
            raise ValueError(problem)
        kept['status'] = status
    for key in OUTSIDE_TEXT_KEYS:
        if answer.get(key) is not None:
            if not isinstance(answer[key], str):
                raise ValueError('outside.answer.%s must be a string, got %r' % (key, answer[key]))
            kept[key] = answer[key]
    if answer.get('headers') is not None:
        if not isinstance(answer['headers'], dict):
            raise ValueError('outside.answer.headers must be a dict, got %r' % (answer['headers'],))
        kept['headers'] = dict((str(name).lower(), str(value)) for name, value in answer['headers'].items())
    return kept


def parameter_problem(params):
    """One line naming the first bad parameter, or None."""
    if params['container'] is not None and not params['container'].strip():
        return 'container: give the name or ID of a Docker container, or leave the option out to find it by image'
    try:
        _probe.split_url(params['gateway_url'])
    except ValueError as exc:
        return 'gateway_url: %s' % exc
    problem = first_number_problem(params, RANGES) or header_problem('gateway_headers', params['gateway_headers'])
    if problem:
        return problem
    clock = params['controller_time']
    if clock and clock['after'] < clock['before']:
        return 'controller_time: after (%s) is earlier than before (%s)' % (clock['after'], clock['before'])
    try:
        outside_answer((params['outside'] or {}).get('answer') or {})
    except ValueError as exc:
        return str(exc)
    return None


# ---------------------------------------------------------------- pure parts

def firewall_evidence(found, our_table):
    """Which firewall filters incoming traffic on the target (FOUND: _firewall_backends.found_on_host; OUR_TABLE:
    the listing of the firewall role's nftables table, or None): {'active': name or None, 'detail': one line}."""
    if found.get('ufw_active'):
        return {'active': 'ufw', 'detail': 'ufw is active'}
    if found.get('firewalld_active'):
        return {'active': 'firewalld', 'detail': 'firewalld is running'}
    if our_table is not None:
        policy = re.search(r'hook input [^;]*;[^;]*policy (\w+);', our_table)
        return {'active': 'nftables', 'detail': 'nftables table inet %s, incoming policy %s'
                % (OUR_TABLE, policy.group(1) if policy else 'unknown')}
    return {'active': None, 'detail': 'no ufw, firewalld or table inet %s' % OUR_TABLE}


def without_none(values):
    return dict((key, value) for key, value in (values or {}).items() if value is not None)


def is_documentserver_image(image):
    """Whether the repository of IMAGE (registry and tag or digest aside) has 'documentserver' in its name:
    onlyoffice/documentserver, -ee, -de, a mirror's copy, the simulator documentserver-sim."""
    repository = (image or '').partition('@')[0].rpartition('/')[2].partition(':')[0]
    return IMAGE_WORD in repository.lower()


def published(attrs):
    """The container's published ports: [{host_ip, host_port, container_port}]; a stopped container's from its
    port bindings (the live ones are gone)."""
    live = (attrs.get('NetworkSettings') or {}).get('Ports') or {}
    bindings = live if any(live.values()) else ((attrs.get('HostConfig') or {}).get('PortBindings') or {})
    found = []
    for container_port in sorted(bindings):
        for item in bindings[container_port] or []:
            port = str(item.get('HostPort') or '')
            if port.isdigit():
                found.append({'host_ip': item.get('HostIp') or '0.0.0.0', 'host_port': int(port),
                              'container_port': container_port})
    return found


def container_name(attrs):
    return (attrs.get('Name') or '').lstrip('/') or attrs.get('Id', '')[:12]


def choose_container(listing, inspect_many, published_port=None):
    """The inspect output of the Document Server container, found by image name and published port.

    LISTING: [{id, name, image}] of every container; INSPECT_MANY(ids) -> their inspect outputs. Returns
    (attrs or None, gap or None): a container published on PUBLISHED_PORT wins (a documentserver image first),
    else the only container with a documentserver image; with several and no port to choose by, none.
    """
    wanted = [item for item in listing if is_documentserver_image(item['image'])]
    candidates = inspect_many([item['id'] for item in wanted]) if wanted else []
    if published_port:
        on_port = [attrs for attrs in candidates if published_port in [p['host_port'] for p in published(attrs)]]
        if not on_port:
            others = [item['id'] for item in listing if item not in wanted]
            on_port = [attrs for attrs in (inspect_many(others) if others else [])
                       if published_port in [p['host_port'] for p in published(attrs)]]
        if on_port:
            return on_port[0], None
        if len(candidates) == 1:
            return candidates[0], ('no container is published on port %d: diagnosed %s, the only container of a '
                                   'documentserver image' % (published_port, container_name(candidates[0])))
    if len(candidates) == 1:
        return candidates[0], None
    if candidates:
        return None, ('%d containers of a documentserver image (%s)%s: give the container option' % (
            len(candidates), ', '.join(sorted(container_name(attrs) for attrs in candidates)),
            ', none published on port %d' % published_port if published_port else ''))
    return None, None


def container_evidence(attrs):
    """The 'container' section from Docker's inspect output (logs and counters are added by the gathering)."""
    state = attrs.get('State') or {}
    memory = (attrs.get('HostConfig') or {}).get('Memory') or 0
    return {
        'found': True,
        'name': container_name(attrs),
        'running': bool(state.get('Running')),
        'restarting': bool(state.get('Restarting')),
        'status': state.get('Status'),
        'exit_code': state.get('ExitCode'),
        'restart_count': attrs.get('RestartCount'),
        'started_at': state.get('StartedAt'),
        'health': (state.get('Health') or {}).get('Status'),
        'oom_killed': bool(state.get('OOMKilled')),
        'memory_limit_mb': memory // MIB if memory else None,
        'published': published(attrs),
    }


def _url_host(host_ip):
    if host_ip in ('', '0.0.0.0'):
        return '127.0.0.1'
    if host_ip == '::':
        return '[::1]'
    return '[%s]' % host_ip if ':' in host_ip else host_ip


def inner_url(ports, published_port=None, address=None):
    """The base URL of the container's own web server as seen from the target: its published port 80 (or 443),
    the one on PUBLISHED_PORT first; else its ADDRESS on a Docker network; None when neither."""
    web = [item for item in ports if item['container_port'] in ('80/tcp', '443/tcp')]
    web.sort(key=lambda item: (item['host_port'] != published_port, item['container_port'] != '80/tcp'))
    if web:
        scheme = 'https' if web[0]['container_port'] == '443/tcp' else 'http'
        return '%s://%s:%d' % (scheme, _url_host(web[0]['host_ip']), web[0]['host_port'])
    return 'http://%s:80' % _url_host(address) if address else None


def answer_evidence(result, with_headers=False):
    """A _probe.probe result as the evidence keeps it."""
    answer = {'status': result['status'], 'body': (result['body'] or '')[:BODY_EXCERPT],
              'error_kind': result['error_kind'], 'error': result['error']}
    if with_headers:
        answer['headers'] = result['headers']
    return answer


def relevant_upstreams(servers, ports):
    """The gateway's upstream servers ('host:port') that point at the container's published PORTS, when some
    do; else all of them (a mismatch shows then)."""
    matching = [server for server in servers if server.rpartition(':')[2].isdigit()
                and int(server.rpartition(':')[2]) in ports]
    return matching or servers


def inside_evidence(output):
    """(docservice listening on 8000, open-files limit) from INSIDE_COMMAND's output."""
    sockets, _mark, limits = output.partition(LIMITS_MARK)
    return DOCSERVICE_PORT in _evidence.proc_net_listening_ports(sockets), _evidence.nofile_limit(limits)


def rules_verdict(answers):
    """Whether Docker's NAT chain exists from [(tool, rc, output)], or None when no tool could tell."""
    if any(rc == 0 for _tool, rc, _output in answers):
        return True
    if any(word in output for _tool, _rc, output in answers for word in NO_CHAIN_WORDS):
        return False
    return None


def answer_text(answer):
    """'HTTP 200 "true"', 'HTTP 502', 'refused' for a message."""
    if not answer:
        return 'nothing (not probed)'
    if answer.get('status') is None:
        return answer.get('error_kind') or 'no answer'
    body = (answer.get('body') or '').strip()
    return 'HTTP %s%s' % (answer['status'], ' "%s"' % body if body and len(body) <= 20 else '')


def answered_status(evidence, layer):
    """What the user got: the controller's answer, else the gateway's from the target, else (for a cause inside the
    container) the container's own; 'no answer' when none came."""
    sections = ('outside', 'gateway') + (('inner',) if layer in ('container', 'docservice') else ())
    for section in sections:
        answer = (evidence.get(section) or {}).get('answer') or {}
        if answer.get('status') is not None:
            return str(answer['status'])
        if answer.get('error_kind') and section == 'outside':
            # The user's view: no answer from outside, whatever the gateway answers on the server.
            return 'no answer (%s)' % answer['error_kind']
    return 'no answer'


def healthy_message(evidence, gaps, gateway_url):
    container = evidence.get('container') or {}
    if container.get('found'):
        state = '%s %s%s' % (container['name'], container.get('status'),
                             ' (%s)' % container['health'] if container.get('health') else '')
    else:
        state = 'not examined'
    text = 'no cause found: container %s, its port answers %s, the gateway %s answers %s' % (
        state, answer_text((evidence.get('inner') or {}).get('answer')), gateway_url,
        answer_text((evidence.get('gateway') or {}).get('answer')))
    if gaps:
        text += '; %d thing%s not gathered (see gaps)' % (len(gaps), '' if len(gaps) == 1 else 's')
    return text


def conclude(evidence, gaps, gateway_url):
    """The module's result from the evidence: the causes, root-most first, and the one line."""
    found = _causes.classify(evidence)
    causes = [dict(id=item['id'], layer=item['layer'], summary=item['says'], evidence=item['evidence'],
                   fix=item['fix']) for item in found]
    if found:
        message = _causes.message(answered_status(evidence, found[0]['layer']), found[0]['layer'], found[0])
    else:
        message = healthy_message(evidence, gaps, gateway_url)
    return dict(changed=False, evidence=evidence, causes=causes, cause=causes[0]['id'] if causes else None,
                layer=causes[0]['layer'] if causes else None, message=message, healthy=not causes, gaps=gaps)


def one_line(text):
    return ' '.join(str(text).split())


# ---------------------------------------------------------------- effects

class Target:
    """The target, read-only: commands, files, HTTP probes and the clock. Unit tests use a fake."""

    def which(self, name):
        return shutil.which(name) or shutil.which(name, path=SBIN_PATH)

    def run(self, argv, timeout=COMMAND_TIMEOUT, merge=False):
        """(rc, stdout, stderr) of ARGV; 127 when it is not installed, 124 when it took longer than TIMEOUT."""
        try:
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT if merge else subprocess.PIPE, timeout=timeout,
                                  env=dict(os.environ, LC_ALL='C'), check=False)
        except FileNotFoundError:
            return 127, '', '%s: not installed' % argv[0]
        except subprocess.TimeoutExpired:
            return 124, '', '%s: no answer in %g s' % (' '.join(argv[:3]), timeout)
        except OSError as exc:
            return 126, '', '%s: %s' % (argv[0], exc)
        return (done.returncode, done.stdout.decode('utf-8', 'replace'),
                (done.stderr or b'').decode('utf-8', 'replace'))

    def read(self, path, last_bytes=None):
        """The text of PATH (its last LAST_BYTES bytes only when given); OSError when unreadable."""
        with open(path, 'rb') as handle:
            if last_bytes:
                handle.seek(0, os.SEEK_END)
                handle.seek(max(0, handle.tell() - last_bytes))
            return handle.read().decode('utf-8', 'replace')

    def glob(self, pattern):
        return sorted(glob.glob(pattern))

    def free_mb(self, path):
        stat = os.statvfs(path)
        return stat.f_bavail * stat.f_frsize // MIB

    def probe(self, base_url, path, headers, timeout, validate_certs):
        return _probe.probe(base_url, path, headers=headers, timeout=timeout, validate_certs=validate_certs)

    def now(self):
        return time.time()


class DockerCliError(Exception):
    """The docker CLI failed; the message is its own, on one line."""


class SdkDocker:
    """The containers through the Docker SDK for Python (low-level API client)."""

    via = 'the Docker SDK for Python'

    def __init__(self, client):
        self.client = client

    def containers(self):
        return [{'id': item['Id'], 'name': (item.get('Names') or ['/?'])[0].lstrip('/'), 'image': item.get('Image') or ''}
                for item in self.client.containers(all=True)]

    def inspect(self, ref):
        return _docker.inspect_container(self.client, ref)

    def inspect_many(self, ids):
        return [attrs for attrs in (self.inspect(ref) for ref in ids) if attrs]

    def logs(self, ref, lines):
        return _docker.log_tail(self.client, ref, lines)

    def run_inside(self, ref, command):
        exec_id = self.client.exec_create(ref, ['sh', '-c', command])
        output = self.client.exec_start(exec_id)
        return self.client.exec_inspect(exec_id).get('ExitCode'), (output or b'').decode('utf-8', 'replace')

    def root_dir(self):
        return self.client.info().get('DockerRootDir')


class CliDocker:
    """The containers through the docker CLI, with the same connection options."""

    via = 'the docker CLI'

    def __init__(self, target, connection):
        self.target = target
        self.timeout = connection['timeout']
        self.base = ['docker', '-H', connection['docker_host'] or _docker.DEFAULT_DOCKER_HOST]
        if connection['tls'] or connection['tls_verify']:
            self.base.append('--tlsverify' if connection['tls_verify'] else '--tls')
        for flag, name in (('--tlscacert', 'ca_path'), ('--tlscert', 'client_cert'), ('--tlskey', 'client_key')):
            if connection[name]:
                self.base += [flag, connection[name]]

    def _run(self, *args, **kwargs):
        rc, out, err = self.target.run(self.base + list(args), timeout=self.timeout, **kwargs)
        if rc != 0:
            raise DockerCliError('docker %s: %s' % (args[0], one_line(err or out) or 'exit code %d' % rc))
        return out

    def containers(self):
        listing = []
        for line in self._run('ps', '-a', '--no-trunc', '--format', '{{.ID}}\t{{.Image}}\t{{.Names}}').splitlines():
            fields = line.split('\t')
            if len(fields) == 3:
                listing.append({'id': fields[0], 'image': fields[1], 'name': fields[2]})
        return listing

    def inspect_many(self, ids):
        rc, out, err = self.target.run(self.base + ['inspect', '--type', 'container'] + list(ids), timeout=self.timeout)
        try:
            return json.loads(out) or []
        except ValueError:
            if rc != 0 and 'No such' in err:
                return []
            raise DockerCliError('docker inspect: %s' % one_line(err or out))

    def inspect(self, ref):
        found = self.inspect_many([ref])
        return found[0] if found else None

    def logs(self, ref, lines):
        return self._run('logs', '--tail', str(lines), ref, merge=True).splitlines()

    def run_inside(self, ref, command):
        rc, out, err = self.target.run(self.base + ['exec', ref, 'sh', '-c', command], timeout=self.timeout)
        return rc, out + err

    def root_dir(self):
        return self._run('info', '--format', '{{.DockerRootDir}}').strip()


def docker_source(params, target):
    """(Docker source or None, gap or None): the SDK when importable, else the docker CLI."""
    connection = connection_params(params)
    if _docker.HAS_DOCKER:
        try:
            return SdkDocker(_docker.get_client(connection)), None
        except (_docker.DockerException, _docker.RequestException) as exc:
            return None, 'container: %s' % _docker.describe_error(exc, connection['docker_host'],
                                                                  'connect to the Docker engine')
    if target.which('docker'):
        return CliDocker(target, connection), 'Docker SDK for Python missing: used the docker CLI'
    return None, 'container: neither the Docker SDK for Python nor the docker CLI is installed'


# ---------------------------------------------------------------- the gathering

class Diagnosis:
    """One read-only diagnosis: gather (each step on its own), then conclude."""

    def __init__(self, params, target, docker, docker_gap=None):
        self.params = params
        self.target = target
        self.docker = docker
        self.gaps = [docker_gap] if docker_gap else []
        self.evidence = {}
        self.now = target.now()

    def step(self, what, function, *args):
        """FUNCTION(*ARGS), or None and a gap naming WHAT when it fails: one missing piece of evidence must not
        stop the others, on a host we did not set up."""
        try:
            return function(*args)
        except Exception as exc:  # pylint: disable=broad-except
            self.gaps.append('%s: %s' % (what, one_line(exc) or exc.__class__.__name__))
            return None

    def run(self):
        self.step('clock', self.clock)
        self.step('host memory', self.memory)
        if self.docker:
            self.step('container (through %s)' % self.docker.via, self.container)
        inner = self.evidence.get('inner', {}).pop('url', None)
        with ThreadPoolExecutor(max_workers=2) as pool:
            # The two HTTP probes run while the rest is read: a hung upstream costs one timeout, not two.
            gateway_answer = pool.submit(self.probe, self.params['gateway_url'], self.params['gateway_headers'])
            inner_answer = pool.submit(self.probe, inner, {}) if inner else None
            self.step('gateway', self.gateway)
            self.step("Docker's NAT rules", self.docker_rules)
            self.step('host firewall', self.firewall)
            self.step('disk', self.disk)
            self.evidence.setdefault('gateway', {})['answer'] = self.step(
                'gateway answer', lambda: answer_evidence(gateway_answer.result(), with_headers=True))
            if inner_answer:
                self.evidence['inner']['answer'] = self.step('container answer',
                                                             lambda: answer_evidence(inner_answer.result()))
        self.passed_in()
        return conclude(self.evidence, self.gaps, self.params['gateway_url'])

    def probe(self, base_url, headers):
        return self.target.probe(base_url, HEALTHCHECK_PATH, headers, self.params['timeout'],
                                 self.params['validate_certs'])

    # -- what the caller knows

    def clock(self):
        times = self.params['controller_time']
        if times:
            self.evidence['clock'] = {'skew_seconds': round(_evidence.clock_skew(
                self.now, times['before'], times['after']), 3)}

    def passed_in(self):
        if self.params['baseline']:
            self.evidence['baseline'] = without_none(self.params['baseline'])
        # What the module was told outright wins over what it reads from the checks.
        outside = dict(outside_from_checks(self.params['outside_checks']), **without_none(self.params['outside']))
        if outside:
            if outside.get('answer') is not None:
                outside['answer'] = outside_answer(outside['answer'])
            self.evidence['outside'] = outside

    # -- the host

    def memory(self):
        total, _available, swap = _evidence.memory_mb(self.target.read('/proc/meminfo'))
        self.evidence.setdefault('host', {}).update(mem_total_mb=total, swap_total_mb=swap)

    def disk(self):
        root = DEFAULT_DOCKER_ROOT
        if self.docker:
            root = self.step("Docker's root directory", self.docker.root_dir) or DEFAULT_DOCKER_ROOT
        self.evidence.setdefault('host', {})['disk_free_mb'] = self.target.free_mb(root)

    # -- the container

    def container(self):
        name = self.params['container']
        if name:
            attrs = self.docker.inspect(name)
        else:
            attrs, gap = choose_container(self.docker.containers(), self.docker.inspect_many,
                                          self.params['published_port'])
            if gap:
                self.gaps.append('container: %s' % gap)
            if attrs is None and gap:
                return  # several candidates: nothing to say about "the" container
        if attrs is None:
            self.evidence['container'] = {'found': False, 'name': name}
            return
        section = self.evidence['container'] = container_evidence(attrs)
        section['logs'] = self.step('container log', self.docker.logs, attrs['Id'], LOG_LINES)
        section['oom_kill_count'] = self.step('OOM kill count', self.oom_kill_count, attrs)
        if section['running'] and not section['restarting']:
            inner = self.evidence['inner'] = {}
            started = _evidence.docker_time(section['started_at'])
            self.evidence['start'] = {'elapsed': round(self.now - started, 1) if started else None,
                                      'budget': self.params['start_budget']}
            self.step('inside the container', self.inside, attrs['Id'])
            address = ((attrs.get('NetworkSettings') or {}).get('IPAddress')) or None
            inner['url'] = inner_url(section['published'], self.params['published_port'], address)
            if not inner['url']:
                self.gaps.append('container answer: %s publishes no port 80 or 443 and has no address on the '
                                 'default bridge' % section['name'])
            elif not section['published']:
                self.gaps.append('container answer: %s publishes no port; probed its address %s'
                                 % (section['name'], inner['url']))

    def oom_kill_count(self, attrs):
        for template in OOM_COUNTER_FILES:
            try:
                count = _evidence.oom_kill_count(self.target.read(template.format(id=attrs['Id'])))
            except OSError:
                continue
            if count is not None:
                return count
        raise LookupError('no memory cgroup of the container (cgroup v1 or v2)%s: unknown' % (
            '' if (attrs.get('State') or {}).get('Running') else '; it is gone with the stopped container'))

    def inside(self, ref):
        rc, output = self.docker.run_inside(ref, INSIDE_COMMAND)
        if rc != 0 or LIMITS_MARK not in output:
            raise LookupError('docker exec failed (exit code %s): %s' % (rc, one_line(output)[:200]))
        listening, nofile = inside_evidence(output)
        self.evidence['inner']['docservice_listening'] = listening
        self.evidence['container']['nofile_limit'] = nofile

    # -- the gateway

    def gateway(self):
        section = self.evidence.setdefault('gateway', {})
        port = _probe.split_url(self.params['gateway_url'])[2]
        ports = self.step('listening sockets', self.listening_ports)
        if ports is not None:
            section['listening'] = port in ports
        nginx = self.target.which('nginx')
        if not nginx:
            self.gaps.append('nginx not installed: no nginx evidence (running, nginx -t, upstreams, error.log)')
            return
        section['running'] = self.step('nginx running', self.nginx_running)
        rc, out, err = self.target.run([nginx, '-t'])
        section['config_ok'] = rc == 0
        section['config_error'] = None if rc == 0 else _evidence.nginx_test_error(err + '\n' + out)
        rc, config, err = self.target.run([nginx, '-T'])
        logs = []
        if rc == 0:
            ports = [item['host_port'] for item in (self.evidence.get('container') or {}).get('published') or []]
            section['upstreams'] = relevant_upstreams(
                [item['server'] for item in _evidence.nginx_upstreams(config)], ports)
            logs = _evidence.nginx_error_logs(config)
        else:
            self.gaps.append('nginx -T failed, upstreams unknown: %s' % (
                _evidence.nginx_test_error(err + '\n' + config) or 'exit code %d' % rc))
        section['error_log'] = self.step('error.log', self.error_log, logs)

    def listening_ports(self):
        rc, out, err = self.target.run(['ss', '-ltnH'])
        if rc == 0:
            return _evidence.ss_listening_ports(out)
        text = ''
        for path in ('/proc/net/tcp', '/proc/net/tcp6'):
            try:
                text += self.target.read(path)
            except OSError:
                continue
        if not text:
            raise LookupError('ss failed (%s) and /proc/net/tcp is unreadable' % one_line(err or out))
        return _evidence.proc_net_listening_ports(text)

    def nginx_running(self):
        rc, out, _err = self.target.run(['systemctl', 'is-active', 'nginx'])
        state = out.strip()
        if rc == 0 and state == 'active':
            return True
        for path in NGINX_PID_FILES:
            try:
                pid = self.target.read(path).strip()
            except OSError:
                continue
            if pid.isdigit() and self.target_has('/proc/%s' % pid):
                return True
        if state in ('inactive', 'failed', 'activating', 'deactivating'):
            return False
        raise LookupError('unknown: systemd cannot tell (%s) and no nginx.pid names a live process'
                          % (state or 'systemctl exit code %d' % rc))

    def target_has(self, path):
        try:
            self.target.read(os.path.join(path, 'comm'))
        except OSError:
            return False
        return True

    def error_log(self, configured):
        paths = configured or self.target.glob(DEFAULT_ERROR_LOGS)
        if not paths:
            raise LookupError('no error_log in nginx -T and no %s' % DEFAULT_ERROR_LOGS)
        since = datetime.datetime.fromtimestamp(self.params['since'] if self.params['since'] is not None
                                                else self.now - ERROR_LOG_WINDOW)
        lines = []
        for path in paths:
            try:
                text = self.target.read(path, ERROR_LOG_READ_BYTES)
            except OSError as exc:
                self.gaps.append('error.log unreadable: %s' % one_line(exc))
                continue
            lines += _evidence.error_log_since(text, since, ERROR_LOG_LINES)
        # Several files: in time order (the time stamp leads each line), the latest kept.
        return sorted(lines, key=lambda line: line[:19])[-ERROR_LOG_LINES:]

    # -- Docker's rules

    def firewall(self):
        found = found_on_host(self.target.run, self.target.which)
        nft = self.target.which('nft')
        table = self.target.run([nft, 'list', 'table', 'inet', OUR_TABLE]) if nft else (127, '', '')
        self.evidence['firewall'] = firewall_evidence(found, table[1] if table[0] == 0 else None)

    def docker_rules(self):
        container = self.evidence.get('container') or {}
        if not (container.get('running') and container.get('published')):
            return  # nothing to forward: the rules prove nothing either way
        answers = []
        for tool, args in (('iptables', ['-t', 'nat', '-n', '-L', 'DOCKER']),
                           ('iptables-legacy', ['-t', 'nat', '-n', '-L', 'DOCKER']),
                           ('nft', ['list', 'chain', 'ip', 'nat', 'DOCKER'])):
            path = self.target.which(tool)
            if path:
                rc, out, err = self.target.run([path] + args)
                answers.append((tool, rc, one_line(err or out)))
                if rc == 0:
                    break
        verdict = rules_verdict(answers)
        if verdict is None:
            said = '; '.join('%s: %s' % (tool, output) for tool, _rc, output in answers)
            self.gaps.append("Docker's NAT rules: %s" % (said or 'neither iptables nor nft is installed'))
            return
        self.evidence['docker'] = {'rules_ok': verdict}
