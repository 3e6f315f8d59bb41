# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Docker side of the collection's modules.

- guarded import of the Docker SDK (HAS_DOCKER / DOCKER_IMPORT_ERROR),
- the shared connection options, their ranges and a client factory,
- Docker errors -> one-line messages (describe_error, ModuleFailure),
- small Docker operations on images, containers and networks.

The container life cycle built on them is in _container_lifecycle, the network
one in _network. Uses the low-level APIClient only, with calls that exist in
docker SDK 5.0.3 (Debian 12's python3-docker). Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import re
import traceback
from contextlib import contextmanager

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.docops.onlyoffice.plugins.module_utils._container_spec import (
    MAX_WAIT,
    docker_port_bindings,
    parse_image_reference,
)
from ansible_collections.docops.onlyoffice.plugins.module_utils._validate import Range

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
TIMEOUT_RANGE = Range(1, MAX_WAIT)
LOG_TAIL_LINES = 40
HEALTH_LOG_ENTRIES = 5

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


class DockerParameterError(DockerException):
    """A connection option is invalid: found before the engine is contacted; the message names it."""


def connection_problem(params):
    """One line naming the connection option that is invalid, or None. `timeout` is required."""
    return TIMEOUT_RANGE.problem('timeout', params.get('timeout'))


def get_client(params):
    """A low-level Docker API client from the connection options (the keys of docker_argument_spec).

    version='auto' asks the engine for its API version, so old and new engines
    both work, and an unreachable engine is noticed here, before any change.
    Raises DockerParameterError before contacting the engine when an option is
    invalid. docker_host None means the SDK's default, the local socket.
    """
    problem = connection_problem(params)
    if problem:
        raise DockerParameterError(problem)
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
    return docker.APIClient(base_url=params.get('docker_host'), version='auto', timeout=params['timeout'],
                            tls=tls_config)


def client_for(module):
    """The Docker client of an AnsibleModule, or fail_json: no SDK, invalid connection option, no engine."""
    if not HAS_DOCKER:
        module.fail_json(msg=missing_required_lib(DOCKER_SDK_REQUIREMENT), exception=DOCKER_IMPORT_ERROR)
    try:
        return get_client(module.params)
    except (DockerException, RequestException) as exc:
        module.fail_json(msg=describe_error(exc, module.params['docker_host'], 'connect to the Docker engine'))


# ---------------------------------------------------------------- errors

def one_line(text):
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
    if isinstance(exc, DockerParameterError):
        return str(exc)
    text = one_line(getattr(exc, 'explanation', None) or exc)
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


class ModuleFailure(Exception):
    """A failure to report with fail_json: one-line message plus result fields."""

    def __init__(self, msg, **details):
        super(ModuleFailure, self).__init__(msg)
        self.msg = msg
        self.details = details


@contextmanager
def docker_errors(docker_host, operation, find_port_holder=None):
    """Turn Docker errors raised inside the block into a ModuleFailure naming the operation."""
    try:
        yield
    except (DockerException, RequestException) as exc:
        # None lets the SDK use its default, which is DEFAULT_DOCKER_HOST: name it in the message.
        raise ModuleFailure(describe_error(exc, docker_host or DEFAULT_DOCKER_HOST, operation, find_port_holder))


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
        log_config={'type': spec['log_driver'], 'config': spec['log_options']},
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
        command=spec.get('command'),
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


def prepare_for_shutdown(client, name, script, time_limit):
    """Run the image's drain script when it has one; return True when it ran.

    The script waits for sessions to close, so the HTTP read timeout is raised
    for this call and the script is bounded by time_limit seconds.
    """
    command = ('command -v {script} >/dev/null 2>&1 || {{ echo absent; exit 0; }}; timeout {limit} {script}'
               .format(script=script, limit=int(time_limit)))
    exec_id = client.exec_create(name, ['sh', '-c', command])
    saved_timeout = client.timeout
    client.timeout = (saved_timeout or 0) + time_limit
    try:
        output = client.exec_start(exec_id)
    finally:
        client.timeout = saved_timeout
    return b'absent' not in (output or b'')


def drain(client, name, script, time_limit, actions, warnings):
    """Run the drain SCRIPT in container NAME when the image has it, before a stop.

    A failing drain is a warning (the stop goes on); ACTIONS and WARNINGS get what happened.
    """
    try:
        if prepare_for_shutdown(client, name, script, time_limit):
            actions.append('run %s' % script)
    except (DockerException, RequestException) as exc:
        warnings.append('%s failed in %s, stopping anyway: %s' % (script, name, one_line(exc)))


def log_tail(client, name, lines=LOG_TAIL_LINES):
    output = client.logs(name, stdout=True, stderr=True, tail=lines)
    return output.decode('utf-8', 'replace').splitlines()


def health_log(attrs, entries=HEALTH_LOG_ENTRIES):
    log = ((attrs.get('State') or {}).get('Health') or {}).get('Log') or []
    return [{'start': entry.get('Start'), 'exit_code': entry.get('ExitCode'), 'output': one_line(entry.get('Output') or '')}
            for entry in log[-entries:]]


def inspect_network(client, name):
    try:
        return client.inspect_network(name)
    except NotFound:
        return None


def network_containers(client, network):
    """Names of the containers attached to a network, stopped ones included.

    `docker network inspect` lists running containers only; a stopped one still
    has its endpoint settings and fails to start once the network is gone.
    """
    names = set(attached.get('Name') for attached in (network.get('Containers') or {}).values())
    for container in client.containers(all=True, filters={'network': network['Id']}):
        names.update(name.lstrip('/') for name in container.get('Names') or [])
    return sorted(name for name in names if name)
