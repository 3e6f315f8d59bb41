# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Docker errors -> one-line messages, the client factory and the health wait.

The exception texts are the ones docker SDK 7.2 raised against Docker 20.10 here.
No engine is used.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest
import requests
from docker.errors import APIError, DockerException, ImageNotFound

from ansible_collections.docops.onlyoffice.plugins.module_utils import _container_lifecycle, _docker

SOCKET = 'unix:///var/run/docker.sock'


def describe(exc, operation='start container docs', holder=None):
    return _docker.describe_error(exc, SOCKET, operation, holder)


# ---------------------------------------------------------------- describe_error

def test_missing_socket():
    exc = DockerException("Error while fetching server API version: ('Connection aborted.', "
                          "FileNotFoundError(2, 'No such file or directory'))")
    assert describe(exc) == ('Cannot reach the Docker engine at unix:///var/run/docker.sock: '
                             'No such file or directory. Is docker running?')


def test_refused_tcp_engine():
    exc = DockerException(
        "Error while fetching server API version: HTTPConnectionPool(host='127.0.0.1', port=1): Max retries exceeded "
        "with url: /version (Caused by NewConnectionError(\"HTTPConnection(host='127.0.0.1', port=1): Failed to "
        "establish a new connection: [Errno 111] Connection refused\"))")
    message = _docker.describe_error(exc, 'tcp://127.0.0.1:1', 'connect to the Docker engine')
    assert message == 'Cannot reach the Docker engine at tcp://127.0.0.1:1: Connection refused. Is docker running?'


def test_engine_gone_after_connecting():
    exc = requests.exceptions.ConnectionError("('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))")
    assert describe(exc) == ('Cannot reach the Docker engine at unix:///var/run/docker.sock: '
                             'Connection reset by peer. Is docker running?')


def test_permission_denied_on_the_socket_says_become():
    exc = DockerException("Error while fetching server API version: ('Connection aborted.', "
                          "PermissionError(13, 'Permission denied'))")
    assert describe(exc) == ('Permission denied on the Docker socket unix:///var/run/docker.sock: run the task '
                             'with become: true (or as a member of the docker group)')


def test_port_allocated_by_another_container_names_it():
    exc = APIError('500 Server Error', explanation=(
        'driver failed programming external connectivity on endpoint docs (187b): '
        'Bind for 127.0.0.1:8080 failed: port is already allocated'))
    message = describe(exc, holder=lambda port: 'container old-docs' if port == 8080 else None)
    assert message == ('Cannot start container docs: host port 127.0.0.1:8080 is already in use by container '
                       'old-docs; choose another host_port in published_ports or free the port')


def test_port_taken_by_a_host_process():
    exc = APIError('500 Server Error', explanation=(
        'driver failed programming external connectivity on endpoint docs (345f): Error starting userland proxy: '
        'listen tcp4 127.0.0.1:8080: bind: address already in use'))
    assert 'host port 127.0.0.1:8080 is already in use by nginx (pid 42);' in describe(exc, holder=lambda port: 'nginx (pid 42)')


def test_port_taken_holder_unknown():
    exc = APIError('500 Server Error', explanation='Bind for [::1]:8080 failed: port is already allocated')
    assert 'host port [::1]:8080 is already in use; choose another host_port' in describe(exc)


def test_image_not_found():
    exc = ImageNotFound('404 Client Error', explanation='No such image: onlyoffice/documentserver:9.9.9')
    assert describe(exc, 'inspect image onlyoffice/documentserver:9.9.9') == (
        'Cannot inspect image onlyoffice/documentserver:9.9.9: image not found: '
        'No such image: onlyoffice/documentserver:9.9.9')


def test_pull_of_an_unknown_tag():
    exc = APIError('404 Client Error', explanation='manifest for onlyoffice/documentserver:0.0.1 not found: '
                                                   'manifest unknown: manifest unknown')
    assert describe(exc, 'pull image onlyoffice/documentserver:0.0.1').startswith(
        'Cannot pull image onlyoffice/documentserver:0.0.1: image not found: manifest for')


