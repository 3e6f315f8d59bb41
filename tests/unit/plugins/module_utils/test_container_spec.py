# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import json

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.docops.onlyoffice.plugins.module_utils import _container_spec as cs
from ansible_collections.docops.onlyoffice.plugins.module_utils import _documentserver_spec as ds
from ansible_collections.docops.onlyoffice.plugins.module_utils._container_module import container_argument_spec
from ansible_collections.docops.onlyoffice.plugins.module_utils._diff import DifferenceTracker

# `docker inspect` of a container made by _docker.create_container from CAPTURE_PARAMS
# on Docker 20.10 (trimmed to the keys the code reads). The image declares the
# VOLUMEs /var/lib/onlyoffice and /extra/anon; the latter stays anonymous.
LIVE_INSPECT = json.loads(r'''
{
 "Id": "4fcf3bc94784a51f1f2b02ec5af56281c6fa7575662f026cdbeff9d282657110",
 "Name": "/docops-unit-capture",
 "Image": "sha256:6940c1c7c4f69ae629af8f93a8153b86c44c5cef89e3ff5fc971fb5ce8791705",
 "RestartCount": 0,
 "State": {
  "Status": "running",
  "Running": true,
  "Paused": false,
  "Restarting": false,
  "OOMKilled": false,
  "Dead": false,
  "Pid": 658,
  "ExitCode": 0,
  "Error": "",
  "StartedAt": "2026-11-21T05:26:22.828551455Z",
  "FinishedAt": "0001-01-01T00:00:00Z",
  "Health": {
   "Status": "starting",
   "FailingStreak": 0,
   "Log": []
  }
 },
 "Config": {
  "Image": "docops-unit-smoke:1",
  "Env": [
   "JWT_ENABLED=true",
   "JWT_SECRET=SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS",
   "WOPI_ENABLED=false",
   "ALLOW_PRIVATE_IP_ADDRESS=false",
   "ALLOW_META_IP_ADDRESS=false",
   "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  ],
  "Labels": {
   "org.opencontainers.image.title": "docops test bed base (Debian 12)",
   "team": "docs"
  },
  "Healthcheck": {
   "Test": [
    "CMD-SHELL",
    "curl -fsS http://127.0.0.1/healthcheck | grep -qx true"
   ],
   "Interval": 1000000000,
   "Timeout": 5000000000,
   "StartPeriod": 5000000000,
   "Retries": 3
  },
  "StopTimeout": 60,
  "Volumes": {
   "/extra/anon": {},
   "/var/lib/onlyoffice": {}
  }
 },
 "HostConfig": {
  "Binds": [
   "/tmp/dssmoke:/srv/bind:ro",
   "docops-unit-capture_fonts:/usr/share/fonts/truetype/custom:rw",
   "docops-unit-capture_lib:/var/lib/onlyoffice:rw",
   "docops-unit-pg:/var/lib/postgresql:rw",
   "docops-unit-capture_rabbitmq:/var/lib/rabbitmq:rw",
   "docops-unit-capture_redis:/var/lib/redis:rw",
   "docops-unit-capture_logs:/var/log/onlyoffice:rw",
   "docops-unit-capture_data:/var/www/onlyoffice/Data:rw"
  ],
  "PortBindings": {
   "80/tcp": [
    {
     "HostIp": "127.0.0.1",
     "HostPort": "38181"
    },
    {
     "HostIp": "::1",
     "HostPort": "38181"
    }
   ]
  },
  "RestartPolicy": {
   "Name": "unless-stopped",
   "MaximumRetryCount": 0
  },
  "Memory": 268435456,
  "MemorySwap": 536870912,
  "NetworkMode": "docops-unit-net1",
  "LogConfig": {
   "Type": "json-file",
   "Config": {
    "max-file": "5",
    "max-size": "10m"
   }
  }
 },
 "Mounts": [
  {
   "Type": "bind",
   "Source": "/tmp/dssmoke",
   "Destination": "/srv/bind",
   "Mode": "ro",
   "RW": false,
   "Propagation": "rprivate"
  },
  {
   "Type": "volume",
   "Name": "docops-unit-capture_fonts",
   "Source": "/var/lib/docker/volumes/docops-unit-capture_fonts/_data",
   "Destination": "/usr/share/fonts/truetype/custom",
   "Driver": "local",
   "Mode": "rw",
   "RW": true,
   "Propagation": ""
  },
  {
   "Type": "volume",
   "Name": "docops-unit-capture_rabbitmq",
   "Source": "/var/lib/docker/volumes/docops-unit-capture_rabbitmq/_data",
   "Destination": "/var/lib/rabbitmq",
   "Driver": "local",
   "Mode": "rw",
   "RW": true,
   "Propagation": ""
  },
  {
   "Type": "volume",
   "Name": "docops-unit-capture_redis",
   "Source": "/var/lib/docker/volumes/docops-unit-capture_redis/_data",
   "Destination": "/var/lib/redis",
   "Driver": "local",
   "Mode": "rw",
   "RW": true,
   "Propagation": ""
  },
  {
   "Type": "volume",
   "Name": "docops-unit-capture_lib",
   "Source": "/var/lib/docker/volumes/docops-unit-capture_lib/_data",
   "Destination": "/var/lib/onlyoffice",
   "Driver": "local",
   "Mode": "rw",
   "RW": true,
   "Propagation": ""
  },
  {
   "Type": "volume",
   "Name": "docops-unit-pg",
   "Source": "/var/lib/docker/volumes/docops-unit-pg/_data",
   "Destination": "/var/lib/postgresql",
   "Driver": "local",
   "Mode": "rw",
   "RW": true,
   "Propagation": ""
  },
  {
   "Type": "volume",
   "Name": "docops-unit-capture_logs",
   "Source": "/var/lib/docker/volumes/docops-unit-capture_logs/_data",
   "Destination": "/var/log/onlyoffice",
   "Driver": "local",
   "Mode": "rw",
   "RW": true,
   "Propagation": ""
  },
  {
   "Type": "volume",
   "Name": "docops-unit-capture_data",
   "Source": "/var/lib/docker/volumes/docops-unit-capture_data/_data",
   "Destination": "/var/www/onlyoffice/Data",
   "Driver": "local",
   "Mode": "rw",
   "RW": true,
   "Propagation": ""
  },
  {
   "Type": "volume",
   "Name": "052cd7680fb64311367b7f8ee2dda6befa10bd5977b305bb9cfb1588ef1d16c8",
   "Source": "/var/lib/docker/volumes/052cd7680fb64311367b7f8ee2dda6befa10bd5977b305bb9cfb1588ef1d16c8/_data",
   "Destination": "/extra/anon",
   "Driver": "local",
   "Mode": "",
   "RW": true,
   "Propagation": ""
  }
 ],
 "NetworkSettings": {
  "Ports": {
   "80/tcp": [
    {
     "HostIp": "::1",
     "HostPort": "38181"
    },
    {
     "HostIp": "127.0.0.1",
     "HostPort": "38181"
    }
   ]
  },
  "Networks": {
   "docops-unit-net1": {
    "Aliases": [
     "documentserver",
     "4fcf3bc94784"
    ],
    "NetworkID": "60a774c252fd0ebee146559c1cb8bf2aa9f0f7ae5c15caf5ff4116e1be9c5aa9",
    "IPAddress": "172.20.0.2"
   },
   "docops-unit-net2": {
    "Aliases": [
     "4fcf3bc94784"
    ],
    "NetworkID": "15a94f00517dd3c5d6fbbc317c91fb1fe84bad8184900bc2a74d8dda0bdfb286",
    "IPAddress": "172.21.0.2"
   }
  }
 }
}
''')

