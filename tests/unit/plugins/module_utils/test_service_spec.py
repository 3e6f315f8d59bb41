# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The generic container spec with the companion service kind, and the network spec."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.docops.onlyoffice.plugins.module_utils import _container_spec as cs
from ansible_collections.docops.onlyoffice.plugins.module_utils import _docker, _network
from ansible_collections.docops.onlyoffice.plugins.module_utils._container_module import container_argument_spec
from ansible_collections.docops.onlyoffice.plugins.modules import container_network

PASSWORD = 'p' * 16


def validated(argument_spec, args):
    """ARGS as AnsibleModule gives them to the module: typed, with every default."""
    result = ArgumentSpecValidator(argument_spec).validate(args)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def module_params(**overrides):
    """service_container's parameters for a PostgreSQL companion."""
    return validated(container_argument_spec(cs.SERVICE), dict({'name': 'onlyoffice-postgresql',
                                                                'image': 'postgres:15.8'}, **overrides))


def network_params(**args):
    return validated(container_network.argument_spec(), args)


def spec_of(**overrides):
    return cs.build_spec(module_params(**overrides), cs.SERVICE)


def error_of(**overrides):
    with pytest.raises(cs.SpecError) as info:
        spec_of(**overrides)
    return str(info.value)


def live_of(spec, **config):
    """The normalised live side of a container made from spec, with some `docker inspect` Config changed."""
    attrs = {
        'Name': '/' + spec['name'],
        'Image': 'sha256:' + '5' * 64,
        'Config': dict({'Image': spec['image'], 'Env': ['%s=%s' % item for item in spec['env'].items()],
                        'Cmd': spec['command'], 'Labels': spec['labels'], 'StopTimeout': spec['stop_timeout'],
                        'Healthcheck': {'Test': ['CMD-SHELL', 'pg_isready'], 'Interval': 5 * 10 ** 9}}, **config),
        'HostConfig': {'RestartPolicy': {'Name': spec['restart_policy']},
                       'LogConfig': {'Type': spec['log_driver'], 'Config': dict(spec['log_options'])}},
        'Mounts': [{'Type': 'volume', 'Name': volume.split(':')[0], 'Destination': volume.split(':')[1], 'RW': True}
                   for volume in spec['volumes']],
    }
    return cs.normalise_container(attrs)


# ---------------------------------------------------------------- defaults of the service kind

def test_service_defaults_publish_nothing_and_add_nothing():
    spec = spec_of()
    assert spec['published_ports'] == [] and spec['volumes'] == [] and spec['env'] == {}
    assert spec['healthcheck'] is None and spec['command'] is None and spec['networks'] is None
    assert spec['stop_timeout'] == 10 and spec['restart_policy'] == 'unless-stopped'


def test_no_volume_is_named_or_forbidden_for_a_service():
    volumes = spec_of(volumes=[{'source': 'pgdata', 'target': '/var/lib/postgresql/data'},
                               {'source': '/srv/conf', 'target': '/etc/onlyoffice', 'read_only': True}])['volumes']
    assert volumes == ['/srv/conf:/etc/onlyoffice:ro', 'pgdata:/var/lib/postgresql/data:rw']


def test_env_options_of_the_document_server_are_plain_variables_here():
    assert spec_of(env={'JWT_SECRET': 'x' * 32, 'POSTGRES_DB': 'onlyoffice'})['env'] == \
        {'JWT_SECRET': 'x' * 32, 'POSTGRES_DB': 'onlyoffice'}


def test_healthcheck_fields_get_the_service_defaults():
    assert spec_of(healthcheck={'test': 'pg_isready -U onlyoffice'})['healthcheck'] == {
        'test': ['CMD-SHELL', 'pg_isready -U onlyoffice'], 'interval': 5 * 10 ** 9, 'timeout': 10 * 10 ** 9,
        'start_period': 10 * 10 ** 9, 'retries': 3}


def test_a_healthcheck_without_a_test_is_refused():
    assert error_of(healthcheck={'retries': 5}).startswith('healthcheck.test: give a shell command')


def test_command_values_become_strings_and_empty_means_unmanaged():
    assert spec_of(command=['redis-server', '--port', 6380])['command'] == ['redis-server', '--port', '6380']
    assert spec_of(command=[])['command'] is None


