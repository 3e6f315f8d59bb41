# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""container_network run as a module against an in-memory fake Docker engine."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest
from docker.errors import DockerException

from ansible_collections.docops.onlyoffice.plugins.module_utils import _docker
from ansible_collections.docops.onlyoffice.plugins.modules import container_network
from ansible_collections.docops.onlyoffice.tests.unit.plugins.modules.fake_docker import (
    IMAGE,
    FakeDocker,
)
from ansible_collections.docops.onlyoffice.tests.unit.plugins.modules.module_runner import failed, module_runner, ok


@pytest.fixture
def docker_engine(monkeypatch):
    engine = FakeDocker()
    monkeypatch.setattr(_docker, 'get_client', lambda params: engine)
    return engine


@pytest.fixture
def run_module(monkeypatch):
    return module_runner(monkeypatch, container_network)


def attach(engine, container, network, running=True):
    """A container made elsewhere on that network, running or stopped."""
    engine.create_container(IMAGE, name=container, environment={}, labels={},
                            host_config=engine.create_host_config(network_mode=network),
                            networking_config=engine.create_networking_config(
                                {network: engine.create_endpoint_config()}))
    if running:
        engine.start(container)
    engine.calls = []


# ---------------------------------------------------------------- present

def test_create_then_nothing_to_do(docker_engine, run_module):
    result = ok(run_module(name='onlyoffice', labels={'docops.stack': 'onlyoffice'}, diff=True))
    assert result['changed'] is True and result['actions'] == ['create network']
    assert docker_engine.calls == [('create_network', 'onlyoffice', 'bridge', False, {'docops.stack': 'onlyoffice'})]
    assert result['diff'] == {'before': {'state': 'absent'},
                              'after': {'state': 'present', 'name': 'onlyoffice', 'driver': 'bridge',
                                        'internal': False, 'labels': {'docops.stack': 'onlyoffice'}}}
    network = result['network']
    assert (network['name'], network['driver'], network['internal'], network['containers']) == \
        ('onlyoffice', 'bridge', False, [])
    assert network['id'] == docker_engine.networks['onlyoffice']['Id']
    docker_engine.calls = []
    result = ok(run_module(name='onlyoffice', labels={'docops.stack': 'onlyoffice'}))
    assert result['changed'] is False and result['actions'] == [] and docker_engine.calls == []


def test_check_mode_create_changes_nothing(docker_engine, run_module):
    result = ok(run_module(name='onlyoffice', check_mode=True))
    assert result['changed'] is True and result['actions'] == ['create network']
    assert docker_engine.calls == [] and docker_engine.networks == {}
    assert result['network'] == {}


def test_labels_not_listed_are_left_alone(docker_engine, run_module):
    docker_engine.add_network('onlyoffice', labels={'com.docker.compose.project': 'x', 'docops.stack': 'onlyoffice'})
    assert ok(run_module(name='onlyoffice', labels={'docops.stack': 'onlyoffice'}))['changed'] is False


@pytest.mark.parametrize('args, differences', [
    ({'internal': True}, {'before': {'internal': False}, 'after': {'internal': True}}),
    ({'driver': 'macvlan'}, {'before': {'driver': 'bridge'}, 'after': {'driver': 'macvlan'}}),
    ({'labels': {'docops.stack': 'new'}}, {'before': {'labels.docops.stack': None},
                                           'after': {'labels.docops.stack': 'new'}}),
])
def test_a_different_network_without_containers_is_recreated(docker_engine, run_module, args, differences):
    docker_engine.add_network('onlyoffice')
    old_id = docker_engine.networks['onlyoffice']['Id']
    result = ok(run_module(name='onlyoffice', diff=True, **args))
    assert result['changed'] is True and result['diff'] == differences
    assert result['actions'] == ['recreate network: %s changed' % list(differences['after'])[0], 'remove network',
                                 'create network']
    assert result['network']['id'] != old_id


def test_check_mode_recreate_changes_nothing(docker_engine, run_module):
    docker_engine.add_network('onlyoffice')
    result = ok(run_module(name='onlyoffice', internal=True, check_mode=True))
    assert result['changed'] is True and docker_engine.calls == []
    assert docker_engine.networks['onlyoffice']['Internal'] is False


def test_a_different_network_with_containers_attached_is_not_touched(docker_engine, run_module):
    docker_engine.add_network('onlyoffice')
    attach(docker_engine, 'onlyoffice-redis', 'onlyoffice')
    attach(docker_engine, 'onlyoffice-postgresql', 'onlyoffice', running=False)
    result = failed(run_module(name='onlyoffice', internal=True))
    assert result['msg'] == ('Cannot change network onlyoffice (internal is false, wanted true): Docker changes a '
                             'network only by recreating it, and containers onlyoffice-postgresql, onlyoffice-redis '
                             'are attached; remove the containers first, or keep the network as it is')
    assert result['containers'] == ['onlyoffice-postgresql', 'onlyoffice-redis']
    assert result['changed'] is False and docker_engine.calls == []


