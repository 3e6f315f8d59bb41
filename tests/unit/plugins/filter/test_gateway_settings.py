"""The gateway filters adapt module_utils/_gateway.py: Ansible's own types in, plain types out, errors as filter errors."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError
from ansible.utils.unsafe_proxy import AnsibleUnsafeText
from ansible_collections.docops.onlyoffice.plugins.filter.gateway_settings import (
    FilterModule, gateway_settings, gateway_upstream)
from ansible_collections.docops.onlyoffice.plugins.module_utils import _gateway

try:  # ansible-core 2.19 and later: values carry tags (subclasses of str, int, list, dict)
    from ansible._internal._datatag._tags import Origin

    def tagged(value):
        return Origin(path='/inventory/group_vars/all.yml', line_num=1).tag(value)
except ImportError:  # ansible-core 2.16: values read from YAML are subclasses of str, list and dict
    from ansible.parsing.yaml.objects import AnsibleMapping, AnsibleSequence, AnsibleUnicode

    def tagged(value):
        kinds = {str: AnsibleUnicode, list: AnsibleSequence, dict: AnsibleMapping}
        return kinds[type(value)](value) if type(value) in kinds else value

SETTINGS = {
    'nginx_proxy_site_name': 'OnlyOffice',
    'nginx_proxy_server_names': ['Office.Example.test'],
    'nginx_proxy_upstreams': ['127.0.0.1:8080', '[::1]:8080'],
    'nginx_proxy_vpath': '/ds-vpath/',
    'nginx_proxy_trusted_proxies': ['10.0.0.0/8'],
    'nginx_proxy_client_max_body_size': '100M',
    'nginx_proxy_connect_timeout': '10',
    'nginx_proxy_read_timeout': 3600,
    'nginx_proxy_send_timeout': 3600,
    'nginx_proxy_http_port': 80,
    'nginx_proxy_https_port': 443,
    'nginx_proxy_redirect_https_port': '443',
    'nginx_proxy_hsts_max_age': 31536000,
    'nginx_proxy_frame_ancestors': ["'self'", 'https://dms.example.test'],
    'nginx_proxy_upstream_max_fails': 3,
    'nginx_proxy_upstream_fail_timeout': 10,
    'nginx_proxy_tls': 'acme',
}

EXPECTED = {
    'problems': [],
    'site_id': 'onlyoffice',
    'server_names': ['office.example.test'],
    'upstreams': ['127.0.0.1:8080', '[::1]:8080'],
    'vpath': '/ds-vpath',
    'trusted_proxies': ['10.0.0.0/8'],
    'client_max_body_size': '100m',
    'frame_ancestors': ["'self'", 'https://dms.example.test'],
}


def _deep_tag(value):
    if isinstance(value, dict):
        return tagged(dict((key, _deep_tag(item)) for key, item in value.items()))
    if isinstance(value, list):
        return tagged([_deep_tag(item) for item in value])
    return tagged(value)


def _plain(value):
    """True when VALUE is made of plain str, list and dict only (what a template can hold without tags)."""
    if isinstance(value, dict):
        return value.__class__ is dict and all(_plain(key) and _plain(item) for key, item in value.items())
    if isinstance(value, list):
        return value.__class__ is list and all(_plain(item) for item in value)
    return value.__class__ is str


def test_plain_values():
    assert gateway_settings(SETTINGS) == EXPECTED


def test_ansible_tagged_values_are_accepted_and_plain_values_come_out():
    answer = gateway_settings(_deep_tag(SETTINGS))
    assert answer == EXPECTED
    assert _plain(answer)


def test_tagged_bad_values_are_problems_not_errors():
    answer = gateway_settings(_deep_tag(dict(SETTINGS, nginx_proxy_upstreams=['localhost:8080'],
                                             nginx_proxy_connect_timeout=1.5)))
    assert answer['problems'] == [
        "nginx_proxy_upstreams: 'localhost:8080' is refused: localhost resolves to both 127.0.0.1 and ::1, so nginx "
        "makes two upstream servers of it and the one the Document Server does not listen on refuses connections "
        "(502 'connect() failed (111)' on [::1]); use 127.0.0.1:8080",
        'nginx_proxy_connect_timeout must be a whole number >= 1 and <= 300, got 1.5',
    ]
    assert _plain(answer)


def test_unsafe_text_is_text():
    answer = gateway_settings(dict(SETTINGS, nginx_proxy_vpath=AnsibleUnsafeText('/ds/'),
                                   nginx_proxy_tls=AnsibleUnsafeText('acme'),
                                   nginx_proxy_http_port=AnsibleUnsafeText('8080'),
                                   nginx_proxy_upstreams=[AnsibleUnsafeText('127.0.0.1:8080')]))
    assert answer == dict(EXPECTED, vpath='/ds', upstreams=['127.0.0.1:8080'])
    assert _plain(answer)


def test_same_answer_as_module_utils():
    values = dict(SETTINGS, nginx_proxy_vpath='x', nginx_proxy_tls='acme', nginx_proxy_server_names=['_'])
    assert gateway_settings(values) == _gateway.settings(values)


@pytest.mark.parametrize('settings', ['nginx_proxy_tls', ['nginx_proxy_tls'], None])
def test_settings_that_are_not_a_mapping_are_a_filter_error(settings):
    with pytest.raises(AnsibleFilterError, match='^gateway_settings: the settings must be a mapping'):
        gateway_settings(settings)


def test_a_missing_variable_is_a_filter_error_naming_it():
    settings = dict(SETTINGS)
    del settings['nginx_proxy_frame_ancestors']
    with pytest.raises(AnsibleFilterError, match='^gateway_settings: the settings lack nginx_proxy_frame_ancestors$'):
        gateway_settings(settings)


@pytest.mark.parametrize('addresses, port, upstream', [
    (['127.0.0.1'], 8080, '127.0.0.1:8080'),
    (['::'], '8080', '[::1]:8080'),
    (['0.0.0.0', '::'], 8080, '127.0.0.1:8080'),
    ([], 8080, '127.0.0.1:8080'),
])
def test_gateway_upstream(addresses, port, upstream):
    assert gateway_upstream(addresses, port) == upstream
    answer = gateway_upstream(_deep_tag(addresses), tagged(port))
    assert answer == upstream and answer.__class__ is str


@pytest.mark.parametrize('addresses, port', [(['localhost'], 8080), (['127.0.0.1'], 0), ('127.0.0.1', 8080),
                                             (['127.0.0.1'], 1.5)])
def test_gateway_upstream_errors_are_filter_errors(addresses, port):
    with pytest.raises(AnsibleFilterError, match='^gateway_upstream: '):
        gateway_upstream(addresses, port)


def test_registered_names():
    assert FilterModule().filters() == {'gateway_settings': gateway_settings, 'gateway_upstream': gateway_upstream}
