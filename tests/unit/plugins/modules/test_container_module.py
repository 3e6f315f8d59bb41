# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The shared runner of documentserver_container and service_container, run as both modules.

Every bad parameter fails before the Docker engine is contacted (no client is even made),
with one line naming the parameter and never the value. exit_json is patched here, so
these tests show what the modules hand back and add to no_log_values; they do not show
Ansible's own no_log filter at work.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import inspect
import re

import pytest

from ansible_collections.docops.onlyoffice.plugins.module_utils import _container_lifecycle, _docker
from ansible_collections.docops.onlyoffice.plugins.module_utils import _container_spec as cs
from ansible_collections.docops.onlyoffice.plugins.module_utils import _documentserver_spec as ds
from ansible_collections.docops.onlyoffice.plugins.module_utils._container_module import container_argument_spec
from ansible_collections.docops.onlyoffice.plugins.modules import documentserver_container, service_container
from ansible_collections.docops.onlyoffice.tests.unit.plugins.modules.fake_docker import FakeDocker, FakeTime
from ansible_collections.docops.onlyoffice.tests.unit.plugins.modules.module_runner import failed, module_runner, ok

JWT = 'j' * 32
LINK = 'l' * 32
PASSWORD = 'Pw0' * 6  # 18 characters
REDIS = 'redis:7.0.15'
DOCUMENTSERVER_ARGS = {'jwt_secret': JWT, 'secure_link_secret': LINK}
SERVICE_ARGS = {'name': 'onlyoffice-redis', 'image': REDIS}
MODULES = {
    'documentserver_container': (documentserver_container, DOCUMENTSERVER_ARGS),
    'service_container': (service_container, SERVICE_ARGS),
}


def refused(message, expected):
    """MESSAGE is EXPECTED, or (ansible-core < 2.19 refuses a float such as 1e30 for an int option by
    itself) Ansible's own one-line type error naming the same option."""
    if message.startswith(expected):
        return True
    option = re.split(r'[.\]]', expected.split(' ')[0])[-1]
    return ' got 1000000000000000' in expected and message.startswith("argument '%s' is of type" % option) \
        and '\n' not in message


class Connections:
    """get_client stand-in: counts the clients made, hands out the fake engine."""

    def __init__(self):
        self.engine = FakeDocker()
        self.engine.images[REDIS] = 'sha256:' + '7' * 64
        self.made = 0

    def get_client(self, params):
        self.made += 1
        return self.engine


@pytest.fixture
def docker(monkeypatch):
    connections = Connections()
    monkeypatch.setattr(_docker, 'get_client', connections.get_client)
    monkeypatch.setattr(_container_lifecycle, 'time', FakeTime())
    return connections


@pytest.fixture(params=sorted(MODULES))
def run_either(request, monkeypatch):
    """run(**args) of one module, with that module's minimal valid arguments under ARGS."""
    module, base = MODULES[request.param]
    run = module_runner(monkeypatch, module)

    def run_with(**args):
        return run(**dict(base, **args))

    run_with.module_name = request.param
    run_with.modules = run.modules
    return run_with


@pytest.fixture
def run_documentserver(monkeypatch):
    run = module_runner(monkeypatch, documentserver_container)

    def run_with(**args):
        return run(**dict(DOCUMENTSERVER_ARGS, **args))

    run_with.modules = run.modules
    return run_with


@pytest.fixture
def run_service(monkeypatch):
    run = module_runner(monkeypatch, service_container)

    def run_with(**args):
        return run(**dict(SERVICE_ARGS, **args))

    run_with.modules = run.modules
    return run_with


def failed_before_docker(result, docker):
    failed(result)
    assert docker.made == 0 and docker.engine.calls == [] and docker.engine.containers_by_name == {}
    return result['msg']


# ---------------------------------------------------------------- one spec, one runner

def test_the_module_files_only_call_the_shared_runner():
    for module in (documentserver_container, service_container):
        assert [line.strip() for line in inspect.getsource(module.main).splitlines()[1:]] == \
            ['run_container_module(%s)' % ('DOCUMENTSERVER' if module is documentserver_container else 'SERVICE')]


def test_both_modules_share_every_common_option():
    documentserver = container_argument_spec(ds.DOCUMENTSERVER)
    service = container_argument_spec(cs.SERVICE)
    own = set(ds.OPTIONS) | set(cs.SERVICE.options)
    assert set(documentserver) - set(service) == set(ds.OPTIONS)
    assert set(service) - set(documentserver) == set(cs.SERVICE.options)
    for option in set(documentserver) - own:
        if option not in ('name', 'image', 'published_ports', 'healthcheck', 'stop_timeout'):
            assert documentserver[option] == service[option], option


