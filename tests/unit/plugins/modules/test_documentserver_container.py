# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""documentserver_container run as a module against an in-memory fake Docker engine."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest
from docker.errors import APIError, DockerException

from ansible_collections.docops.onlyoffice.plugins.module_utils import _container_lifecycle, _docker
from ansible_collections.docops.onlyoffice.plugins.modules import documentserver_container
from ansible_collections.docops.onlyoffice.tests.unit.plugins.modules.fake_docker import (
    IMAGE,
    IMAGE_ID,
    FakeDocker,
    FakeTime,
)
from ansible_collections.docops.onlyoffice.tests.unit.plugins.modules.module_runner import failed, module_runner, ok

NEW_IMAGE_ID = 'sha256:' + '2' * 64
SECRET = 'j' * 32
LINK_SECRET = 'l' * 32


@pytest.fixture
def docker_engine(monkeypatch):
    engine = FakeDocker()
    monkeypatch.setattr(_docker, 'get_client', lambda params: engine)
    monkeypatch.setattr(_container_lifecycle, 'time', FakeTime())
    return engine


@pytest.fixture
def run_module(monkeypatch):
    run = module_runner(monkeypatch, documentserver_container)

    def run_with_secrets(**args):
        args.setdefault('jwt_secret', SECRET)
        args.setdefault('secure_link_secret', LINK_SECRET)
        return run(**args)

    return run_with_secrets


# ---------------------------------------------------------------- create, idempotence, check mode

def test_create_starts_the_container_with_named_volumes_and_masked_facts(docker_engine, run_module):
    result = ok(run_module())
    assert result['changed'] is True
    assert result['actions'] == ['create container', 'start container']
    container = result['container']
    assert container['name'] == 'onlyoffice-documentserver'
    assert container['image'] == IMAGE and container['image_id'] == IMAGE_ID
    assert container['state']['running'] is True and container['state']['health'] == 'starting'
    assert container['published_ports'] == ['127.0.0.1:8080:80/tcp']
    assert container['volumes']['onlyoffice-documentserver_data'] == '/var/www/onlyoffice/Data'
    assert len(container['volumes']) == 7
    assert container['env']['JWT_SECRET'] == '********' and container['env']['SECURE_LINK_SECRET'] == '********'
    assert container['env']['JWT_ENABLED'] == 'true'
    assert 'diff' not in result
    attrs = docker_engine.containers_by_name['onlyoffice-documentserver']
    assert 'JWT_SECRET=' + SECRET in attrs['Config']['Env']
    assert attrs['Config']['StopTimeout'] == 60
    assert attrs['HostConfig']['RestartPolicy']['Name'] == 'unless-stopped'


def test_second_run_changes_nothing(docker_engine, run_module):
    ok(run_module(memory='4g', memory_swap='6g', labels={'team': 'docs'}, env={'TZ': 'UTC'},
                  networks=[{'name': 'office', 'aliases': ['docs']}, {'name': 'backend'}], publish_ipv6_loopback=True))
    docker_engine.calls = []
    result = ok(run_module(memory='4g', memory_swap='6g', labels={'team': 'docs'}, env={'TZ': 'UTC'},
                           networks=[{'name': 'office', 'aliases': ['docs']}, {'name': 'backend'}],
                           publish_ipv6_loopback=True))
    assert result['changed'] is False and result['actions'] == []
    assert docker_engine.calls == []


def test_networks_are_attached_at_create_and_after(docker_engine, run_module):
    ok(run_module(networks=[{'name': 'office', 'aliases': ['docs']}, {'name': 'backend', 'aliases': []}]))
    attrs = docker_engine.containers_by_name['onlyoffice-documentserver']
    assert attrs['HostConfig']['NetworkMode'] == 'backend'
    assert ('connect', 'office', ['docs']) in docker_engine.calls


def test_check_mode_create_reports_a_diff_and_changes_nothing(docker_engine, run_module):
    result = ok(run_module(check_mode=True, diff=True))
    assert result['changed'] is True
    assert result['actions'] == ['create container', 'start container']
    assert docker_engine.calls == [] and docker_engine.containers_by_name == {}
    assert result['diff']['before'] == {'state': 'absent'}
    assert result['diff']['after']['state'] == 'running'
    assert result['diff']['after']['env']['JWT_SECRET'] == '********'
    assert result['container'] == {}


def test_state_stopped_creates_without_starting(docker_engine, run_module):
    result = ok(run_module(state='stopped'))
    assert result['actions'] == ['create container']
    assert result['container']['state']['status'] == 'created'


# ---------------------------------------------------------------- recreate

