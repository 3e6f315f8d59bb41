# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""service_container run as a module against an in-memory fake Docker engine."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.docops.onlyoffice.plugins.module_utils import _container_lifecycle, _docker
from ansible_collections.docops.onlyoffice.plugins.modules import service_container
from ansible_collections.docops.onlyoffice.tests.unit.plugins.modules.fake_docker import (
    FakeDocker,
    FakeTime,
)
from ansible_collections.docops.onlyoffice.tests.unit.plugins.modules.module_runner import failed, module_runner, ok

REDIS = 'redis:7.0.15'
REDIS_ID = 'sha256:' + '7' * 64
POSTGRES = 'postgres:15.8'
POSTGRES_ID = 'sha256:' + '5' * 64
PASSWORD = 'p' * 24


def redis(**overrides):
    """The arguments of a Redis companion like the role's, with some changed."""
    args = {
        'name': 'onlyoffice-redis',
        'image': REDIS,
        'command': ['redis-server', '--requirepass', PASSWORD],
        'env': {'REDIS_PASSWORD': PASSWORD, 'TZ': 'UTC'},
        'volumes': [{'source': 'onlyoffice-redis_data', 'target': '/data'}],
        'networks': [{'name': 'onlyoffice', 'aliases': ['redis']}],
        'healthcheck': {'test': 'redis-cli -a "$REDIS_PASSWORD" --no-auth-warning ping | grep -qx PONG',
                        'interval': '1s'},
        'labels': {'docops.stack': 'onlyoffice'},
    }
    args.update(overrides)
    return args


@pytest.fixture
def docker_engine(monkeypatch):
    engine = FakeDocker()
    engine.images = {REDIS: REDIS_ID, POSTGRES: POSTGRES_ID}
    engine.registry = dict(engine.images)
    monkeypatch.setattr(_docker, 'get_client', lambda params: engine)
    monkeypatch.setattr(_container_lifecycle, 'time', FakeTime())
    return engine


@pytest.fixture
def run_module(monkeypatch):
    return module_runner(monkeypatch, service_container)


# ---------------------------------------------------------------- create, idempotence, check mode

def test_create_runs_the_service_unpublished_on_its_network(docker_engine, run_module):
    result = ok(run_module(**redis()))
    assert result['changed'] is True and result['warnings'] == []
    assert result['actions'] == ['create container', 'start container']
    container = result['container']
    assert container['published_ports'] == []
    assert container['volumes'] == {'onlyoffice-redis_data': '/data'}
    assert container['env']['REDIS_PASSWORD'] == '********' and container['env']['TZ'] == 'UTC'
    attrs = docker_engine.containers_by_name['onlyoffice-redis']
    assert attrs['Config']['Cmd'] == ['redis-server', '--requirepass', PASSWORD]
    assert attrs['Config']['StopTimeout'] == 10
    assert attrs['Config']['Healthcheck']['Test'][0] == 'CMD-SHELL'
    assert attrs['Config']['Healthcheck']['Interval'] == 10 ** 9
    assert attrs['HostConfig']['RestartPolicy']['Name'] == 'unless-stopped'
    assert attrs['NetworkSettings']['Networks'] == {'onlyoffice': {'Aliases': ['redis']}}


def test_second_run_changes_nothing(docker_engine, run_module):
    ok(run_module(**redis(memory='256m')))
    docker_engine.calls = []
    result = ok(run_module(**redis(memory='256m')))
    assert result['changed'] is False and result['actions'] == []
    assert docker_engine.calls == []


def test_check_mode_create_masks_secrets_in_the_diff(docker_engine, run_module):
    result = ok(run_module(check_mode=True, diff=True, **redis()))
    assert result['changed'] is True and docker_engine.calls == []
    after = result['diff']['after']
    assert result['diff']['before'] == {'state': 'absent'}
    assert after['command'] == ['redis-server', '--requirepass', '********']
    assert after['env'] == {'REDIS_PASSWORD': '********', 'TZ': 'UTC'}
    assert PASSWORD not in repr(result)


def test_no_drain_script_runs_before_a_stop(docker_engine, run_module):
    ok(run_module(**redis()))
    docker_engine.calls = []
    result = ok(run_module(state='stopped', **redis()))
    assert result['actions'] == ['stop container']
    assert docker_engine.calls == [('stop', 'onlyoffice-redis', 10)]