def test_unreachable_registry_points_to_image_archive():
    exc = APIError('500 Server Error', explanation=(
        'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host'))
    message = describe(exc, 'pull image onlyoffice/documentserver:9.1.0')
    assert message.startswith('Cannot pull image onlyoffice/documentserver:9.1.0: the registry is unreachable from '
                              'the target (Get "https://registry-1.docker.io/v2/": dial tcp')
    assert message.endswith('; for an offline host give image_archive')


def test_unexpected_error_is_one_line():
    exc = APIError('500 Server Error', explanation='something\n  went   wrong')
    assert describe(exc) == 'Cannot start container docs: an unexpected Docker error occurred: something went wrong'


def test_timeout():
    exc = requests.exceptions.ReadTimeout("UnixHTTPConnectionPool(host='localhost', port=None): Read timed out.")
    message = describe(exc, 'stop container docs')
    assert message.startswith('The Docker engine at unix:///var/run/docker.sock did not answer in time to stop '
                              'container docs')


# ---------------------------------------------------------------- port_holder

class ContainersClient:
    def __init__(self, containers=None, error=None):
        self._containers = containers or []
        self._error = error

    def containers(self):
        if self._error:
            raise self._error
        return self._containers


def test_port_holder_finds_the_publishing_container():
    client = ContainersClient([
        {'Names': ['/web'], 'Ports': [{'IP': '0.0.0.0', 'PrivatePort': 80, 'PublicPort': 80, 'Type': 'tcp'}]},
        {'Names': ['/old-docs'], 'Ports': [{'IP': '127.0.0.1', 'PrivatePort': 80, 'PublicPort': 8080, 'Type': 'tcp'}]},
    ])
    assert _docker.port_holder(client, 8080) == 'container old-docs'


def test_port_holder_falls_back_to_ss():
    calls = []

    def run_command(args):
        calls.append(args)
        return 0, 'LISTEN 0 511 127.0.0.1:8080 0.0.0.0:* users:(("nginx",pid=1234,fd=6),("nginx",pid=1235,fd=6))\n', ''

    assert _docker.port_holder(ContainersClient(), 8080, run_command) == 'nginx (pid 1234)'
    assert calls == [['ss', '-H', '-ltunp', 'sport = :8080']]


def test_port_holder_unknown():
    client = ContainersClient(error=APIError('boom'))
    assert _docker.port_holder(client, 8080, lambda args: (0, '', '')) is None
    assert _docker.port_holder(client, 8080) is None


# ---------------------------------------------------------------- get_client

class RecordingAPIClient:
    def __init__(self, **kwargs):
        self.kwargs = kwargs


def test_get_client_defaults(monkeypatch):
    monkeypatch.setattr(_docker.docker, 'APIClient', RecordingAPIClient)
    client = _docker.get_client({'docker_host': SOCKET, 'tls': False, 'tls_verify': False, 'timeout': 60})
    assert client.kwargs == {'base_url': SOCKET, 'version': 'auto', 'timeout': 60, 'tls': False}


def test_get_client_tls_from_docker_cert_path(monkeypatch, tmp_path):
    for name in ('ca.pem', 'cert.pem', 'key.pem'):
        (tmp_path / name).write_text('x')
    monkeypatch.setenv('DOCKER_CERT_PATH', str(tmp_path))
    monkeypatch.setattr(_docker.docker, 'APIClient', RecordingAPIClient)
    client = _docker.get_client({'docker_host': 'tcp://192.0.2.10:2376', 'tls_verify': True, 'timeout': 30})
    tls = client.kwargs['tls']
    assert tls.verify is True
    assert tls.ca_cert == str(tmp_path / 'ca.pem')
    assert tls.cert == (str(tmp_path / 'cert.pem'), str(tmp_path / 'key.pem'))


def test_get_client_tls_without_verification(monkeypatch, tmp_path):
    monkeypatch.delenv('DOCKER_CERT_PATH', raising=False)
    monkeypatch.setattr(_docker.docker, 'APIClient', RecordingAPIClient)
    client = _docker.get_client({'docker_host': 'tcp://192.0.2.10:2376', 'tls': True, 'timeout': 30})
    assert client.kwargs['tls'].verify is False and client.kwargs['tls'].cert is None