def test_a_rotated_secret_recreates_after_draining_and_keeps_the_volumes(docker_engine, run_module):
    ok(run_module())
    old_id = docker_engine.containers_by_name['onlyoffice-documentserver']['Id']
    docker_engine.calls = []
    result = ok(run_module(jwt_secret='k' * 32, diff=True))
    assert result['changed'] is True
    assert result['diff'] == {'before': {'env.JWT_SECRET': '********'}, 'after': {'env.JWT_SECRET': '********'}}
    assert result['actions'] == ['recreate container: env.JWT_SECRET changed', 'run documentserver-prepare4shutdown.sh',
                                 'stop container', 'remove container', 'create container', 'start container']
    assert docker_engine.calls[0] == ('exec', 'onlyoffice-documentserver', 'documentserver-prepare4shutdown.sh')
    assert ('stop', 'onlyoffice-documentserver', 60) in docker_engine.calls
    assert result['container']['id'] != old_id
    assert result['container']['volumes']['onlyoffice-documentserver_postgresql'] == '/var/lib/postgresql'


def test_a_missing_drain_script_is_skipped(docker_engine, run_module):
    ok(run_module())
    docker_engine.exec_output = b'absent\n'
    result = ok(run_module(stop_timeout=90))
    assert 'run documentserver-prepare4shutdown.sh' not in result['actions']
    assert ('stop', 'onlyoffice-documentserver', 90) in docker_engine.calls
    assert result['actions'][0] == 'recreate container: stop_timeout changed'


def test_check_mode_recreate_reports_without_touching_the_container(docker_engine, run_module):
    ok(run_module())
    docker_engine.calls = []
    result = ok(run_module(memory='4g', check_mode=True, diff=True))
    assert result['changed'] is True
    assert result['diff'] == {'before': {'memory': 0}, 'after': {'memory': '4g'}}
    assert docker_engine.calls == []
    assert result['container']['state']['running'] is True


def test_pull_always_with_a_newer_image_recreates(docker_engine, run_module):
    ok(run_module())
    docker_engine.registry[IMAGE] = NEW_IMAGE_ID
    result = ok(run_module(pull='always'))
    assert result['actions'][:2] == ['pull image %s' % IMAGE, 'recreate container: image changed']
    assert result['container']['image_id'] == NEW_IMAGE_ID
    assert ok(run_module(pull='always'))['changed'] is False


# ---------------------------------------------------------------- run state

def test_stopped_then_started_then_absent(docker_engine, run_module):
    ok(run_module())
    result = ok(run_module(state='stopped', diff=True))
    assert result['actions'] == ['run documentserver-prepare4shutdown.sh', 'stop container']
    assert result['diff'] == {'before': {'state': 'running'}, 'after': {'state': 'exited'}}
    assert ok(run_module(state='stopped'))['changed'] is False
    assert ok(run_module())['actions'] == ['start container']
    result = ok(run_module(state='absent'))
    assert result['actions'] == ['run documentserver-prepare4shutdown.sh', 'stop container', 'remove container']
    assert result['container'] == {} and result['warnings'] == []
    assert ok(run_module(state='absent'))['changed'] is False


# ---------------------------------------------------------------- state=healthy

def test_healthy_waits_for_docker_health(docker_engine, run_module):
    docker_engine.health = ['starting', 'starting', 'starting', 'healthy']
    result = ok(run_module(state='healthy'))
    assert result['container']['state']['health'] == 'healthy'
    assert docker_engine.health == [] and _container_lifecycle.time.now > 0


def test_healthy_timeout_fails_with_health_log_and_logs(docker_engine, run_module):
    ok(run_module())
    docker_engine.health = ['unhealthy']
    attrs = docker_engine.containers_by_name['onlyoffice-documentserver']
    attrs['State']['Health']['Log'] = [{'Start': 't', 'ExitCode': 22, 'Output': 'curl: (22) error: 502'}]
    result = failed(run_module(state='healthy', health_timeout=5))
    assert result['msg'] == ('Container onlyoffice-documentserver is not healthy after 5 s (health status: unhealthy; '
                             'last check exit 22: curl: (22) error: 502); see health_log and logs')
    assert result['health_log'] == [{'start': 't', 'exit_code': 22, 'output': 'curl: (22) error: 502'}]
    assert result['logs'][0] == 'Waiting for connection to the localhost host on port 5432'
    assert result['container']['state']['health'] == 'unhealthy'


def test_healthy_fails_fast_when_oom_killed(docker_engine, run_module):
    ok(run_module())
    attrs = docker_engine.containers_by_name['onlyoffice-documentserver']
    attrs['State'].update(Status='exited', Running=False, ExitCode=137, OOMKilled=True)
    attrs['State']['Health']['Status'] = 'unhealthy'
    docker_engine.calls = []
    result = failed(run_module(state='healthy'))
    assert 'OOMKilled' in result['msg'] and 'ExitCode 137' in result['msg']
    assert result['actions'] == ['start container']


def test_check_mode_does_not_wait(docker_engine, run_module):
    result = ok(run_module(state='healthy', check_mode=True))
    assert result['changed'] is True and _container_lifecycle.time.now == 0.0


# ---------------------------------------------------------------- images

def test_missing_image_is_pulled_with_registry_credentials(docker_engine, run_module):
    docker_engine.images = {}
    result = ok(run_module(registry_username='bot', registry_password='token'))
    assert result['actions'][0] == 'pull image %s' % IMAGE
    assert ('pull', IMAGE, {'username': 'bot', 'password': 'token'}) in docker_engine.calls