@pytest.mark.parametrize('kind, name, image, ports, stop_timeout', [
    (ds.DOCUMENTSERVER, {'type': 'str', 'default': 'onlyoffice-documentserver'},
     {'type': 'str', 'default': 'onlyoffice/documentserver:9.4.0'}, ds.DEFAULT_PUBLISHED_PORTS, 60),
    (cs.SERVICE, {'type': 'str', 'required': True}, {'type': 'str'}, [], 10),
])
def test_the_kind_gives_the_defaults_that_differ(kind, name, image, ports, stop_timeout):
    spec = container_argument_spec(kind)
    assert (spec['name'], spec['image'], spec['published_ports']['default'], spec['stop_timeout']['default']) == \
        (name, image, ports, stop_timeout)
    assert spec['health_timeout']['default'] == cs.DEFAULT_HEALTH_TIMEOUT == 300
    assert spec['log_driver']['default'] == 'json-file'
    assert spec['log_options']['default'] == {'max-size': '10m', 'max-file': '5'}


def test_the_argument_spec_defaults_are_copies():
    container_argument_spec(ds.DOCUMENTSERVER)['published_ports']['default'][0]['host_port'] = 1
    container_argument_spec(cs.SERVICE)['log_options']['default']['max-size'] = '1k'
    assert ds.DEFAULT_PUBLISHED_PORTS[0]['host_port'] == 8080 and cs.DEFAULT_LOG_OPTIONS['max-size'] == '10m'


def test_both_modules_run_the_same_life_cycle(docker, run_either):
    result = ok(run_either())
    assert result['actions'] == ['create container', 'start container'] and docker.made == 1
    assert ok(run_either())['changed'] is False


# ---------------------------------------------------------------- numbers: checked before Docker is contacted

@pytest.mark.parametrize('args, message', [
    ({'health_timeout': -1}, 'health_timeout must be >= 1 and <= 3600, got -1'),
    ({'health_timeout': 0}, 'health_timeout must be >= 1 and <= 3600, got 0'),
    ({'health_timeout': 1e30}, 'health_timeout must be >= 1 and <= 3600, got 1000000000000000019884624838656'),
    ({'health_timeout': '1e30'}, 'health_timeout must be >= 1 and <= 3600, got 1000000000000000000000000000000'),
    ({'health_timeout': 3601}, 'health_timeout must be >= 1 and <= 3600, got 3601'),
    ({'stop_timeout': -5}, 'stop_timeout must be >= 0 and <= 3600, got -5'),
    ({'stop_timeout': 10 ** 12}, 'stop_timeout must be >= 0 and <= 3600, got 1000000000000'),
    ({'published_ports': [{'container_port': 80, 'host_port': 0}]},
     'published_ports[0].host_port must be >= 1 and <= 65535, got 0'),
    ({'published_ports': [{'container_port': 80, 'host_port': 8080}, {'container_port': 1e30, 'host_port': 8081}]},
     'published_ports[1].container_port must be >= 1 and <= 65535, got 1000000000000000019884624838656'),
    ({'published_ports': [{'container_port': 80, 'host_port': -8080}]},
     'published_ports[0].host_port must be >= 1 and <= 65535, got -8080'),
    ({'healthcheck': {'test': 'true', 'retries': 0}}, 'healthcheck.retries must be >= 1 and <= 100, got 0'),
    ({'healthcheck': {'test': 'true', 'retries': 1e30}},
     'healthcheck.retries must be >= 1 and <= 100, got 1000000000000000019884624838656'),
    ({'healthcheck': {'test': 'true', 'interval': 'nan'}}, "healthcheck.interval: invalid duration 'nan'"),
    ({'healthcheck': {'test': 'true', 'interval': float('inf')}}, "healthcheck.interval: invalid duration 'inf'"),
    ({'healthcheck': {'test': 'true', 'timeout': 1e30}}, "healthcheck.timeout: invalid duration '1e+30'"),
    ({'healthcheck': {'test': 'true', 'timeout': '2h'}}, "healthcheck.timeout: '2h' is out of range; use from 1ms to 1h"),
    ({'healthcheck': {'test': 'true', 'interval': '0'}}, "healthcheck.interval: '0' is out of range; use from 1ms to 1h"),
    ({'healthcheck': {'test': 'true', 'start_period': '-1s'}}, "healthcheck.start_period: invalid duration '-1s'"),
    ({'memory': '1e30'}, "memory: invalid size '1e30'"),
    ({'memory': '100t'}, 'memory: 100t is above 64t'),
    ({'memory': 'nan'}, "memory: invalid size 'nan'"),
    ({'memory': '1g', 'memory_swap': '999999t'}, 'memory_swap: 999999t is out of range; use from 0 to 64t'),
    ({'log_options': {'max-size': 'inf'}}, "log_options.max-size: invalid size 'inf'"),
    ({'log_options': {'max-file': '-1'}}, 'log_options.max-file must be >= 1 and <= 100, got -1'),
    ({'log_options': {'max-file': '1e30'}}, "log_options.max-file must be a number, got '1e30'"),
])
def test_a_bad_number_fails_before_docker_is_contacted(docker, run_either, args, message):
    assert refused(failed_before_docker(run_either(**args), docker), message)