def test_get_client_takes_the_connection_options_of_another_module(monkeypatch):
    # Another module of the collection passes its own dict with the docker_argument_spec keys.
    monkeypatch.setattr(_docker.docker, 'APIClient', RecordingAPIClient)
    params = {'docker_host': None, 'tls': False, 'tls_verify': False, 'ca_path': None, 'client_cert': None,
              'client_key': None, 'timeout': 10}
    assert _docker.get_client(params).kwargs == {'base_url': None, 'version': 'auto', 'timeout': 10, 'tls': False}


@pytest.mark.parametrize('timeout, message', [
    (-5, 'timeout must be >= 1 and <= 3600, got -5'),
    (0, 'timeout must be >= 1 and <= 3600, got 0'),
    (float('nan'), 'timeout must be a finite number, got nan'),
    (None, 'timeout must be a number, got None'),
])
def test_get_client_refuses_a_bad_timeout_before_contacting_the_engine(monkeypatch, timeout, message):
    made = []
    monkeypatch.setattr(_docker.docker, 'APIClient', lambda **kwargs: made.append(kwargs))
    with pytest.raises(_docker.DockerParameterError) as info:
        _docker.get_client({'docker_host': SOCKET, 'timeout': timeout})
    assert str(info.value) == message and made == []
    # A caller that turns Docker errors into messages gets the parameter error as it is.
    assert _docker.describe_error(info.value, SOCKET, 'connect to the Docker engine') == message


def test_argument_spec_reads_docker_host_from_the_environment():
    spec = _docker.docker_argument_spec()
    assert spec['docker_host']['fallback'][1] == ['DOCKER_HOST']
    assert spec['docker_host']['default'] == SOCKET


# ---------------------------------------------------------------- image streams, drain

class StreamClient:
    def __init__(self, chunks):
        self.chunks = chunks
        self.calls = []

    def pull(self, repository, **kwargs):
        self.calls.append((repository, kwargs))
        return iter(self.chunks)

    def load_image(self, data):
        self.calls.append(('load', data.read()))
        return iter(self.chunks)


def test_pull_by_tag_and_by_digest():
    client = StreamClient([{'status': 'Pulling'}])
    _docker.pull_image(client, 'registry.example.test:5000/ds:9.1.0', {'username': 'u', 'password': 'p'})
    _docker.pull_image(client, 'ds:9.1.0@sha256:' + 'a' * 64)
    assert client.calls[0] == ('registry.example.test:5000/ds', {
        'tag': '9.1.0', 'stream': True, 'decode': True, 'auth_config': {'username': 'u', 'password': 'p'}})
    assert client.calls[1][1]['tag'] == 'sha256:' + 'a' * 64


def test_an_error_inside_the_pull_stream_raises():
    client = StreamClient([{'status': 'Pulling'}, {'error': 'unauthorized: authentication required'}])
    with pytest.raises(DockerException, match='unauthorized'):
        _docker.pull_image(client, 'ds:9.1.0')


def test_load_image_archive_streams_the_file(tmp_path):
    archive = tmp_path / 'ds.tar'
    archive.write_bytes(b'tar')
    client = StreamClient([{'stream': 'Loaded image: ds:9.1.0'}])
    _docker.load_image_archive(client, str(archive))
    assert client.calls == [('load', b'tar')]
    with pytest.raises(DockerException, match='unexpected EOF'):
        _docker.load_image_archive(StreamClient([{'error': 'unexpected EOF'}]), str(archive))


class ExecClient:
    def __init__(self, output):
        self.output = output
        self.timeout = 60
        self.seen_timeout = None
        self.command = None

    def exec_create(self, name, command):
        self.command = command
        return 'exec-1'

    def exec_start(self, exec_id):
        self.seen_timeout = self.timeout
        return self.output


def test_prepare_for_shutdown_runs_the_script_with_a_longer_timeout():
    client = ExecClient(b'')
    assert _docker.prepare_for_shutdown(client, 'docs', 'documentserver-prepare4shutdown.sh', 60) is True
    assert client.command[:2] == ['sh', '-c'] and 'timeout 60 documentserver-prepare4shutdown.sh' in client.command[2]
    assert client.seen_timeout == 120 and client.timeout == 60