# ---------------------------------------------------------------- recreate

def test_a_rotated_password_recreates_with_a_masked_diff_and_keeps_the_volume(docker_engine, run_module):
    ok(run_module(**redis()))
    new_password = 'n' * 24
    result = ok(run_module(diff=True, **redis(command=['redis-server', '--requirepass', new_password],
                                              env={'REDIS_PASSWORD': new_password, 'TZ': 'UTC'})))
    assert result['actions'] == ['recreate container: env.REDIS_PASSWORD, command changed', 'stop container',
                                 'remove container', 'create container', 'start container']
    assert result['diff'] == {
        'before': {'env.REDIS_PASSWORD': '********', 'command': ['redis-server', '--requirepass', '********']},
        'after': {'env.REDIS_PASSWORD': '********', 'command': ['redis-server', '--requirepass', '********']},
    }
    assert new_password not in repr(result) and PASSWORD not in repr(result)
    assert result['container']['volumes'] == {'onlyoffice-redis_data': '/data'}


@pytest.mark.parametrize('overrides, option', [
    ({'image': 'redis:7.2.5'}, 'image'),
    ({'volumes': [{'source': 'other', 'target': '/data'}]}, 'volumes'),
    ({'networks': [{'name': 'onlyoffice', 'aliases': ['cache']}]}, 'networks.onlyoffice.aliases'),
    ({'healthcheck': {'test': 'redis-cli ping', 'interval': '1s'}}, 'healthcheck.test'),
    ({'stop_timeout': 30}, 'stop_timeout'),
    ({'restart_policy': 'always'}, 'restart_policy'),
    ({'labels': {'docops.stack': 'other'}}, 'labels.docops.stack'),
    ({'memory': '1g'}, 'memory'),
])
def test_each_managed_option_recreates(docker_engine, run_module, overrides, option):
    docker_engine.images['redis:7.2.5'] = 'sha256:' + '8' * 64
    ok(run_module(**redis()))
    result = ok(run_module(**redis(**overrides)))
    assert result['actions'][0] == 'recreate container: %s changed' % option


def test_options_left_out_are_not_managed(docker_engine, run_module):
    ok(run_module(**redis()))
    result = ok(run_module(**redis(command=None, healthcheck=None, networks=None, labels={}, env={})))
    assert result['changed'] is False


def test_an_unmapped_image_volume_is_named_in_a_warning_on_recreate(docker_engine, run_module):
    ok(run_module(**redis(volumes=[])))
    attrs = docker_engine.containers_by_name['onlyoffice-redis']
    attrs['Mounts'] = [{'Type': 'volume', 'Name': 'a' * 64, 'Destination': '/data', 'RW': True}]
    result = ok(run_module(**redis(volumes=[], stop_timeout=20)))
    assert result['warnings'] == ['/data of the old container is an anonymous volume: the new container gets an '
                                  'empty one; map /data in volumes to keep its data across recreates']


# ---------------------------------------------------------------- state=healthy, absent

def test_healthy_waits_for_docker_health(docker_engine, run_module):
    docker_engine.health = ['starting', 'starting', 'healthy']
    result = ok(run_module(state='healthy', **redis()))
    assert result['container']['state']['health'] == 'healthy'
    assert docker_engine.health == []


def test_healthy_without_any_health_check_fails_at_once(docker_engine, run_module):
    result = failed(run_module(state='healthy', **redis(healthcheck=None)))
    assert result['msg'] == ('Container onlyoffice-redis has no health check, so state=healthy cannot wait for it; '
                             'give healthcheck.test or use state=started')
    assert result['changed'] is True and 'logs' in result


def test_healthy_oom_message_has_no_document_server_advice(docker_engine, run_module):
    ok(run_module(**redis()))
    docker_engine.containers_by_name['onlyoffice-redis']['State'].update(
        Status='exited', Running=False, ExitCode=137, OOMKilled=True)
    result = failed(run_module(state='healthy', **redis()))
    assert 'was OOMKilled while waiting to become healthy (ExitCode 137, OOMKilled true); raise memory and see ' \
           'logs' in result['msg']