def test_name_and_image_have_no_default():
    spec = container_argument_spec(cs.SERVICE)
    assert spec['name'] == {'type': 'str', 'required': True}
    assert 'default' not in spec['image'] and spec['published_ports']['options']['container_port']['required']
    assert error_of(image='') == "image: '' is not an image reference"


def test_absent_needs_no_image():
    assert spec_of(image=None, state='absent')['image'] is None


def test_the_image_example_is_a_service_image():
    assert "give a version tag such as postgres:15.8 (not 'latest')" in error_of(image='redis:latest')


def test_only_public_ports_are_listed():
    spec = spec_of(published_ports=[{'container_port': 5432, 'host_port': 5432, 'host_ip': '127.0.0.1'},
                                    {'container_port': 6379, 'host_port': 6379, 'host_ip': '::'}])
    assert cs.public_ports(spec) == ['[::]:6379:6379/tcp']


# ---------------------------------------------------------------- secrets on the command line

@pytest.mark.parametrize('command, shown', [
    (['redis-server', '--requirepass', PASSWORD], ['redis-server', '--requirepass', '********']),
    (['redis-server', '--requirepass=' + PASSWORD], ['redis-server', '--requirepass=********']),
    (['server', '--db-password', PASSWORD, '--port', '1'], ['server', '--db-password', '********', '--port', '1']),
    (['server', '--api-token=' + PASSWORD, 'TOKEN'], ['server', '--api-token=********', 'TOKEN']),
    (['redis-server', '--appendonly', 'yes'], ['redis-server', '--appendonly', 'yes']),
    (None, None),
])
def test_mask_command(command, shown):
    assert cs.mask_command(command) == shown


def test_display_spec_masks_the_command():
    shown = cs.display_spec(spec_of(command=['redis-server', '--requirepass', PASSWORD]))
    assert shown['command'] == ['redis-server', '--requirepass', '********']
    assert shown['healthcheck'] is None


# ---------------------------------------------------------------- compare

def test_the_same_spec_gives_no_difference():
    spec = spec_of(command=['postgres', '-c', 'max_connections=200'], env={'POSTGRES_PASSWORD': PASSWORD},
                   volumes=[{'source': 'pgdata', 'target': '/var/lib/postgresql/data'}])
    assert not cs.compare(spec, live_of(spec))


def test_a_changed_command_is_a_masked_difference():
    old = spec_of(command=['redis-server', '--requirepass', PASSWORD])
    new = spec_of(command=['redis-server', '--requirepass', 'o' * 16])
    assert cs.compare(new, live_of(old)).differences == [{
        'option': 'command', 'before': ['redis-server', '--requirepass', '********'],
        'after': ['redis-server', '--requirepass', '********']}]


def test_unset_command_and_healthcheck_are_not_compared():
    spec = spec_of()
    live = live_of(spec, Cmd=['redis-server'], Healthcheck={'Test': ['CMD', 'true']})
    assert not cs.compare(spec, live)


def test_a_given_healthcheck_is_compared():
    spec = spec_of(healthcheck={'test': 'pg_isready'})
    assert cs.compare(spec, live_of(spec)).options == ['healthcheck.retries', 'healthcheck.start_period',
                                                       'healthcheck.timeout']


# ---------------------------------------------------------------- log configuration

def live_with_log(spec, log_config):
    live = live_of(spec)
    live.update(cs.normalise_container({'HostConfig': {'LogConfig': log_config}}), **{
        key: live[key] for key in live if key not in ('log_driver', 'log_options')})
    return live


def test_a_container_made_without_log_rotation_differs_once():
    spec = spec_of()
    live = live_with_log(spec, {'Type': 'json-file', 'Config': {}})
    assert cs.compare(spec, live).differences == [
        {'option': 'log_options.max-file', 'before': None, 'after': '5'},
        {'option': 'log_options.max-size', 'before': None, 'after': '10m'}]


def test_log_options_the_engine_adds_are_left_alone():
    spec = spec_of()
    live = live_with_log(spec, {'Type': 'json-file', 'Config': {'max-size': '10m', 'max-file': '5', 'compress': 'true'}})
    assert not cs.compare(spec, live)


def test_keeping_an_unrotated_container_as_it_is():
    spec = spec_of(log_options={})
    assert not cs.compare(spec, live_with_log(spec, {'Type': 'json-file', 'Config': {}}))


def test_another_default_driver_of_the_engine_differs():
    spec = spec_of()
    assert cs.compare(spec, live_with_log(spec, {'Type': 'journald'})).options == [
        'log_driver', 'log_options.max-file', 'log_options.max-size']