CAPTURE_PARAMS = {
    'name': 'docops-unit-capture', 'image': 'docops-unit-smoke:1', 'jwt_secret': 'S' * 32,
    'published_ports': [{'container_port': 80, 'host_port': 38181}], 'publish_ipv6_loopback': True,
    'volumes': [{'source': '/tmp/dssmoke', 'target': '/srv/bind', 'read_only': True},
                {'source': 'docops-unit-pg', 'target': '/var/lib/postgresql'}],
    'memory': '256m', 'memory_swap': '512m', 'labels': {'team': 'docs'},
    'networks': [{'name': 'docops-unit-net1', 'aliases': ['documentserver']}, {'name': 'docops-unit-net2'}],
    'healthcheck': {'interval': '1s', 'start_period': '5s'},
}


def module_params(**args):
    """documentserver_container's parameters as AnsibleModule gives them: typed, with every default."""
    result = ArgumentSpecValidator(container_argument_spec(ds.DOCUMENTSERVER)).validate(args)
    assert not result.error_messages, result.error_messages
    return result.validated_parameters


def spec_of(**args):
    return cs.build_spec(module_params(**args), ds.DOCUMENTSERVER)


def capture_spec(**overrides):
    """The spec of CAPTURE_PARAMS with some parameters changed."""
    return spec_of(**dict(CAPTURE_PARAMS, **overrides))