def test_prepare_for_shutdown_without_the_script():
    assert _docker.prepare_for_shutdown(ExecClient(b'absent\n'), 'docs', 'documentserver-prepare4shutdown.sh', 60) is False


# ---------------------------------------------------------------- wait_until_healthy

class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class HealthClient:
    """inspect_container answers the given states in turn, then repeats the last one."""

    def __init__(self, *states):
        self.states = list(states)

    def inspect_container(self, name):
        state = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        return {'Name': '/' + name, 'RestartCount': state.pop('RestartCount', 0), 'State': state}


def running(health, log=None, **extra):
    state = {'Status': 'running', 'Running': True, 'ExitCode': 0, 'OOMKilled': False,
             'Health': {'Status': health, 'Log': log or []}}
    state.update(extra)
    return state


def wait(client, timeout=300):
    clock = FakeClock()
    try:
        return _container_lifecycle.wait_until_healthy(client, 'docs', timeout, clock=clock.monotonic, sleep=clock.sleep), clock
    except _docker.ModuleFailure as exc:
        exc.clock = clock
        raise


def test_wait_returns_when_healthy():
    attrs, clock = wait(HealthClient(running('starting'), running('starting'), running('healthy')))
    assert attrs['State']['Health']['Status'] == 'healthy'
    assert clock.sleeps == [1.0, 1.0]


def test_wait_keeps_waiting_through_unhealthy_then_times_out_with_the_health_log():
    log = [{'Start': 't%d' % index, 'ExitCode': 1, 'Output': 'curl: (22) The requested URL returned error: 502\n'}
           for index in range(8)]
    with pytest.raises(_docker.ModuleFailure) as info:
        wait(HealthClient(running('unhealthy', log)), timeout=10)
    assert info.value.msg == ('Container docs is not healthy after 10 s (health status: unhealthy; last check exit 1: '
                              'curl: (22) The requested URL returned error: 502); see health_log and logs')
    assert len(info.value.details['health_log']) == 5
    assert info.value.details['health_log'][-1] == {'start': 't7', 'exit_code': 1,
                                                    'output': 'curl: (22) The requested URL returned error: 502'}


def test_wait_fails_fast_on_oom():
    state = dict(running('starting'), Status='exited', Running=False, ExitCode=137, OOMKilled=True)
    with pytest.raises(_docker.ModuleFailure) as info:
        wait(HealthClient(running('starting'), state))
    assert info.value.msg.startswith('Container docs was OOMKilled while waiting to become healthy '
                                     '(ExitCode 137, OOMKilled true)')
    assert info.value.clock.now == 1.0


def test_wait_fails_fast_when_the_container_exits():
    state = dict(running('unhealthy'), Status='exited', Running=False, ExitCode=1)
    with pytest.raises(_docker.ModuleFailure) as info:
        wait(HealthClient(state))
    assert info.value.msg == ('Container docs stopped while waiting to become healthy (status exited, ExitCode 1, '
                              'OOMKilled false); see logs')


def test_wait_explains_exit_code_137_without_oom_flag():
    state = dict(running('starting'), Status='exited', Running=False, ExitCode=137)
    with pytest.raises(_docker.ModuleFailure) as info:
        wait(HealthClient(state))
    assert '(status exited, ExitCode 137, OOMKilled false: killed, usually for lack of memory)' in info.value.msg


def test_wait_says_when_the_check_printed_nothing():
    with pytest.raises(_docker.ModuleFailure) as info:
        wait(HealthClient(running('unhealthy', [{'Start': 't', 'ExitCode': 1, 'Output': ''}])), timeout=2)
    assert 'last check exit 1: (no output)' in info.value.msg


def test_wait_fails_fast_when_the_container_restarts():
    with pytest.raises(_docker.ModuleFailure) as info:
        wait(HealthClient(running('starting'), running('starting', RestartCount=1, ExitCode=2)))
    assert info.value.msg.startswith('Container docs restarted while waiting to become healthy (RestartCount 1, ExitCode 2')


def test_wait_without_any_check_yet():
    with pytest.raises(_docker.ModuleFailure) as info:
        wait(HealthClient(running('starting')), timeout=3)
    assert 'health status: starting; no check ran yet' in info.value.msg