# ---------------------------------------------------------------- absent

def test_absent_removes_an_unused_network(docker_engine, run_module):
    docker_engine.add_network('onlyoffice')
    result = ok(run_module(name='onlyoffice', state='absent', diff=True))
    assert result['actions'] == ['remove network']
    assert result['diff'] == {'before': {'state': 'present'}, 'after': {'state': 'absent'}}
    assert docker_engine.networks == {} and result['network'] == {}
    assert ok(run_module(name='onlyoffice', state='absent'))['changed'] is False


def test_absent_refuses_while_a_stopped_container_is_attached(docker_engine, run_module):
    docker_engine.add_network('onlyoffice')
    attach(docker_engine, 'onlyoffice-redis', 'onlyoffice', running=False)
    result = failed(run_module(name='onlyoffice', state='absent'))
    assert result['msg'] == ('Cannot remove network onlyoffice: container onlyoffice-redis is attached; remove the '
                             'containers first, or set force: true to disconnect them')
    assert 'onlyoffice' in docker_engine.networks


def test_absent_with_force_disconnects_then_removes(docker_engine, run_module):
    docker_engine.add_network('onlyoffice')
    attach(docker_engine, 'onlyoffice-redis', 'onlyoffice')
    result = ok(run_module(name='onlyoffice', state='absent', force=True, check_mode=True))
    assert result['actions'] == ['disconnect container onlyoffice-redis', 'remove network']
    assert docker_engine.calls == []
    result = ok(run_module(name='onlyoffice', state='absent', force=True))
    assert docker_engine.calls == [('disconnect', 'onlyoffice-redis', 'onlyoffice', True),
                                   ('remove_network', 'onlyoffice')]
    assert docker_engine.containers_by_name['onlyoffice-redis']['NetworkSettings']['Networks'] == {}


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize('name, message', [
    ('bridge', 'name: bridge is a network Docker makes itself; choose another name'),
    ('-bad name', "name: '-bad name' is not a valid network name"),
])
def test_invalid_names(docker_engine, run_module, name, message):
    assert failed(run_module(name=name))['msg'].startswith(message)


def test_label_values_must_be_strings(docker_engine, run_module):
    assert failed(run_module(name='onlyoffice', labels={'x': True}))['msg'].startswith(
        'labels.x: the value must be a string, got bool')


def test_no_docker_engine(run_module, monkeypatch):
    def unreachable(params):
        raise DockerException("Error while fetching server API version: ('Connection aborted.', "
                              "PermissionError(13, 'Permission denied'))")

    monkeypatch.setattr(_docker, 'get_client', unreachable)
    assert failed(run_module(name='onlyoffice'))['msg'].startswith('Permission denied on the Docker socket')


def test_a_docker_error_names_the_operation(docker_engine, run_module, monkeypatch):
    def refuse(name, **kwargs):
        raise DockerException('could not find plugin macvlan2 in v1 plugin registry: plugin not found')

    monkeypatch.setattr(docker_engine, 'create_network', refuse)
    assert failed(run_module(name='onlyoffice', driver='macvlan2'))['msg'] == (
        'Cannot create network onlyoffice: an unexpected Docker error occurred: could not find plugin macvlan2 in v1 '
        'plugin registry: plugin not found')


@pytest.mark.parametrize('timeout, message', [
    (-5, 'timeout must be >= 1 and <= 3600, got -5'),
    (1e30, 'timeout must be >= 1 and <= 3600, got 1000000000000000019884624838656'),
    (float('inf'), 'timeout must be a finite number, got inf'),
])
def test_a_bad_docker_timeout_fails_before_the_engine_is_contacted(run_module, monkeypatch, timeout, message):
    made = []
    monkeypatch.setattr(_docker.docker, 'APIClient', lambda **kwargs: made.append(kwargs))
    result = failed(run_module(name='onlyoffice', timeout=timeout))
    assert result['msg'] == message or result['msg'].startswith("argument 'timeout'")
    assert made == []


def test_an_invalid_driver_name_fails_before_the_engine_is_contacted(docker_engine, run_module):
    assert failed(run_module(name='onlyoffice', driver='my driver'))['msg'] == (
        "driver: 'my driver' is not a network driver name such as bridge or overlay")
    assert docker_engine.calls == []