@pytest.mark.parametrize('args, message', [
    ({'log_driver': 'journald'}, 'log_options.max-size: the journald log driver does not take it (only json-file and '
                                 'local do); give the options of journald, or {}'),
    ({'log_driver': 'bad driver'}, "log_driver: 'bad driver' is not a log driver name"),
    ({'log_options': {'max-size': 'huge'}}, "log_options.max-size: invalid size 'huge'"),
    ({'log_options': {'max-size': '1e30'}}, "log_options.max-size: invalid size '1e30'"),
    ({'log_options': {'max-size': '200g'}}, 'log_options.max-size: 200g is out of range; use from 1k to 100g'),
    ({'log_options': {'max-size': '10'}}, 'log_options.max-size: 10 is out of range; use from 1k to 100g'),
    ({'log_options': {'max-file': '0'}}, 'log_options.max-file must be >= 1 and <= 100, got 0'),
    ({'log_options': {'max-file': 'nan'}}, "log_options.max-file must be a number, got 'nan'"),
    ({'log_options': {'max-file': 1000}}, 'log_options.max-file must be >= 1 and <= 100, got 1000'),
    ({'log_options': {'max-file': True}}, 'log_options.max-file: the value must be a string'),
    ({'log_options': {'max_size': '10m', 'max_files': '5'}},
     'log_options.max_files: not an option of the json-file log driver; use max-size, max-file, compress, labels, '
     'labels-regex, env, env-regex, tag, mode, max-buffer-size'),
    ({'log_driver': 'local', 'log_options': {'tag': 'x'}},
     'log_options.tag: not an option of the local log driver; use max-size, max-file, compress, mode, max-buffer-size'),
])
def test_invalid_log_configuration_names_the_option(args, message):
    assert error_of(**args).startswith(message)


def test_log_options_become_strings_for_docker():
    spec = spec_of(log_driver='local', log_options={'max-size': '50m', 'max-file': 3, 'compress': 'false'})
    assert (spec['log_driver'], spec['log_options']) == ('local', {'max-size': '50m', 'max-file': '3',
                                                                   'compress': 'false'})


# ---------------------------------------------------------------- networks

def test_network_spec_defaults():
    assert _network.build_network_spec(network_params(name='onlyoffice')) == \
        {'name': 'onlyoffice', 'driver': 'bridge', 'internal': False, 'labels': {}}


@pytest.mark.parametrize('name', ['bridge', 'host', 'none'])
def test_docker_own_networks_are_refused(name):
    with pytest.raises(cs.SpecError, match='is a network Docker makes itself'):
        _network.build_network_spec(network_params(name=name))


def test_network_compare_only_the_labels_the_user_sets():
    wanted = _network.build_network_spec(network_params(name='n', internal=True, labels={'a': '1'}))
    live = _network.normalise_network({'Name': 'n', 'Driver': 'bridge', 'Internal': False,
                                       'Labels': {'a': '1', 'b': '2'}})
    assert _network.compare_network(wanted, live).differences == [
        {'option': 'internal', 'before': False, 'after': True}]


class PsClient:
    """`docker ps -a --filter network=<id>` answers."""

    def __init__(self, containers):
        self.containers_seen = containers
        self.filters = None

    def containers(self, all=False, filters=None):
        self.filters = (all, filters)
        return self.containers_seen


def test_network_containers_include_stopped_ones():
    client = PsClient([{'Names': ['/stopped-db']}, {'Names': ['/cache']}])
    network = {'Id': 'n1', 'Containers': {'c1': {'Name': 'cache'}}}
    assert _docker.network_containers(client, network) == ['cache', 'stopped-db']
    assert client.filters == (True, {'network': 'n1'})


def test_secret_values_cover_secret_env_and_command_options():
    spec = spec_of(env={'POSTGRES_PASSWORD': 'pg-secret-0123456', 'POSTGRES_USER': 'onlyoffice',
                        'AMQP_URI': 'amqp://u:amqp-secret-012345@h'},
                   command=['redis-server', '--requirepass', 'redis-secret-0123', '--password=other-secret-0123',
                            '--port', '6379'])
    assert cs.secret_values(spec) == {'pg-secret-0123456', 'amqp-secret-012345', 'redis-secret-0123',
                                      'other-secret-0123'}