def error_of(**overrides):
    with pytest.raises(cs.SpecError) as info:
        spec_of(**overrides)
    return str(info.value)


# ---------------------------------------------------------------- defaults

def test_defaults_pin_the_image_and_publish_on_loopback_only():
    spec = spec_of()
    assert spec['name'] == 'onlyoffice-documentserver'
    assert spec['image'] == 'onlyoffice/documentserver:9.4.0'
    assert spec['published_ports'] == ['127.0.0.1:8080:80/tcp']
    assert spec['restart_policy'] == 'unless-stopped'
    assert spec['stop_timeout'] == 60
    assert spec['memory'] is None and spec['memory_swap'] is None
    assert spec['networks'] is None


def test_defaults_set_the_safe_environment():
    assert spec_of()['env'] == {
        'JWT_ENABLED': 'true',
        'WOPI_ENABLED': 'false',
        'ALLOW_PRIVATE_IP_ADDRESS': 'false',
        'ALLOW_META_IP_ADDRESS': 'false',
    }


def test_every_declared_volume_gets_a_named_volume():
    assert spec_of(name='docs')['volumes'] == [
        'docs_fonts:/usr/share/fonts/truetype/custom:rw',
        'docs_lib:/var/lib/onlyoffice:rw',
        'docs_postgresql:/var/lib/postgresql:rw',
        'docs_rabbitmq:/var/lib/rabbitmq:rw',
        'docs_redis:/var/lib/redis:rw',
        'docs_logs:/var/log/onlyoffice:rw',
        'docs_data:/var/www/onlyoffice/Data:rw',
    ]


def test_default_healthcheck_tests_the_body_of_healthcheck():
    healthcheck = spec_of()['healthcheck']
    assert healthcheck['test'] == ['CMD-SHELL', 'curl -fsS http://127.0.0.1/healthcheck | grep -qx true']
    assert healthcheck['start_period'] == 60 * 10 ** 9
    assert healthcheck['interval'] == 5 * 10 ** 9
    assert healthcheck['retries'] == 3


def test_defaults_rotate_the_container_log():
    spec = spec_of()
    assert (spec['log_driver'], spec['log_options']) == ('json-file', {'max-size': '10m', 'max-file': '5'})


def test_a_port_without_container_port_gets_80():
    assert spec_of(published_ports=[{'host_port': 8081}])['published_ports'] == ['127.0.0.1:8081:80/tcp']


# ---------------------------------------------------------------- image

@pytest.mark.parametrize('image', [
    'onlyoffice/documentserver:9.1.0',
    'registry.example.test:5000/onlyoffice/documentserver:9.1.0',
    'onlyoffice/documentserver@sha256:' + 'a' * 64,
    'onlyoffice/documentserver:latest@sha256:' + 'b' * 64,
])
def test_pinned_images_are_accepted(image):
    assert spec_of(image=image)['image'] == image


@pytest.mark.parametrize('image', [
    'onlyoffice/documentserver',
    'onlyoffice/documentserver:latest',
    'registry.example.test:5000/onlyoffice/documentserver',
])
def test_unpinned_images_are_refused(image):
    message = error_of(image=image)
    assert message.startswith('image: ')
    assert 'not pinned' in message and 'onlyoffice/documentserver:9.4.0' in message


def test_invalid_digest_is_refused():
    assert 'invalid digest' in error_of(image='onlyoffice/documentserver@sha256:xyz')


@pytest.mark.parametrize('reference, expected', [
    ('onlyoffice/documentserver:9.1.0', ('onlyoffice/documentserver', '9.1.0', '')),
    ('localhost:5000/ds', ('localhost:5000/ds', '', '')),
    ('localhost:5000/ds:1@sha256:abc', ('localhost:5000/ds', '1', 'sha256:abc')),
])
def test_parse_image_reference(reference, expected):
    assert cs.parse_image_reference(reference) == expected


def test_invalid_container_name_is_refused():
    assert error_of(name='-bad name').startswith('name: ')


# ---------------------------------------------------------------- ports