def test_image_not_in_the_registry(docker_engine, run_module):
    result = failed(run_module(image='onlyoffice/documentserver:0.0.1'))
    assert result['msg'].startswith('Cannot pull image onlyoffice/documentserver:0.0.1: image not found: manifest for')


def test_pull_never_without_the_image(docker_engine, run_module):
    docker_engine.images = {}
    result = failed(run_module(pull='never'))
    assert result['msg'] == ('image: %s is not present on the target and pull=never; give image_archive or allow '
                             'pulling' % IMAGE)


def test_image_archive_is_loaded_only_when_the_image_is_missing(docker_engine, run_module, tmp_path):
    archive = tmp_path / 'ds.tar'
    archive.write_bytes(b'image tar')
    docker_engine.images = {}
    docker_engine.archive = {IMAGE: IMAGE_ID}
    result = ok(run_module(image_archive=str(archive), pull='never'))
    assert result['actions'][0] == 'load image archive %s' % archive
    assert ('load', b'image tar') in docker_engine.calls
    docker_engine.calls = []
    assert ok(run_module(image_archive=str(archive), pull='never'))['changed'] is False
    assert ('load', b'image tar') not in docker_engine.calls


def test_image_archive_without_the_image(docker_engine, run_module, tmp_path):
    archive = tmp_path / 'other.tar'
    archive.write_bytes(b'other image')
    docker_engine.images = {}
    result = failed(run_module(image_archive=str(archive)))
    assert result['msg'] == 'image_archive: %s does not contain image %s' % (archive, IMAGE)
    assert failed(run_module(image_archive=str(tmp_path / 'nope.tar')))['msg'] == \
        'image_archive: %s is not a file on the target' % (tmp_path / 'nope.tar')


# ---------------------------------------------------------------- user errors: one line, naming the parameter

@pytest.mark.parametrize('args, message', [
    ({'image': 'onlyoffice/documentserver:latest'}, "image: 'onlyoffice/documentserver:latest' is not pinned"),
    ({'image': 'onlyoffice/documentserver'}, "image: 'onlyoffice/documentserver' is not pinned"),
    ({'memory': '4x'}, "memory: invalid size '4x'"),
    ({'stop_timeout': 10}, 'stop_timeout: 10 s is too short'),
    ({'env': {'WOPI': True}}, 'env.WOPI: the value must be a string, got bool'),
    ({'env': {'JWT_SECRET': 'x'}}, 'env.JWT_SECRET: this variable is set by the option jwt_secret'),
    ({'volumes': [{'source': 'cfg', 'target': '/etc/onlyoffice/documentserver'}]},
     'volumes[0].target: do not mount /etc/onlyoffice/documentserver'),
    ({'published_ports': [{'host_port': 99999}]}, 'published_ports[0].host_port must be >= 1 and <= 65535, got 99999'),
    ({'healthcheck': {'interval': 'often'}}, "healthcheck.interval: invalid duration 'often'"),
])
def test_invalid_parameters_fail_with_one_line(docker_engine, run_module, args, message):
    result = failed(run_module(**args))
    assert result['msg'].startswith(message)
    assert docker_engine.calls == []


def test_missing_docker_sdk(docker_engine, run_module, monkeypatch):
    monkeypatch.setattr(_docker, 'HAS_DOCKER', False)
    result = run_module()
    assert result['failed'] and 'Docker SDK for Python: docker>=5.0.3' in result['msg']


def test_no_docker_engine(run_module, monkeypatch):
    def unreachable(params):
        raise DockerException("Error while fetching server API version: ('Connection aborted.', "
                              "FileNotFoundError(2, 'No such file or directory'))")

    monkeypatch.setattr(_docker, 'get_client', unreachable)
    result = failed(run_module())
    assert result['msg'] == ('Cannot reach the Docker engine at unix:///var/run/docker.sock: No such file or '
                             'directory. Is docker running?')


def test_port_already_taken_names_the_holder(docker_engine, run_module):
    docker_engine.start_errors = [APIError('500 Server Error', explanation=(
        'driver failed programming external connectivity on endpoint onlyoffice-documentserver (abc): '
        'Bind for 127.0.0.1:8080 failed: port is already allocated'))]
    docker_engine.other_containers = [
        {'Names': ['/legacy-docs'], 'Ports': [{'IP': '127.0.0.1', 'PrivatePort': 80, 'PublicPort': 8080}]}]
    result = failed(run_module())
    assert result['msg'] == ('Cannot start container onlyoffice-documentserver: host port 127.0.0.1:8080 is already '
                             'in use by container legacy-docs; choose another host_port in published_ports or free '
                             'the port')
    assert result['changed'] is True and result['actions'] == ['create container', 'start container']


def test_warnings_for_missing_secrets(docker_engine, run_module):
    result = ok(run_module(jwt_secret=None, secure_link_secret=None))
    assert any(warning.startswith('jwt_secret is not set') for warning in result['warnings'])
    assert any(warning.startswith('secure_link_secret is not set') for warning in result['warnings'])