@pytest.mark.parametrize('value', [float('nan'), 'nan', 1.5, 'ten'])
def test_a_non_integer_is_refused_by_ansible_naming_the_option(docker, run_either, value):
    message = failed_before_docker(run_either(health_timeout=value), docker)
    assert message.startswith("argument 'health_timeout' is of type")


@pytest.mark.parametrize('args, message', [
    ({'health_timeout': float('inf')}, 'health_timeout must be a finite number, got inf'),
    ({'health_timeout': 'Infinity'}, 'health_timeout must be a finite number, got Infinity'),
    ({'stop_timeout': float('-inf')}, 'stop_timeout must be a finite number, got -inf'),
    ({'timeout': float('inf')}, 'timeout must be a finite number, got inf'),
    ({'published_ports': [{'container_port': 80, 'host_port': 8080}, {'container_port': 81, 'host_port': float('inf')}]},
     'published_ports[1].host_port must be a finite number, got inf'),
    ({'healthcheck': {'test': 'true', 'retries': float('inf')}}, 'healthcheck.retries must be a finite number, got inf'),
])
def test_an_infinite_integer_is_one_line_not_a_traceback(docker, run_either, args, message):
    # ansible-core 2.19 raises OverflowError converting it; older releases give a type error.
    message_seen = failed_before_docker(run_either(**args), docker)
    assert message_seen == message or message_seen.startswith("argument '")


@pytest.mark.parametrize('args, message', [
    ({'database': {'host': 'db', 'port': 0}}, 'database.port must be >= 1 and <= 65535, got 0'),
    ({'database': {'host': 'db', 'port': 65536}}, 'database.port must be >= 1 and <= 65535, got 65536'),
    ({'database': {'host': 'db', 'port': '1e30'}},
     'database.port must be >= 1 and <= 65535, got 1000000000000000000000000000000'),
    ({'redis': {'host': 'cache', 'port': -6379}}, 'redis.port must be >= 1 and <= 65535, got -6379'),
    ({'stop_timeout': 59}, 'stop_timeout: 59 s is too short; the Document Server drains sessions on stop and needs '
                           'at least 60 s'),
])
def test_document_server_numbers(docker, run_documentserver, args, message):
    assert refused(failed_before_docker(run_documentserver(**args), docker), message)


@pytest.mark.parametrize('timeout, message', [
    (-5, 'timeout must be >= 1 and <= 3600, got -5'),
    (0, 'timeout must be >= 1 and <= 3600, got 0'),
    (1e30, 'timeout must be >= 1 and <= 3600, got 1000000000000000019884624838656'),
])
def test_a_bad_docker_timeout_is_a_parameter_error_not_an_unreachable_engine(monkeypatch, run_either, timeout,
                                                                             message):
    made = []
    monkeypatch.setattr(_docker.docker, 'APIClient', lambda **kwargs: made.append(kwargs))
    assert refused(failed(run_either(timeout=timeout))['msg'], message)
    assert made == []


def test_the_docker_timeout_from_the_environment_is_checked(monkeypatch, run_either):
    made = []
    monkeypatch.setattr(_docker.docker, 'APIClient', lambda **kwargs: made.append(kwargs))
    monkeypatch.setenv('DOCKER_TIMEOUT', '-5')
    assert failed(run_either())['msg'] == 'timeout must be >= 1 and <= 3600, got -5'
    assert made == []