def test_ipv6_loopback_adds_a_binding_for_each_loopback_port():
    spec = spec_of(publish_ipv6_loopback=True, published_ports=[
        {'container_port': 80, 'host_port': 8080, 'host_ip': '127.0.0.1', 'protocol': 'tcp'},
        {'container_port': 443, 'host_port': 8443, 'host_ip': '192.0.2.1', 'protocol': 'tcp'},
    ])
    assert spec['published_ports'] == ['127.0.0.1:8080:80/tcp', '192.0.2.1:8443:443/tcp', '[::1]:8080:80/tcp']


def test_empty_published_ports_publishes_nothing():
    assert spec_of(published_ports=[])['published_ports'] == []


@pytest.mark.parametrize('port, expected', [
    ({'container_port': 80, 'host_port': 70000}, 'published_ports[0].host_port must be >= 1 and <= 65535, got 70000'),
    ({'container_port': 0, 'host_port': 8080}, 'published_ports[0].container_port must be >= 1 and <= 65535, got 0'),
    ({'container_port': 80, 'host_port': 8080, 'host_ip': 'localhost'},
     "published_ports[0].host_ip: 'localhost' is not an IP address"),
])
def test_invalid_ports_name_the_parameter(port, expected):
    assert error_of(published_ports=[port]).startswith(expected)


def test_a_host_port_published_twice_is_refused():
    message = error_of(published_ports=[{'container_port': 80, 'host_port': 8080},
                                        {'container_port': 443, 'host_port': 8080}])
    assert message == 'published_ports[1]: host port 8080/tcp on 127.0.0.1 is published twice'


def test_docker_port_bindings_groups_by_container_port():
    ports, bindings = cs.docker_port_bindings(['127.0.0.1:8080:80/tcp', '[::1]:8080:80/tcp', '0.0.0.0:5353:53/udp'])
    assert ports == [(53, 'udp'), (80, 'tcp')]
    assert bindings == {'80/tcp': [('127.0.0.1', 8080), ('::1', 8080)], '53/udp': [('0.0.0.0', 5353)]}


# ---------------------------------------------------------------- volumes

@pytest.mark.parametrize('target', ['/etc/onlyoffice', '/etc/onlyoffice/', '/etc/onlyoffice/documentserver',
                                    '/etc//onlyoffice/documentserver/local.json'])
def test_mounting_etc_onlyoffice_is_refused(target):
    message = error_of(volumes=[{'source': 'conf', 'target': target}])
    assert message.startswith('volumes[0].target: do not mount /etc/onlyoffice')


def test_a_similar_path_is_not_mistaken_for_etc_onlyoffice():
    assert 'conf:/etc/onlyoffice-backup:rw' in spec_of(volumes=[{'source': 'conf', 'target': '/etc/onlyoffice-backup'}])['volumes']


def test_a_user_mapping_replaces_the_default_named_volume():
    volumes = spec_of(name='docs', volumes=[
        {'source': 'pgdata', 'target': '/var/lib/postgresql/'},
        {'source': '/srv/fonts', 'target': '/usr/share/fonts/truetype/custom', 'read_only': True},
    ])['volumes']
    assert 'pgdata:/var/lib/postgresql:rw' in volumes
    assert '/srv/fonts:/usr/share/fonts/truetype/custom:ro' in volumes
    assert not [volume for volume in volumes if volume.startswith(('docs_postgresql', 'docs_fonts'))]
    assert len(volumes) == 7


@pytest.mark.parametrize('volume, expected', [
    ({'source': 'data', 'target': 'relative/path'}, "volumes[0].target: 'relative/path' must be an absolute path"),
    ({'source': 'bad name', 'target': '/data'}, "volumes[0].source: 'bad name' is neither"),
])
def test_invalid_volumes_name_the_parameter(volume, expected):
    assert error_of(volumes=[volume]).startswith(expected)


def test_a_target_mounted_twice_is_refused():
    message = error_of(volumes=[{'source': 'a', 'target': '/data'}, {'source': 'b', 'target': '/data/'}])
    assert message == 'volumes[1].target: /data is mounted twice'


# ---------------------------------------------------------------- sizes and durations

@pytest.mark.parametrize('value, expected', [
    ('4g', 4 * 1024 ** 3), ('4G', 4 * 1024 ** 3), ('4gb', 4 * 1024 ** 3), ('4GiB', 4 * 1024 ** 3),
    ('512m', 512 * 1024 ** 2), ('1.5g', 1536 * 1024 ** 2), ('1048576', 1048576), (1048576, 1048576),
    ('64k', 65536), (' 2g ', 2 * 1024 ** 3),
])
def test_parse_size(value, expected):
    assert cs.parse_size(value, 'memory') == expected