def test_absent_needs_no_image_and_keeps_the_volume(docker_engine, run_module):
    ok(run_module(**redis()))
    result = ok(run_module(name='onlyoffice-redis', state='absent', diff=True))
    assert result['actions'] == ['stop container', 'remove container']
    assert result['diff'] == {'before': {'state': 'running'}, 'after': {'state': 'absent'}}
    assert docker_engine.containers_by_name == {}
    assert ok(run_module(name='onlyoffice-redis', state='absent'))['changed'] is False


# ---------------------------------------------------------------- images

def test_image_archive_is_loaded_when_the_image_is_missing(docker_engine, run_module, tmp_path):
    archive = tmp_path / 'postgres.tar'
    archive.write_bytes(b'image tar')
    docker_engine.images = {}
    docker_engine.archive = {POSTGRES: POSTGRES_ID}
    result = ok(run_module(name='onlyoffice-postgresql', image=POSTGRES, image_archive=str(archive), pull='never'))
    assert result['actions'][0] == 'load image archive %s' % archive
    assert result['container']['image_id'] == POSTGRES_ID


def test_missing_image_is_pulled_with_registry_credentials(docker_engine, run_module):
    docker_engine.images = {}
    result = ok(run_module(registry_username='bot', registry_password='token', **redis()))
    assert result['actions'][0] == 'pull image %s' % REDIS
    assert ('pull', REDIS, {'username': 'bot', 'password': 'token'}) in docker_engine.calls


def test_pull_never_without_the_image(docker_engine, run_module):
    docker_engine.images = {}
    assert failed(run_module(pull='never', **redis()))['msg'].startswith('image: %s is not present on the target' % REDIS)


# ---------------------------------------------------------------- user errors: one line, naming the parameter

@pytest.mark.parametrize('overrides, message', [
    ({'image': 'redis:latest'}, "image: 'redis:latest' is not pinned; give a version tag such as postgres:15.8"),
    ({'image': 'redis'}, "image: 'redis' is not pinned"),
    ({'env': {'REDIS_PASSWORD': True}}, 'env.REDIS_PASSWORD: the value must be a string, got bool'),
    ({'volumes': [{'source': 'data', 'target': 'data'}]}, "volumes[0].target: 'data' must be an absolute path"),
    ({'healthcheck': {'interval': '1s'}}, 'healthcheck.test: give a shell command'),
    ({'healthcheck': {'test': 'true', 'timeout': 'soon'}}, "healthcheck.timeout: invalid duration 'soon'"),
    ({'stop_timeout': -1}, 'stop_timeout must be >= 0 and <= 3600, got -1'),
    ({'memory': 'lots'}, "memory: invalid size 'lots'"),
    ({'published_ports': [{'container_port': 6379, 'host_port': 0}]},
     'published_ports[0].host_port must be >= 1 and <= 65535, got 0'),
    ({'networks': [{'name': 'a'}, {'name': 'a'}]}, 'networks[1].name: a is listed twice'),
])
def test_invalid_parameters_fail_with_one_line(docker_engine, run_module, overrides, message):
    result = failed(run_module(**redis(**overrides)))
    assert result['msg'].startswith(message)
    assert docker_engine.calls == []


def test_image_is_required_unless_absent(docker_engine, run_module):
    args = redis()
    del args['image']
    assert failed(run_module(**args))['msg'] == 'state is started but all of the following are missing: image'


def test_state_healthy_with_the_health_check_disabled(docker_engine, run_module):
    result = failed(run_module(state='healthy', **redis(healthcheck={'disable': True})))
    assert result['msg'].startswith('healthcheck.disable: state=healthy waits for the healthcheck')


def test_a_public_port_warns(docker_engine, run_module):
    result = ok(run_module(**redis(published_ports=[{'container_port': 6379, 'host_port': 6379,
                                                     'host_ip': '0.0.0.0'}])))
    assert result['warnings'] == ['published port 0.0.0.0:6379:6379/tcp is reachable from outside: Docker publishes '
                                  'it past the host firewall; containers on the same network need no published port']
    assert result['container']['published_ports'] == ['0.0.0.0:6379:6379/tcp']