def test_a_bad_health_timeout_leaves_the_container_alone(docker, run_documentserver):
    ok(run_documentserver())
    docker.engine.calls = []
    failed(run_documentserver(state='healthy', health_timeout=-1, memory='4g'))
    assert docker.engine.calls == []


# ---------------------------------------------------------------- secrets: every way in, checked before Docker

@pytest.mark.parametrize('args, message', [
    ({'jwt_secret': 'j' * 31}, 'jwt_secret is too short: 31 characters, at least 32 are required'),
    ({'jwt_secret': 'j' * 31 + '$'}, "jwt_secret contains '$', which breaks the container's config quoting"),
    ({'jwt_secret': 'j' * 31 + ' '}, 'jwt_secret contains a whitespace, control or non-ASCII character (code 32), '
                                     'which the container\'s config cannot hold'),
    ({'jwt_secret': 'j' * 4097}, 'jwt_secret is too long: 4097 characters, at most 4096 are allowed'),
    ({'secure_link_secret': 'l' * 20}, 'secure_link_secret is too short: 20 characters, at least 32 are required'),
    ({'database': {'host': 'db', 'password': 'p' * 15}},
     'database.password is too short: 15 characters, at least 16 are required'),
    ({'database': {'host': 'db', 'password': 'p' * 15 + '"'}},
     'database.password contains \'"\', which breaks the container\'s config quoting'),
    ({'redis': {'host': 'cache', 'password': 'Qz9xw'}},
     'redis.password is too short: 5 characters, at least 16 are required'),
    ({'amqp_uri': 'amqp://guest:guest@rabbitmq:5672'},
     'amqp_uri (its password) is too short: 5 characters, at least 16 are required'),
    ({'amqp_uri': 'amqp://[broken'}, 'amqp_uri: not a valid URI such as amqp://user:password@host:5672'),
    ({'jwt_secret': None, 'env': {'JWT_SECRET': 'j' * 31}},
     'env.JWT_SECRET is too short: 31 characters, at least 32 are required'),
    ({'secure_link_secret': None, 'env': {'SECURE_LINK_SECRET': 'l' * 16}},
     'env.SECURE_LINK_SECRET is too short: 16 characters, at least 32 are required'),
    ({'env': {'SMTP_PASSWORD': 'p' * 15}}, 'env.SMTP_PASSWORD is too short: 15 characters, at least 16 are required'),
    ({'env': {'AMQP_URI': 'amqp://u:pw@rabbit'}},
     'env.AMQP_URI (its password) is too short: 2 characters, at least 16 are required'),
])
def test_document_server_secrets_are_checked_on_every_way_in(docker, run_documentserver, args, message):
    msg = failed_before_docker(run_documentserver(**args), docker)
    assert msg == message
    for value in ('j' * 31, 'l' * 20, 'p' * 15, 'Qz9xw', 'guest', 'pw@'):
        assert value not in msg


@pytest.mark.parametrize('args, message', [
    ({'env': {'POSTGRES_PASSWORD': 'p' * 15}},
     'env.POSTGRES_PASSWORD is too short: 15 characters, at least 16 are required'),
    ({'env': {'RABBITMQ_DEFAULT_PASS': 'p' * 15 + '`'}},
     "env.RABBITMQ_DEFAULT_PASS contains '`', which breaks the container's config quoting"),
    ({'env': {'API_TOKEN': ''}}, 'env.API_TOKEN is too short: 0 characters, at least 16 are required'),
    ({'env': {'JWT_SECRET': 'j' * 16}}, 'env.JWT_SECRET is too short: 16 characters, at least 32 are required'),
    ({'command': ['redis-server', '--requirepass', 'p' * 15]},
     'command[2] is too short: 15 characters, at least 16 are required'),
    ({'command': ['server', '--db-password=' + 'p' * 8]},
     'command[1] is too short: 8 characters, at least 16 are required'),
])
def test_service_secrets_are_checked_on_every_way_in(docker, run_service, args, message):
    assert failed_before_docker(run_service(**args), docker) == message


def test_passwords_of_sixteen_and_keys_of_thirty_two_characters_pass(docker, run_documentserver):
    ok(run_documentserver(database={'host': 'db', 'password': 'p' * 16}, redis={'host': 'r', 'password': 'q' * 16},
                          amqp_uri='amqp://oo:%s@rabbit:5672' % ('a' * 16), env={'SMTP_PASSWORD': 's' * 16}))