@pytest.mark.parametrize('value', ['4x', 'g', '', '-5m', '4 gigabytes'])
def test_parse_size_refuses_garbage_naming_the_option(value):
    with pytest.raises(cs.SpecError) as info:
        cs.parse_size(value, 'memory')
    assert str(info.value).startswith('memory: invalid size')


def test_memory_and_swap():
    spec = spec_of(memory='4g', memory_swap='6g')
    assert (spec['memory'], spec['memory_swap']) == (4 * 1024 ** 3, 6 * 1024 ** 3)
    assert spec_of(memory='4g', memory_swap='-1')['memory_swap'] == -1


@pytest.mark.parametrize('params, expected', [
    ({'memory': '4x'}, 'memory: invalid size'),
    ({'memory': '1m'}, 'memory: 1m is below the 6m Docker accepts'),
    ({'memory_swap': '4g'}, 'memory_swap: Docker needs memory to be set too'),
    ({'memory': '4g', 'memory_swap': '2g'}, 'memory_swap: 2g is below memory (4g)'),
    ({'memory': '4g', 'memory_swap': 'lots'}, 'memory_swap: invalid size'),
])
def test_invalid_memory_names_the_parameter(params, expected):
    assert error_of(**params).startswith(expected)


@pytest.mark.parametrize('value, expected', [
    ('30s', 30 * 10 ** 9), ('1m30s', 90 * 10 ** 9), ('500ms', 5 * 10 ** 8), ('90', 90 * 10 ** 9),
    (90, 90 * 10 ** 9), ('1h', 3600 * 10 ** 9), ('1.5s', 1500 * 10 ** 6), ('2m', 120 * 10 ** 9),
])
def test_parse_duration(value, expected):
    assert cs.parse_duration(value, 'healthcheck.interval') == expected


@pytest.mark.parametrize('value', ['abc', '30x', '', '1m 30s', 's'])
def test_parse_duration_refuses_garbage_naming_the_option(value):
    with pytest.raises(cs.SpecError) as info:
        cs.parse_duration(value, 'healthcheck.interval')
    assert str(info.value).startswith('healthcheck.interval: invalid duration')


@pytest.mark.parametrize('nanoseconds, expected', [(90 * 10 ** 9, '1m30s'), (5 * 10 ** 8, '500ms'), (0, 0)])
def test_format_duration(nanoseconds, expected):
    assert cs.format_duration(nanoseconds) == expected


# ---------------------------------------------------------------- healthcheck, stop timeout

def test_custom_healthcheck():
    healthcheck = spec_of(healthcheck={'test': 'true', 'interval': '10s', 'timeout': '2s', 'start_period': '0',
                                       'retries': 5, 'disable': False})['healthcheck']
    assert healthcheck == {'test': ['CMD-SHELL', 'true'], 'interval': 10 ** 10, 'timeout': 2 * 10 ** 9,
                           'start_period': 0, 'retries': 5}


def test_disabled_healthcheck():
    assert spec_of(healthcheck={'disable': True})['healthcheck'] == {'test': ['NONE']}


def test_state_healthy_needs_a_healthcheck():
    assert error_of(state='healthy', healthcheck={'disable': True}).startswith('healthcheck.disable: state=healthy')


@pytest.mark.parametrize('healthcheck, expected', [
    ({'test': ['curl', 'x']}, 'healthcheck.test: give a shell command'),
    ({'interval': '0s'}, "healthcheck.interval: '0s' is out of range; use from 1ms to 1h"),
    ({'timeout': 'soon'}, 'healthcheck.timeout: invalid duration'),
    ({'retries': 0}, 'healthcheck.retries must be >= 1 and <= 100, got 0'),
])
def test_invalid_healthcheck_names_the_parameter(healthcheck, expected):
    assert error_of(healthcheck=healthcheck).startswith(expected)


def test_stop_timeout_below_60_is_refused():
    assert error_of(stop_timeout=30).startswith('stop_timeout: 30 s is too short')
    assert spec_of(stop_timeout=120)['stop_timeout'] == 120


# ---------------------------------------------------------------- environment

