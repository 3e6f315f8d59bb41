# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Docker side of the collection's modules.

- guarded import of the Docker SDK (HAS_DOCKER / DOCKER_IMPORT_ERROR),
- the shared connection options and a client factory,
- Docker errors -> one-line messages,
- the Document Server container life cycle (image, create, recreate, stop,
  wait for health) driven by a spec from _container_spec.

Uses the low-level APIClient only, with calls that exist in docker SDK 5.0.3
(Debian 12's python3-docker). Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re
import time
import traceback
from contextlib import contextmanager

from ansible.module_utils.basic import env_fallback

from ansible_collections.docops.onlyoffice.plugins.module_utils._container_spec import (
    anonymous_volumes,
    compare,
    container_facts,
    display_spec,
    docker_port_bindings,
    normalise_container,
    parse_image_reference,
)
from ansible_collections.docops.onlyoffice.plugins.module_utils._diff import DifferenceTracker

try:
    import docker
    from docker.errors import DockerException, ImageNotFound, NotFound
    from requests.exceptions import ConnectionError as RequestsConnectionError
    from requests.exceptions import RequestException, Timeout
    HAS_DOCKER = True
    DOCKER_IMPORT_ERROR = None
except ImportError:
    HAS_DOCKER = False
    DOCKER_IMPORT_ERROR = traceback.format_exc()

    # Placeholders so this file imports without the SDK: modules fail with
    # missing_required_lib before anything below talks to Docker.
    class DockerException(Exception):
        pass

    class RequestException(Exception):
        pass

    ImageNotFound = NotFound = DockerException
    RequestsConnectionError = Timeout = RequestException

DOCKER_SDK_REQUIREMENT = 'Docker SDK for Python: docker>=5.0.3'
DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock'
DEFAULT_TIMEOUT = 60
HEALTH_POLL_INTERVAL = 1.0
LOG_TAIL_LINES = 40
HEALTH_LOG_ENTRIES = 5
PREPARE_FOR_SHUTDOWN = 'documentserver-prepare4shutdown.sh'

_PORT_IN_USE_RES = (
    re.compile(r'Bind for (\S+):(\d+) failed: port is already allocated'),
    re.compile(r'listen (?:tcp|udp)[46]? (\S+):(\d+): bind: address already in use'),
)
# The engine could not talk to the registry (DNS, refused, timeout, TLS).
_REGISTRY_UNREACHABLE_RE = re.compile(r'dial tcp|no such host|i/o timeout|connection refused|TLS handshake timeout|'
                                      r'Client\.Timeout exceeded', re.IGNORECASE)
_IMAGE_MISSING_RE = re.compile(r'manifest unknown|manifest for \S+ not found|pull access denied|'
                               r'repository does not exist|no such image', re.IGNORECASE)


def docker_argument_spec():
    """Connection options shared by the modules (documented in the docops.onlyoffice.docker fragment)."""
    return dict(
        docker_host=dict(type='str', default=DEFAULT_DOCKER_HOST, fallback=(env_fallback, ['DOCKER_HOST'])),
        tls=dict(type='bool', default=False, fallback=(env_fallback, ['DOCKER_TLS'])),
        tls_verify=dict(type='bool', default=False, fallback=(env_fallback, ['DOCKER_TLS_VERIFY'])),
        ca_path=dict(type='path'),
        client_cert=dict(type='path'),
        client_key=dict(type='path', no_log=False),
        timeout=dict(type='int', default=DEFAULT_TIMEOUT, fallback=(env_fallback, ['DOCKER_TIMEOUT'])),
    )


def get_client(params):
    """A low-level Docker API client from the connection options.

    version='auto' asks the engine for its API version, so old and new engines
    both work, and an unreachable engine is noticed here, before any change.
    """
    tls_config = False
    if params.get('tls') or params.get('tls_verify'):
        cert_dir = os.environ.get('DOCKER_CERT_PATH', '')

        def from_cert_dir(file_name):
            path = os.path.join(cert_dir, file_name)
            return path if cert_dir and os.path.exists(path) else None

        ca_path = params.get('ca_path') or from_cert_dir('ca.pem')
        client_cert = params.get('client_cert') or from_cert_dir('cert.pem')
        client_key = params.get('client_key') or from_cert_dir('key.pem')
        tls_config = docker.tls.TLSConfig(
            client_cert=(client_cert, client_key) if client_cert and client_key else None,
            ca_cert=ca_path if params.get('tls_verify') else None,
            verify=bool(params.get('tls_verify')),
        )
    return docker.APIClient(base_url=params.get('docker_host') or DEFAULT_DOCKER_HOST, version='auto',
                            timeout=params.get('timeout') or DEFAULT_TIMEOUT, tls=tls_config)


# ---------------------------------------------------------------- errors

def _one_line(text):
    return ' '.join(str(text).split())


def _connection_reason(text):
    match = re.search(r"\[Errno \d+\] ([^'\"()\]]+)", text) or re.search(r"Error\(\d+, '([^']+)'\)", text)
    return match.group(1).strip() if match else text


def _is_connection_error(exc, text):
    return isinstance(exc, RequestsConnectionError) or 'Error while fetching server API version' in text


def describe_error(exc, docker_host, operation, find_port_holder=None):
    """A Docker SDK exception -> one line that says what failed and what to do.

    operation: what we were doing, e.g. "start container onlyoffice-documentserver".
    find_port_holder: optional callable(port) -> who holds that host port, or None.
    """
    text = _one_line(getattr(exc, 'explanation', None) or exc)
    if _is_connection_error(exc, text):
        if 'Permission denied' in text:
            return ('Permission denied on the Docker socket %s: run the task with become: true '
                    '(or as a member of the docker group)' % docker_host)
        return 'Cannot reach the Docker engine at %s: %s. Is docker running?' % (docker_host, _connection_reason(text))
    if isinstance(exc, Timeout):
        return ('The Docker engine at %s did not answer in time to %s (%s); raise the timeout option or check '
                'the engine' % (docker_host, operation, text))
    for pattern in _PORT_IN_USE_RES:
        match = pattern.search(text)
        if match:
            host_ip, port = match.group(1), int(match.group(2))
            holder = find_port_holder(port) if find_port_holder else None
            return ('Cannot %s: host port %s:%d is already in use%s; choose another host_port in published_ports '
                    'or free the port' % (operation, host_ip, port, ' by %s' % holder if holder else ''))
    if isinstance(exc, ImageNotFound) or _IMAGE_MISSING_RE.search(text):
        return 'Cannot %s: image not found: %s' % (operation, text)
    if operation.startswith('pull') and _REGISTRY_UNREACHABLE_RE.search(text):
        return ('Cannot %s: the registry is unreachable from the target (%s); for an offline host give '
                'image_archive' % (operation, text))
    return 'Cannot %s: an unexpected Docker error occurred: %s' % (operation, text)


def port_holder(client, port, run_command=None):
    """Who holds a host port: a container publishing it, else the process from `ss`, else None."""
    try:
        for container in client.containers():
            if any(published.get('PublicPort') == port for published in container.get('Ports') or []):
                return 'container %s' % (container.get('Names') or ['?'])[0].lstrip('/')
    except (DockerException, RequestException):
        pass
    if run_command:
        rc, out, _err = run_command(['ss', '-H', '-ltunp', 'sport = :%d' % port])
        match = re.search(r'users:\(\("([^"]+)",pid=(\d+)', out or '')
        if rc == 0 and match:
            return '%s (pid %s)' % match.groups()
    return None


class ContainerError(Exception):
    """A failure to report with fail_json: one-line message plus result fields."""

    def __init__(self, msg, **details):
        super(ContainerError, self).__init__(msg)
        self.msg = msg
        self.details = details


# ---------------------------------------------------------------- small Docker operations

def inspect_container(client, name):
    try:
        return client.inspect_container(name)
    except NotFound:
        return None


def image_id(client, reference):
    try:
        return client.inspect_image(reference)['Id']
    except NotFound:
        return None


def _raise_stream_error(chunks):
    """Pull and load report some failures inside the JSON stream, not as an HTTP error."""
    for chunk in chunks:
        if isinstance(chunk, dict) and chunk.get('error'):
            raise DockerException(chunk['error'])


def pull_image(client, reference, auth_config=None):
    repository, tag, digest = parse_image_reference(reference)
    _raise_stream_error(client.pull(repository, tag=digest or tag, stream=True, decode=True, auth_config=auth_config))


def load_image_archive(client, path):
    with open(path, 'rb') as archive:
        _raise_stream_error(client.load_image(archive))


def create_container(client, spec):
    ports, port_bindings = docker_port_bindings(spec['published_ports'])
    networks = spec['networks'] or []
    host_config = client.create_host_config(
        port_bindings=port_bindings,
        binds=spec['volumes'],
        restart_policy={'Name': spec['restart_policy']},
        mem_limit=spec['memory'],
        memswap_limit=spec['memory_swap'],
        network_mode=networks[0]['name'] if networks else None,
    )
    networking_config = None
    if networks:
        networking_config = client.create_networking_config({
            networks[0]['name']: client.create_endpoint_config(aliases=networks[0]['aliases'] or None),
        })
    container = client.create_container(
        spec['image'],
        name=spec['name'],
        environment=spec['env'],
        ports=ports,
        host_config=host_config,
        labels=spec['labels'],
        healthcheck=spec['healthcheck'],
        stop_timeout=spec['stop_timeout'],
        networking_config=networking_config,
    )
    # The create call attaches one network; the others are connected afterwards.
    for network in networks[1:]:
        client.connect_container_to_network(container['Id'], network['name'], aliases=network['aliases'] or None)
    return container['Id']


def prepare_for_shutdown(client, name, time_limit):
    """Run the image's drain script when it has one; return True when it ran.

    The script waits for editing sessions to close, so the HTTP read timeout
    is raised for this call and the script is bounded by time_limit seconds.
    """
    command = ('command -v {script} >/dev/null 2>&1 || {{ echo absent; exit 0; }}; timeout {limit} {script}'
               .format(script=PREPARE_FOR_SHUTDOWN, limit=int(time_limit)))
    exec_id = client.exec_create(name, ['sh', '-c', command])
    saved_timeout = client.timeout
    client.timeout = (saved_timeout or 0) + time_limit
    try:
        output = client.exec_start(exec_id)
    finally:
        client.timeout = saved_timeout
    return b'absent' not in (output or b'')


def log_tail(client, name, lines=LOG_TAIL_LINES):
    output = client.logs(name, stdout=True, stderr=True, tail=lines)
    return output.decode('utf-8', 'replace').splitlines()


def health_log(attrs, entries=HEALTH_LOG_ENTRIES):
    log = ((attrs.get('State') or {}).get('Health') or {}).get('Log') or []
    return [{'start': entry.get('Start'), 'exit_code': entry.get('ExitCode'), 'output': _one_line(entry.get('Output') or '')}
            for entry in log[-entries:]]


def wait_until_healthy(client, name, timeout, interval=HEALTH_POLL_INTERVAL, clock=None, sleep=None):
    """Poll Docker's health status until `healthy`; return the last inspect output.

    Fails fast when the container stops, is OOM-killed or restarts while
    waiting: it will not become healthy by waiting longer.
    Raises ContainerError with the health log; the caller adds the log tail.
    clock and sleep default to time.monotonic and time.sleep (tests pass fakes).
    """
    clock = clock or time.monotonic
    sleep = sleep or time.sleep
    deadline = clock() + timeout
    first_restart_count = None
    while True:
        attrs = client.inspect_container(name)
        state = attrs.get('State') or {}
        health = (state.get('Health') or {}).get('Status')
        if health == 'healthy':
            return attrs
        restart_count = attrs.get('RestartCount', 0)
        if first_restart_count is None:
            first_restart_count = restart_count
        exit_info = 'ExitCode %s, OOMKilled %s' % (state.get('ExitCode'), str(bool(state.get('OOMKilled'))).lower())
        if state.get('ExitCode') == 137 and not state.get('OOMKilled'):
            # Docker does not always see an OOM kill (cgroup v2); 137 is SIGKILL, usually memory.
            exit_info += ': killed, usually for lack of memory'
        if state.get('OOMKilled'):
            raise ContainerError('Container %s was OOMKilled while waiting to become healthy (%s); raise memory '
                                 '(the Document Server needs at least 4g) and see logs' % (name, exit_info),
                                 health_log=health_log(attrs))
        if not state.get('Running') or state.get('Status') in ('exited', 'dead'):
            raise ContainerError('Container %s stopped while waiting to become healthy (status %s, %s); see logs'
                                 % (name, state.get('Status'), exit_info), health_log=health_log(attrs))
        if restart_count > first_restart_count:
            raise ContainerError('Container %s restarted while waiting to become healthy (RestartCount %d, %s); '
                                 'see logs' % (name, restart_count, exit_info), health_log=health_log(attrs))
        if clock() >= deadline:
            entries = health_log(attrs)
            last = entries[-1] if entries else None
            last_check = ('last check exit %s: %s' % (last['exit_code'], last['output'][:200] or '(no output)')
                          if last else 'no check ran yet')
            raise ContainerError('Container %s is not healthy after %s s (health status: %s; %s); see health_log '
                                 'and logs' % (name, timeout, health, last_check), health_log=entries)
        sleep(interval)


# ---------------------------------------------------------------- the container life cycle

class DocumentServerContainer:
    """Brings one container to the wanted spec and state.

    params: the module parameters (state, pull, image_archive, registry
    credentials, health_timeout, docker_host). In check mode everything is
    computed and reported, and nothing is changed.
    """

    def __init__(self, client, spec, params, check_mode=False, run_command=None, clock=None, sleep=None):
        self.client = client
        self.spec = spec
        self.params = params
        self.name = spec['name']
        self.state = params.get('state') or 'started'
        self.check_mode = check_mode
        self.run_command = run_command
        self.clock = clock
        self.sleep = sleep
        self.tracker = DifferenceTracker()
        self.image_changed = False
        self.created = None  # the new container as --diff shows it, when there was none
        self.actions = []
        self.warnings = []

    @property
    def changed(self):
        return self.image_changed or bool(self.tracker)

    @contextmanager
    def _docker(self, operation):
        """Turn Docker errors raised inside the block into a ContainerError naming the operation."""
        try:
            yield
        except (DockerException, RequestException) as exc:
            message = describe_error(exc, self.params.get('docker_host') or DEFAULT_DOCKER_HOST, operation,
                                     lambda port: port_holder(self.client, port, self.run_command))
            raise ContainerError(message)

    def apply(self):
        with self._docker('inspect container %s' % self.name):
            live = inspect_container(self.client, self.name)
        if self.state == 'absent':
            if live:
                self.tracker.add('state', live['State'].get('Status'), 'absent')
                self._shut_down(live)
                self._do('remove container', lambda: self.client.remove_container(self.name))
            return self._result(None)

        wanted_image_id = self._ensure_image()
        wanted_status = 'created' if self.state == 'stopped' else 'running'
        if live is None:
            self.tracker.add('state', 'absent', wanted_status)
            self.created = display_spec(self.spec, wanted_image_id)
            self._create_and_start('create container')
        else:
            differences = compare(self.spec, normalise_container(live), wanted_image_id)
            if differences:
                self._recreate(live, differences)
            else:
                self._converge_running(live)

        if self.check_mode:
            return self._result(live)
        with self._docker('inspect container %s' % self.name):
            attrs = self.client.inspect_container(self.name)
        if self.state == 'healthy':
            attrs = self._wait_until_healthy()
        return self._result(attrs)

    def _do(self, action, call):
        """Record an action and run it unless in check mode."""
        self.actions.append(action)
        if not self.check_mode:
            with self._docker('%s %s' % (action, self.name)):
                call()

    def _ensure_image(self):
        """Make the wanted image present (load, pull) per policy; return its id (None in check mode)."""
        reference = self.spec['image']
        pull = self.params.get('pull') or 'missing'
        archive = self.params.get('image_archive')
        with self._docker('inspect image %s' % reference):
            current = image_id(self.client, reference)
        if current and pull != 'always':
            return current
        if current is None and archive:
            if not os.path.isfile(archive):
                raise ContainerError('image_archive: %s is not a file on the target' % archive)
            return self._get_image('load image archive %s' % archive, lambda: load_image_archive(self.client, archive),
                                   current, 'image_archive: %s does not contain image %s' % (archive, reference))
        if current is None and pull == 'never':
            raise ContainerError('image: %s is not present on the target and pull=never; give image_archive or '
                                 'allow pulling' % reference)
        if current is not None and self.check_mode:
            return current  # pull=always: whether the registry has a newer image is only known by pulling
        auth_config = None
        if self.params.get('registry_username'):
            auth_config = {'username': self.params['registry_username'],
                           'password': self.params.get('registry_password')}
        return self._get_image('pull image %s' % reference, lambda: pull_image(self.client, reference, auth_config),
                               current, 'image: %s is still not present after the pull' % reference)

    def _get_image(self, action, call, current, missing_message):
        if self.check_mode:
            self.actions.append(action)
            self.image_changed = True
            return None
        with self._docker(action):
            call()
            new = image_id(self.client, self.spec['image'])
        if new is None:
            raise ContainerError(missing_message)
        if new != current:
            self.actions.append(action)
            self.image_changed = True
        return new

    def _create_and_start(self, action):
        self._do(action, lambda: create_container(self.client, self.spec))
        if self.state != 'stopped':
            self._do('start container', lambda: self.client.start(self.name))

    def _recreate(self, live, differences):
        self.tracker = differences
        self.actions.append('recreate container: %s changed' % ', '.join(differences.options))
        kept = set(mount.split(':')[1] for mount in self.spec['volumes'])
        for path in anonymous_volumes(normalise_container(live)):
            if path in kept:
                self.warnings.append('%s of the old container is an anonymous volume: its data is not moved to the '
                                     'new named volume; copy it by hand if needed' % path)
        self._shut_down(live)
        self._do('remove container', lambda: self.client.remove_container(self.name))
        self._create_and_start('create container')

    def _converge_running(self, live):
        running = bool(live['State'].get('Running'))
        if self.state == 'stopped' and running:
            self.tracker.add('state', live['State'].get('Status'), 'exited')
            self._shut_down(live)
        elif self.state != 'stopped' and not running:
            self.tracker.add('state', live['State'].get('Status'), 'running')
            self._do('start container', lambda: self.client.start(self.name))

    def _shut_down(self, live):
        """Drain sessions with the image's script when present, then stop within stop_timeout."""
        if not live['State'].get('Running'):
            return
        stop_timeout = self.spec['stop_timeout']
        if not self.check_mode:
            try:
                if prepare_for_shutdown(self.client, self.name, stop_timeout):
                    self.actions.append('run %s' % PREPARE_FOR_SHUTDOWN)
            except (DockerException, RequestException) as exc:
                self.warnings.append('%s failed in %s, stopping anyway: %s'
                                     % (PREPARE_FOR_SHUTDOWN, self.name, _one_line(exc)))
        self._do('stop container', lambda: self.client.stop(self.name, timeout=stop_timeout))

    def _wait_until_healthy(self):
        timeout = self.params.get('health_timeout') or 300
        try:
            with self._docker('wait for container %s to become healthy' % self.name):
                return wait_until_healthy(self.client, self.name, timeout, clock=self.clock, sleep=self.sleep)
        except ContainerError as exc:
            details = dict(exc.details)
            try:
                details['logs'] = log_tail(self.client, self.name)
                details['container'] = container_facts(self.client.inspect_container(self.name))
            except (DockerException, RequestException):
                pass
            raise ContainerError(exc.msg, **details)

    def _result(self, attrs):
        diff = self.tracker.diff()
        diff['after'].update(self.created or {})
        return {
            'changed': self.changed,
            'actions': self.actions,
            'container': container_facts(attrs) if attrs else {},
            'diff': diff,
            'warnings': self.warnings,
        }