def test_the_registry_password_is_not_held_to_the_secret_rules_and_never_returned(docker, run_service):
    docker.engine.images = {}
    docker.engine.registry = {REDIS: 'sha256:' + '7' * 64}
    result = ok(run_service(registry_username='bot', registry_password='a$b'))
    assert ('pull', REDIS, {'username': 'bot', 'password': 'a$b'}) in docker.engine.calls
    assert 'a$b' not in repr(result)


# ---------------------------------------------------------------- masking: only accepted secrets, never returned

def test_only_the_accepted_secrets_are_added_to_no_log_values(docker, run_service):
    ok(run_service(env={'POSTGRES_PASSWORD': PASSWORD, 'TZ': 'UTC', 'POSTGRES_USER': 'onlyoffice'},
                   command=['redis-server', '--requirepass', 'r' * 16, '--port', '6379']))
    # service_container has no no_log option but registry_password: what is there, the module added.
    assert run_service.modules[-1].no_log_values == {PASSWORD, 'r' * 16}


def test_a_uri_adds_its_password_only(docker, run_service):
    password = 'a' * 16
    ok(run_service(env={'AMQP_URI': 'amqp://onlyoffice:%s@rabbitmq:5672' % password}))
    assert run_service.modules[-1].no_log_values == {password}


def test_a_refused_secret_adds_nothing_to_no_log_values(docker, run_service):
    failed(run_service(env={'POSTGRES_PASSWORD': 'abc', 'TZ': 'UTC'}))
    assert run_service.modules[-1].no_log_values == set()


def test_no_secret_passed_in_is_handed_back(docker, run_documentserver):
    secrets = {'jwt_secret': 'J' * 40, 'secure_link_secret': 'L' * 40, 'amqp_uri': 'amqp://u:%s@rabbit' % ('A' * 20),
               'database': {'host': 'db', 'password': 'D' * 20}, 'redis': {'host': 'r', 'password': 'R' * 20},
               'env': {'SMTP_PASSWORD': 'S' * 20}, 'registry_username': 'bot', 'registry_password': 'G' * 20}
    ok(run_documentserver(**secrets))
    result = ok(run_documentserver(diff=True, **dict(secrets, jwt_secret='K' * 40)))
    assert result['changed'] is True and result['diff']['after'] == {'env.JWT_SECRET': '********'}
    shown = repr(result)
    for value in ('J' * 40, 'K' * 40, 'L' * 40, 'A' * 20, 'D' * 20, 'R' * 20, 'S' * 20, 'G' * 20):
        assert value not in shown
    assert result['container']['env']['AMQP_URI'] == '********'


# ---------------------------------------------------------------- logs

def test_the_container_log_is_rotated_by_default(docker, run_either):
    result = ok(run_either())
    name = result['container']['name']
    assert docker.engine.containers_by_name[name]['HostConfig']['LogConfig'] == {
        'Type': 'json-file', 'Config': {'max-size': '10m', 'max-file': '5'}}


def test_a_container_made_without_rotation_is_recreated_once(docker, run_either):
    name = ok(run_either())['container']['name']
    docker.engine.containers_by_name[name]['HostConfig']['LogConfig'] = {'Type': 'json-file', 'Config': {}}
    result = ok(run_either(diff=True))
    assert result['actions'][0] == 'recreate container: log_options.max-file, log_options.max-size changed'
    assert result['diff'] == {'before': {'log_options.max-file': None, 'log_options.max-size': None},
                              'after': {'log_options.max-file': '5', 'log_options.max-size': '10m'}}
    assert ok(run_either())['changed'] is False


def test_an_unrotated_container_can_be_kept_as_it_is(docker, run_either):
    name = ok(run_either())['container']['name']
    docker.engine.containers_by_name[name]['HostConfig']['LogConfig'] = {'Type': 'json-file', 'Config': {}}
    result = ok(run_either(log_options={}))
    assert result['changed'] is False
    assert result['warnings'][-1] == ('log_options has no max-size: the json-file log of the container grows '
                                      'without limit and can fill the disk')


def test_a_new_log_driver_recreates(docker, run_either):
    ok(run_either())
    result = ok(run_either(log_driver='journald', log_options={'tag': 'docs'}))
    assert result['actions'][0] == 'recreate container: log_driver, log_options.tag changed'
    assert ok(run_either(log_driver='journald', log_options={'tag': 'docs'}))['changed'] is False


def test_a_rotation_option_for_another_driver_fails_before_docker(docker, run_either):
    assert failed_before_docker(run_either(log_driver='journald'), docker).startswith(
        'log_options.max-size: the journald log driver does not take it')