def test_first_class_options_map_to_the_image_environment():
    env = spec_of(jwt_secret='j' * 32, jwt_header='AuthorizationJwt', jwt_in_body=True, wopi_enabled=True,
                  secure_link_secret='l' * 32, generate_fonts=False, amqp_uri='amqp://u:%s@rabbit' % ('a' * 16),
                  database={'type': 'postgres', 'host': 'db', 'port': 5432, 'name': 'oo', 'user': 'oo',
                            'password': 'd' * 16},
                  redis={'host': 'cache', 'port': 6379, 'password': None})['env']
    assert env == {
        'JWT_ENABLED': 'true', 'JWT_SECRET': 'j' * 32, 'JWT_HEADER': 'AuthorizationJwt', 'JWT_IN_BODY': 'true',
        'WOPI_ENABLED': 'true', 'ALLOW_PRIVATE_IP_ADDRESS': 'false', 'ALLOW_META_IP_ADDRESS': 'false',
        'SECURE_LINK_SECRET': 'l' * 32, 'GENERATE_FONTS': 'false', 'AMQP_URI': 'amqp://u:%s@rabbit' % ('a' * 16),
        'DB_TYPE': 'postgres', 'DB_HOST': 'db', 'DB_PORT': '5432', 'DB_NAME': 'oo', 'DB_USER': 'oo',
        'DB_PWD': 'd' * 16,
        'REDIS_SERVER_HOST': 'cache', 'REDIS_SERVER_PORT': '6379',
    }


def test_free_form_env_is_merged_and_numbers_become_strings():
    env = spec_of(env={'TZ': 'Europe/Riga', 'NGINX_WORKER_PROCESSES': 2})['env']
    assert env['TZ'] == 'Europe/Riga' and env['NGINX_WORKER_PROCESSES'] == '2'


def test_a_variable_given_both_ways_is_refused_naming_it():
    assert error_of(jwt_secret='x' * 32, env={'JWT_SECRET': 'y'}) == \
        'env.JWT_SECRET: this variable is set by the option jwt_secret; set it there only'
    assert error_of(env={'JWT_ENABLED': 'false'}).startswith('env.JWT_ENABLED: this variable is set by the option jwt_enabled')
    assert error_of(database={'host': 'db'}, env={'DB_HOST': 'x'}).startswith(
        'env.DB_HOST: this variable is set by the option database.host')


@pytest.mark.parametrize('value, expected', [
    (True, 'env.FLAG: the value must be a string, got bool'),
    (None, 'env.FLAG: the value must be a string, got null'),
    ({'a': 1}, 'env.FLAG: the value must be a string, got dict'),
    (['a'], 'env.FLAG: the value must be a string, got list'),
    ('two\nlines', 'env.FLAG: the value must not contain a newline or NUL character'),
    ('nul\x00byte', 'env.FLAG: the value must not contain a newline or NUL character'),
])
def test_invalid_env_values_name_the_key(value, expected):
    assert error_of(env={'FLAG': value}).startswith(expected)


def test_newline_in_a_first_class_secret_names_the_option():
    assert error_of(jwt_secret='abc\n').startswith('jwt_secret: the value must not contain a newline')


@pytest.mark.parametrize('key', ['', 'A=B', 'A\nB'])
def test_invalid_env_names_are_refused(key):
    assert error_of(env={key: 'x'}).startswith('env: ')


def test_str_subclasses_from_templates_become_plain_strings():
    class TaggedStr(str):
        """Like the str subclasses ansible-core 2.19 data tagging produces."""

    spec = spec_of(env={'TZ': TaggedStr('UTC')}, jwt_secret=TaggedStr('s' * 32))
    for value in (spec['env']['TZ'], spec['env']['JWT_SECRET']):
        assert isinstance(value, str) and not isinstance(value, TaggedStr)


def test_label_values_must_be_strings():
    assert error_of(labels={'x': True}).startswith('labels.x: the value must be a string')


# ---------------------------------------------------------------- secrets

@pytest.mark.parametrize('key, secret', [
    ('JWT_SECRET', True), ('SECURE_LINK_SECRET', True), ('DB_PWD', True), ('REDIS_SERVER_PASS', True),
    ('SMTP_PASSWORD', True), ('API_TOKEN', True), ('AMQP_URI', True), ('jwt_secret', True),
    ('JWT_HEADER', False), ('DB_HOST', False), ('WOPI_ENABLED', False),
])
def test_is_secret_key(key, secret):
    assert cs.is_secret_key(key) is secret


def test_mask_env():
    assert cs.mask_env({'JWT_SECRET': 'x', 'DB_HOST': 'db', 'DB_PWD': None}) == \
        {'JWT_SECRET': '********', 'DB_HOST': 'db', 'DB_PWD': None}


def test_display_spec_masks_secrets_and_formats_values():
    shown = cs.display_spec(spec_of(jwt_secret='x' * 32, memory='4g'), image_id='sha256:abc')
    assert shown['env']['JWT_SECRET'] == '********'
    assert shown['memory'] == '4g'
    assert shown['healthcheck']['start_period'] == '1m'
    assert shown['image'] == 'onlyoffice/documentserver:9.4.0 (sha256:abc)'


# ---------------------------------------------------------------- warnings

def warnings_of(**args):
    return cs.spec_warnings(spec_of(**args), ds.DOCUMENTSERVER)


def test_warnings_for_missing_secrets_and_public_ports():
    warnings = warnings_of(published_ports=[{'container_port': 80, 'host_port': 80, 'host_ip': '0.0.0.0'}])
    assert any(warning.startswith('jwt_secret is not set') for warning in warnings)
    assert any(warning.startswith('secure_link_secret is not set') for warning in warnings)
    assert 'published port 0.0.0.0:80:80/tcp is reachable from outside: Docker publishes it past the host firewall; ' \
           'publish on 127.0.0.1 behind the nginx proxy instead' in warnings


def test_no_warnings_for_a_complete_loopback_setup():
    assert warnings_of(jwt_secret='x' * 32, secure_link_secret='y' * 32, publish_ipv6_loopback=True) == []
    assert warnings_of(jwt_enabled=False, secure_link_secret='y' * 32) == []


def test_a_short_jwt_secret_is_refused_not_warned():
    assert error_of(jwt_secret='short') == 'jwt_secret is too short: 5 characters, at least 32 are required'


def test_json_file_logs_without_max_size_warn():
    warnings = warnings_of(jwt_secret='x' * 32, secure_link_secret='y' * 32, log_options={})
    assert warnings == ['log_options has no max-size: the json-file log of the container grows without limit and '
                        'can fill the disk']
    assert warnings_of(jwt_secret='x' * 32, secure_link_secret='y' * 32, log_driver='journald', log_options={}) == []


# ---------------------------------------------------------------- normalise and compare

def test_live_container_normalises_like_the_spec_it_was_made_from():
    live = cs.normalise_container(LIVE_INSPECT)
    assert live['name'] == 'docops-unit-capture'
    assert live['published_ports'] == ['127.0.0.1:38181:80/tcp', '[::1]:38181:80/tcp']
    assert '(anonymous):/extra/anon:rw' in live['volumes']
    assert live['memory'] == 256 * 1024 ** 2
    assert cs.anonymous_volumes(live) == ['/extra/anon']


def test_the_same_params_give_no_difference():
    differences = cs.compare(capture_spec(), cs.normalise_container(LIVE_INSPECT), LIVE_INSPECT['Image'])
    assert differences.differences == []
    assert not differences


def test_a_changed_secret_is_a_masked_difference():
    differences = cs.compare(capture_spec(jwt_secret='T' * 32), cs.normalise_container(LIVE_INSPECT))
    assert differences.differences == [{'option': 'env.JWT_SECRET', 'before': '********', 'after': '********'}]


def test_a_new_image_behind_the_same_tag_is_a_difference():
    differences = cs.compare(capture_spec(), cs.normalise_container(LIVE_INSPECT), 'sha256:new')
    assert differences.options == ['image']
    assert differences.differences[0]['after'] == 'docops-unit-smoke:1 (sha256:new)'


def test_without_the_image_id_the_reference_is_compared():
    assert cs.compare(capture_spec(image='docops-unit-smoke:2'), cs.normalise_container(LIVE_INSPECT)).differences == [
        {'option': 'image', 'before': 'docops-unit-smoke:1', 'after': 'docops-unit-smoke:2'}]


def test_options_the_user_does_not_manage_are_not_compared():
    spec = capture_spec(memory=None, memory_swap=None, networks=None, labels={})
    assert not cs.compare(spec, cs.normalise_container(LIVE_INSPECT))


def test_an_empty_network_list_leaves_the_default_bridge_alone():
    assert spec_of(networks=[])['networks'] is None


@pytest.mark.parametrize('overrides, options', [
    ({'memory': '512m', 'memory_swap': '1g'}, ['memory', 'memory_swap']),
    ({'stop_timeout': 90}, ['stop_timeout']),
    ({'restart_policy': 'always'}, ['restart_policy']),
    ({'publish_ipv6_loopback': False}, ['published_ports']),
    ({'labels': {'team': 'ops'}}, ['labels.team']),
    ({'healthcheck': {'interval': '2s', 'start_period': '5s'}}, ['healthcheck.interval']),
    ({'healthcheck': {'disable': True}}, ['healthcheck.test']),
    ({'networks': [{'name': 'docops-unit-net1', 'aliases': ['documentserver']}]}, ['networks']),
    ({'networks': [{'name': 'docops-unit-net1', 'aliases': ['docs']}, {'name': 'docops-unit-net2'}]},
     ['networks.docops-unit-net1.aliases']),
    ({'wopi_enabled': True}, ['env.WOPI_ENABLED']),
    ({'env': {'TZ': 'UTC'}}, ['env.TZ']),
    ({'log_options': {'max-size': '20m', 'max-file': '5'}}, ['log_options.max-size']),
    ({'log_driver': 'local'}, ['log_driver']),
    ({'log_driver': 'journald', 'log_options': {'tag': 'docs'}}, ['log_driver', 'log_options.tag']),
])
def test_each_managed_option_is_compared(overrides, options):
    assert sorted(cs.compare(capture_spec(**overrides), cs.normalise_container(LIVE_INSPECT)).options) == options


def test_a_dropped_user_mount_and_a_moved_volume_are_differences():
    spec = capture_spec(volumes=[{'source': 'docops-unit-pg', 'target': '/var/lib/postgresql'},
                                 {'source': 'other', 'target': '/var/lib/onlyoffice'}])
    differences = cs.compare(spec, cs.normalise_container(LIVE_INSPECT))
    assert differences.options == ['volumes']
    before, after = differences.differences[0]['before'], differences.differences[0]['after']
    assert '/tmp/dssmoke:/srv/bind:ro' in before and '/tmp/dssmoke:/srv/bind:ro' not in after
    assert 'other:/var/lib/onlyoffice:rw' in after
    assert not [mount for mount in before if mount.startswith('(anonymous)')]


def test_an_anonymous_volume_at_a_declared_path_is_replaced_by_a_named_one():
    attrs = copy.deepcopy(LIVE_INSPECT)
    for mount in attrs['Mounts']:
        if mount['Destination'] == '/var/lib/onlyoffice':
            mount['Name'] = 'f' * 64
    live = cs.normalise_container(attrs)
    differences = cs.compare(capture_spec(), live)
    assert differences.options == ['volumes']
    assert '(anonymous):/var/lib/onlyoffice:rw' in differences.differences[0]['before']
    assert cs.anonymous_volumes(live) == ['/extra/anon', '/var/lib/onlyoffice']


def test_container_facts_mask_secrets():
    facts = cs.container_facts(LIVE_INSPECT)
    assert facts['env']['JWT_SECRET'] == '********'
    assert facts['env']['JWT_ENABLED'] == 'true'
    assert facts['state'] == {'status': 'running', 'running': True, 'exit_code': 0, 'oom_killed': False,
                              'restart_count': 0, 'health': 'starting'}
    assert facts['volumes']['docops-unit-pg'] == '/var/lib/postgresql'
    assert facts['published_ports'] == ['127.0.0.1:38181:80/tcp', '[::1]:38181:80/tcp']


# ---------------------------------------------------------------- diff tracker

def test_difference_tracker():
    tracker = DifferenceTracker()
    assert not tracker and tracker.diff() == {'before': {}, 'after': {}}
    tracker.add('image', 'a:1', 'a:2')
    tracker.add('env.X', None, 'y')
    assert len(tracker) == 2 and tracker.options == ['image', 'env.X']
    assert tracker.diff() == {'before': {'image': 'a:1', 'env.X': None}, 'after': {'image': 'a:2', 'env.X': 'y'}}


@pytest.mark.parametrize('parse, value', [
    ('parse_size', '9' * 400),
    ('parse_size', '9' * 400 + 'g'),
    ('parse_duration', '9' * 400),
    ('parse_duration', '9' * 400 + 's'),
])
def test_huge_sizes_and_durations_are_one_line_errors(parse, value):
    with pytest.raises(cs.SpecError, match='out of range'):
        getattr(cs, parse)(value, 'memory')
