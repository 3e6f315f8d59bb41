"""The nginx_proxy role's variables: each rule refuses what it should, in one line naming the variable."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.docops.onlyoffice.plugins.module_utils import _gateway

GOOD = {
    'nginx_proxy_site_name': 'onlyoffice',
    'nginx_proxy_server_names': ['office.example.test'],
    'nginx_proxy_upstreams': ['127.0.0.1:8080'],
    'nginx_proxy_vpath': '',
    'nginx_proxy_trusted_proxies': [],
    'nginx_proxy_client_max_body_size': '100m',
    'nginx_proxy_connect_timeout': 10,
    'nginx_proxy_read_timeout': 3600,
    'nginx_proxy_send_timeout': 3600,
    'nginx_proxy_http_port': 80,
    'nginx_proxy_https_port': 443,
    'nginx_proxy_redirect_https_port': 443,
    'nginx_proxy_hsts_max_age': 31536000,
    'nginx_proxy_frame_ancestors': [],
    'nginx_proxy_upstream_max_fails': 3,
    'nginx_proxy_upstream_fail_timeout': 10,
    'nginx_proxy_tls': 'self_signed',
}


def result(**changes):
    values = dict(GOOD)
    values.update(('nginx_proxy_' + key, value) for key, value in changes.items())
    return _gateway.settings(values)


def problems(**changes):
    found = result(**changes)['problems']
    for problem in found:
        assert '\n' not in problem and problem.startswith('nginx_proxy_'), problem
    return found


def only_problem(variable, **changes):
    """The one problem CHANGES cause, which must name the nginx_proxy_ VARIABLE first."""
    found = problems(**changes)
    assert len(found) == 1, found
    assert found[0].startswith('nginx_proxy_' + variable), found
    return found[0]


def test_defaults_and_a_full_example_pass_and_are_normalised():
    assert result() == {
        'problems': [], 'site_id': 'onlyoffice', 'server_names': ['office.example.test'],
        'upstreams': ['127.0.0.1:8080'], 'vpath': '', 'trusted_proxies': [], 'client_max_body_size': '100m',
        'frame_ancestors': [],
    }
    answer = result(site_name='OnlyOffice-Main.1', server_names=['Office.Example.TEST.', '*.example.org', '_'],
                    upstreams=['127.0.0.1:8080', '[0:0::1]:8080', 'Node1.Example.test:8080', 'docs_ds:80'],
                    vpath='/ds-vpath/', trusted_proxies=['10.0.0.0/8', '192.0.2.7', '2001:DB8::1', '2001:db8:1::/48'],
                    client_max_body_size='100M',
                    frame_ancestors=["'self'", 'https://*.example.com', 'https://dms.example.com:8443', 'https:',
                                     'example.com'])
    assert answer == {
        'problems': [],
        'site_id': 'onlyoffice_main_1',
        'server_names': ['office.example.test', '*.example.org', '_'],
        'upstreams': ['127.0.0.1:8080', '[::1]:8080', 'node1.example.test:8080', 'docs_ds:80'],
        'vpath': '/ds-vpath',
        'trusted_proxies': ['10.0.0.0/8', '192.0.2.7', '2001:db8::1', '2001:db8:1::/48'],
        'client_max_body_size': '100m',
        'frame_ancestors': ["'self'", 'https://*.example.com', 'https://dms.example.com:8443', 'https:',
                            'example.com'],
    }


def test_extra_keys_are_ignored():
    values = dict(GOOD, nginx_proxy_state='present')
    assert _gateway.settings(values)['problems'] == []


@pytest.mark.parametrize('values', ['onlyoffice', ['nginx_proxy_tls'], None, 5])
def test_settings_that_are_not_a_mapping_raise(values):
    with pytest.raises(ValueError, match='must be a mapping'):
        _gateway.settings(values)


def test_missing_variables_raise_with_their_names():
    values = dict(GOOD)
    del values['nginx_proxy_vpath']
    del values['nginx_proxy_tls']
    with pytest.raises(ValueError, match=r'^gateway_settings: the settings lack nginx_proxy_vpath, nginx_proxy_tls$'):
        _gateway.settings(values)


def test_all_problems_are_reported_at_once():
    found = problems(site_name='-', vpath='x y', tls='on', http_port=0)
    assert [problem.split()[0].rstrip(':') for problem in found] == [
        'nginx_proxy_tls', 'nginx_proxy_site_name', 'nginx_proxy_vpath', 'nginx_proxy_http_port']


# site_name

@pytest.mark.parametrize('name', ['a', 'A' * 64, 'onlyoffice.example_1-2', '9lives'])
def test_site_names_accepted(name):
    assert problems(site_name=name) == []


@pytest.mark.parametrize('name', ['', '-x', '.x', '_x', 'a' * 65, 'a b', 'a/b', 'a;b', 'é', 'a\n'])
def test_site_names_refused(name):
    assert 'letters, digits' in only_problem('site_name', site_name=name)


@pytest.mark.parametrize('name', [None, 5, ['a']])
def test_site_name_must_be_text(name):
    assert only_problem('site_name', site_name=name).startswith('nginx_proxy_site_name must be a string')


def test_site_id_is_lower_case_with_underscores():
    assert result(site_name='Office.Example-1_x')['site_id'] == 'office_example_1_x'


# server_names

@pytest.mark.parametrize('names', [None, [], 'office.example.test', {'a': 1}])
def test_server_names_must_be_a_non_empty_list(names):
    only_problem('server_names', server_names=names)


@pytest.mark.parametrize('name', ['a b', ' a', 'a\t', 'a;', 'a{', 'a}', "a'", 'a"', 'a/b', 'a:443', 'https://a'])
def test_server_names_with_syntax_characters_are_refused(name):
    assert 'cannot be in a server name' in only_problem('server_names', server_names=[name])


@pytest.mark.parametrize('name', ['-a.test', 'a-.test', 'a..test', '.a', 'a_b.test', 'a' * 64 + '.test',
                                  '.'.join(['a' * 63] * 4 + ['b']), 'é.test', '**.a.test', 'a.*.test', '*', ''])
def test_server_names_that_are_not_host_names_are_refused(name):
    assert 'a server name is a host name' in only_problem('server_names', server_names=[name])


def test_server_names_longest_label_and_name_pass():
    longest = '.'.join(['a' * 63] * 3 + ['b' * 61])
    assert len(longest) == 253
    assert result(server_names=['a' * 63 + '.test', longest.upper() + '.']) == dict(
        result(), server_names=['a' * 63 + '.test', longest])


def test_server_names_are_lower_case_without_trailing_dot():
    assert result(server_names=['Office.Example.Test.', '*.Example.ORG', '192.0.2.1'])['server_names'] == [
        'office.example.test', '*.example.org', '192.0.2.1']


def test_duplicate_server_names_are_refused():
    assert problems(server_names=['office.example.test', 'OFFICE.example.test.']) == [
        "nginx_proxy_server_names: 'OFFICE.example.test.' is listed twice (as 'office.example.test'; names are "
        "compared in lower case without a trailing dot); nginx warns about a conflicting server name"]


@pytest.mark.parametrize('tls', ['off', 'self_signed', 'provided'])
def test_catch_all_and_wildcards_pass_without_acme(tls):
    assert problems(server_names=['_', '*.example.test'], tls=tls) == []


def test_acme_refuses_the_catch_all_name():
    problem = only_problem('server_names', server_names=['office.example.test', '_'], tls='acme')
    assert "'_' is refused" in problem and 'HTTP-01' in problem and "nginx_proxy_tls 'acme'" in problem


def test_acme_refuses_wildcards():
    problem = only_problem('server_names', server_names=['*.example.test'], tls='acme')
    assert "'*.example.test' is refused" in problem and 'HTTP-01' in problem and 'wildcard' in problem


def test_acme_accepts_host_names():
    assert problems(server_names=['office.example.test', 'docs.example.test'], tls='acme') == []


# upstreams

@pytest.mark.parametrize('servers', [None, [], '127.0.0.1:8080', {'127.0.0.1': 8080}])
def test_upstreams_must_be_a_non_empty_list(servers):
    only_problem('upstreams', upstreams=servers)


@pytest.mark.parametrize('server, normal', [
    ('127.0.0.1:8080', '127.0.0.1:8080'),
    ('127.0.0.2:80', '127.0.0.2:80'),
    ('192.0.2.10:08080', '192.0.2.10:8080'),
    ('[::1]:8080', '[::1]:8080'),
    ('[0:0:0:0:0:0:0:1]:8080', '[::1]:8080'),
    ('[2001:DB8::A]:65535', '[2001:db8::a]:65535'),
    ('Node1.Example.test:8080', 'node1.example.test:8080'),
    ('node1.example.test.:1', 'node1.example.test:1'),
    ('onlyoffice-documentserver:80', 'onlyoffice-documentserver:80'),
    ('docops_ds:80', 'docops_ds:80'),
])
def test_upstreams_normalised(server, normal):
    assert result(upstreams=[server]) == dict(result(), upstreams=[normal])


def test_localhost_upstream_message():
    assert problems(upstreams=['localhost:8080']) == [
        "nginx_proxy_upstreams: 'localhost:8080' is refused: localhost resolves to both 127.0.0.1 and ::1, so nginx "
        "makes two upstream servers of it and the one the Document Server does not listen on refuses connections "
        "(502 'connect() failed (111)' on [::1]); use 127.0.0.1:8080"]


@pytest.mark.parametrize('server', ['LOCALHOST:9000', 'localhost.:9000', 'localhost.localdomain:9000',
                                    'ip6-localhost:9000', 'ip6-loopback:9000', 'docs.localhost:9000',
                                    'A.B.LocalHost:9000'])
def test_every_localhost_name_is_refused_with_the_port_in_the_fix(server):
    problem = only_problem('upstreams', upstreams=[server])
    assert problem.startswith('nginx_proxy_upstreams: %r is refused: localhost resolves' % server)
    assert problem.endswith('use 127.0.0.1:9000')


def test_a_name_that_only_contains_localhost_passes():
    assert problems(upstreams=['localhost.example.test:8080', 'mylocalhost:8080']) == []


def test_unspecified_ipv4_is_refused_with_the_fix():
    problem = only_problem('upstreams', upstreams=['0.0.0.0:8080'])
    assert problem == ("nginx_proxy_upstreams: '0.0.0.0:8080' is refused: 0.0.0.0 is where a server listens on all "
                       "addresses, not an address to connect to; use 127.0.0.1:8080 or the node's address")


def test_unspecified_ipv6_is_refused_with_the_fix():
    problem = only_problem('upstreams', upstreams=['[::]:8080'])
    assert "'[::]:8080' is refused" in problem and '127.0.0.1:8080' in problem and "node's address" in problem


@pytest.mark.parametrize('server, example', [
    ('::1:8080', "'[::1]:8080'"),
    ('2001:db8::1', "'[2001:db8::1]:8080'"),
    ('fe80::1:443', "'[fe80::1]:443'"),
])
def test_unbracketed_ipv6_is_refused_with_an_example(server, example):
    problem = only_problem('upstreams', upstreams=[server])
    assert 'needs brackets' in problem and problem.endswith(example)


@pytest.mark.parametrize('server', ['127.0.0.1', 'node1.example.test', '[::1]'])
def test_upstreams_need_a_port(server):
    assert 'the port is required' in only_problem('upstreams', upstreams=[server])


@pytest.mark.parametrize('server', ['127.0.0.1:0', '127.0.0.1:65536', '127.0.0.1:', '127.0.0.1:http',
                                    '127.0.0.1:-1', '[::1]:0', '[::1]:123456', 'a.test:8080 '])
def test_upstream_ports_from_1_to_65535(server):
    assert 'port must be a whole number from 1 to 65535' in only_problem('upstreams', upstreams=[server])


@pytest.mark.parametrize('server', ['127.0.0.01:80', '256.0.0.1:80', '127.1:80', '1.2.3.4.5:80', ':80',
                                    '-a.test:80', 'a b:80', 'a;b:80', 'a{b:80', '[127.0.0.1]:80', '[::1%eth0]:80',
                                    '[fe80::1]80', '[x]:80', 'http://a.test:80'])
def test_malformed_upstreams_are_refused(server):
    assert only_problem('upstreams', upstreams=[server]).startswith('nginx_proxy_upstreams: %r is refused: ' % server)


def test_duplicate_upstreams_are_refused_after_normalisation():
    problem = only_problem('upstreams', upstreams=['[::1]:8080', '[0::1]:08080'])
    assert problem == ("nginx_proxy_upstreams: '[0::1]:08080' is listed twice (as '[::1]:8080'); nginx would send "
                       "it twice the share of requests")


@pytest.mark.parametrize('item', [8080, None, ['127.0.0.1:8080']])
def test_upstream_items_must_be_text(item):
    assert 'is not a string' in only_problem('upstreams', upstreams=[item])


# vpath

@pytest.mark.parametrize('path, normal', [
    ('', ''), ('/', ''), (None, ''), ('/ds-vpath', '/ds-vpath'), ('/ds-vpath/', '/ds-vpath'),
    ('/a/b.c_d~e-f/', '/a/b.c_d~e-f'), ('/A9', '/A9'), ('/a..b', '/a..b'),
])
def test_vpath_normalised(path, normal):
    assert result(vpath=path) == dict(result(), vpath=normal)


def test_vpath_must_start_with_a_slash():
    assert problems(vpath='ds-vpath/') == [
        "nginx_proxy_vpath: 'ds-vpath/' is refused: a virtual path must start with '/', for example '/ds-vpath'"]


@pytest.mark.parametrize('path, char', [('/ds vpath', ' '), ('/a;b', ';'), ('/a%20', '%'), ('/a?b', '?'),
                                        ('/a#b', '#'), ('/a"b', '"'), ("/a'b", "'"), ('/a{b}', '{'), ('/é', 'é'),
                                        ('/a\\b', '\\'), ('/a\n', '\n'), ('/a$b', '$')])
def test_vpath_characters(path, char):
    assert problems(vpath=path) == [
        "nginx_proxy_vpath: %r is refused: %r cannot be in it; a virtual path holds only letters, digits and '.', "
        "'_', '~', '-', '/', because nginx locations and the editors' URLs use it unquoted" % (path, char)]


@pytest.mark.parametrize('path', ['//', '/a//b', '//a', '/a//'])
def test_vpath_double_slash(path):
    assert problems(vpath=path) == [
        "nginx_proxy_vpath: %r is refused: '//' is not allowed, because nginx merges slashes in the request path "
        "and the location would never match" % path]


@pytest.mark.parametrize('path', ['/.', '/..', '/a/./b', '/a/../b', '/a/..', '/../'])
def test_vpath_dot_segments(path):
    assert problems(vpath=path) == [
        "nginx_proxy_vpath: %r is refused: '.' and '..' segments are not allowed, because browsers and nginx "
        "resolve them away and the location would never match" % path]


@pytest.mark.parametrize('path', [5, ['/a'], True])
def test_vpath_must_be_text(path):
    assert only_problem('vpath', vpath=path).startswith('nginx_proxy_vpath must be a string')


# trusted_proxies

def test_trusted_proxies_normalised_addresses_stay_addresses_networks_stay_networks():
    answer = result(trusted_proxies=['10.0.0.0/8', '192.0.2.7', '192.0.2.8/32', '2001:0DB8::0001', '2001:db8::/32',
                                     '10.0.0.0/255.255.0.0', '::ffff:192.0.2.9'])
    assert answer['problems'] == []
    assert answer['trusted_proxies'] == ['10.0.0.0/8', '192.0.2.7', '192.0.2.8/32', '2001:db8::1', '2001:db8::/32',
                                         '10.0.0.0/16', '::ffff:c000:209']


def test_trusted_proxies_none_is_empty():
    assert result(trusted_proxies=None)['trusted_proxies'] == []


def test_trusted_proxies_with_host_bits_say_which_network():
    assert problems(trusted_proxies=['10.1.2.3/8']) == [
        "nginx_proxy_trusted_proxies: '10.1.2.3/8' is refused: it has host bits set, so it is neither an address "
        "nor a network; write 10.0.0.0/8 for the network or 10.1.2.3 for the one address"]
    assert '2001:db8::/32' in only_problem('trusted_proxies', trusted_proxies=['2001:db8::1/32'])


@pytest.mark.parametrize('proxy', ['proxy.example.test', '10.0.0.0/33', '10.0.0.256', ' 10.0.0.1', '10.0.0.0/8;',
                                   'fe80::1%eth0', '', '*'])
def test_trusted_proxies_must_be_addresses_or_networks(proxy):
    assert 'is not an IP address or a CIDR network' in only_problem('trusted_proxies', trusted_proxies=[proxy])


def test_duplicate_trusted_proxies_are_refused():
    assert problems(trusted_proxies=['192.0.2.7', '192.0.2.7/32']) == [
        "nginx_proxy_trusted_proxies: '192.0.2.7/32' is listed twice (both are 192.0.2.7/32)"]


@pytest.mark.parametrize('proxies', ['10.0.0.0/8', [10], {'a': 1}])
def test_trusted_proxies_must_be_a_list_of_text(proxies):
    only_problem('trusted_proxies', trusted_proxies=proxies)


# client_max_body_size

@pytest.mark.parametrize('size, normal', [
    ('100m', '100m'), ('100M', '100m'), ('0100M', '100m'), ('1g', '1g'), ('1G', '1g'), ('102400k', '102400k'),
    ('104857600', '104857600'), (104857600, '104857600'), (209715200, '209715200'), ('0', '0'), (0, '0'),
    ('00', '0'), ('8g', '8g'),
])
def test_body_sizes_accepted(size, normal):
    assert result(client_max_body_size=size) == dict(result(), client_max_body_size=normal)


def test_body_size_below_the_document_servers_limit():
    assert problems(client_max_body_size='10m') == [
        "nginx_proxy_client_max_body_size: '10m' is refused: the Document Server accepts uploads of up to 100m, so "
        "the gateway must allow at least 100m (104857600 bytes) or it answers 413 to files the Document Server "
        "would take; 0 means no limit"]


@pytest.mark.parametrize('size', ['99m', '102399k', '104857599', 104857599, 1, '1k'])
def test_body_sizes_just_below_100m_are_refused(size):
    assert 'must allow at least 100m' in only_problem('client_max_body_size', client_max_body_size=size)


@pytest.mark.parametrize('size', ['100MB', '100 m', '1.5g', '-1', -1, '', 'm', '100t', '1e9', None, 1.5, True,
                                  float('nan'), ['100m']])
def test_body_sizes_that_are_not_nginx_sizes(size):
    assert 'nginx size' in only_problem('client_max_body_size', client_max_body_size=size)


def test_body_sizes_nginx_cannot_hold():
    assert 'larger than nginx can hold' in only_problem('client_max_body_size', client_max_body_size='9' * 30)
    assert 'larger than nginx can hold' in only_problem('client_max_body_size', client_max_body_size='9000000000g')
    assert problems(client_max_body_size=str(2 ** 63 - 1)) == []


# whole numbers

NUMBERS = [
    ('connect_timeout', 1, 300),
    ('read_timeout', 1, 86400),
    ('send_timeout', 1, 86400),
    ('http_port', 1, 65535),
    ('https_port', 1, 65535),
    ('redirect_https_port', 1, 65535),
    ('hsts_max_age', 0, 126144000),
    ('upstream_max_fails', 0, 100),
    ('upstream_fail_timeout', 1, 3600),
]


def _distinct_ports(name, value):
    """Changes that set NAME to VALUE without making the HTTP and HTTPS ports equal."""
    changes = {name: value}
    if name in ('http_port', 'https_port'):
        changes['https_port' if name == 'http_port' else 'http_port'] = 2 if str(value) != '2' else 3
    return changes


@pytest.mark.parametrize('name, low, high', NUMBERS)
def test_numbers_at_their_limits_and_as_digit_strings_pass(name, low, high):
    for value in (low, high, str(low), str(high), '0%d' % high):
        assert problems(**_distinct_ports(name, value)) == [], value


@pytest.mark.parametrize('name, low, high', NUMBERS)
def test_numbers_outside_their_limits(name, low, high):
    for value in (low - 1, high + 1, str(high + 1)):
        assert only_problem(name, **_distinct_ports(name, value)) == (
            'nginx_proxy_%s must be >= %d and <= %d, got %d' % (name, low, high, int(value)))


@pytest.mark.parametrize('name, low, high', NUMBERS)
@pytest.mark.parametrize('value, shown', [
    (1.5, '1.5'), (10.0, '10.0'), (True, 'True'), (False, 'False'), (float('nan'), 'nan'), (float('inf'), 'inf'),
    (1e30, '1e+30'), ('1e3', "'1e3'"), ('10 ', "'10 '"), (' 10', "' 10'"), ('-1', "'-1'"), ('', "''"),
    (None, 'null'), ([10], 'a list'), ('9' * 40, "'" + '9' * 40 + "'"),
])
def test_numbers_must_be_whole(name, low, high, value, shown):
    assert only_problem(name, **_distinct_ports(name, value)) == (
        'nginx_proxy_%s must be a whole number >= %d and <= %d, got %s' % (name, low, high, shown))


def test_http_and_https_ports_differ():
    assert problems(http_port=8443, https_port='8443') == [
        'nginx_proxy_http_port and nginx_proxy_https_port are both 8443: nginx cannot serve plain HTTP and TLS on '
        'one port; choose two ports']


def test_redirect_port_may_equal_the_https_port_or_not():
    assert problems(redirect_https_port=443) == problems(redirect_https_port=8443) == []


# frame_ancestors

@pytest.mark.parametrize('sources', [
    ["'self'"], ["'none'"], ["'SELF'"], ['https:'], ['data:'], ['https://example.com'], ['https://*.example.com'],
    ['https://dms.example.com:8443'], ['example.com'], ['*.example.com'], ['*'], ['http://192.0.2.1:8080'],
    ['https://example.com:*'], ['https://example.com/app/'], ["'self'", 'https://dms.example.com', 'https:'],
])
def test_frame_ancestors_accepted_and_unchanged(sources):
    assert result(frame_ancestors=sources) == dict(result(), frame_ancestors=sources)


def test_frame_ancestors_none_is_empty():
    assert result(frame_ancestors=None)['frame_ancestors'] == []


@pytest.mark.parametrize('keyword', ['self', 'none', 'SELF'])
def test_frame_ancestors_keywords_need_their_quotes(keyword):
    assert 'single quotes' in only_problem('frame_ancestors', frame_ancestors=[keyword])


@pytest.mark.parametrize('source, char', [
    ('https://a.test https://b.test', ' '), ("'self' https://a.test", ' '), ('https://a.test;', ';'),
    ("'self';", ';'), ('https://a.test,https://b.test', ','), ('"self"', '"'), ("https://a.test'", "'"),
    ('https://a.test\t', '\t'),
])
def test_frame_ancestors_separators_and_quotes_are_refused(source, char):
    assert problems(frame_ancestors=[source]) == [
        "nginx_proxy_frame_ancestors: %r is refused: %r cannot be in a source: a source is one keyword ('self' or "
        "'none'), scheme (https:) or host (https://dms.example.com); list several as separate items" % (source, char)]


@pytest.mark.parametrize('keyword', ["'unsafe-inline'", "'strict-dynamic'", "'nonce-abc'", "'sha256-abc'"])
def test_frame_ancestors_takes_only_two_keywords(keyword):
    assert "only the keywords 'self' and 'none'" in only_problem('frame_ancestors', frame_ancestors=[keyword])


@pytest.mark.parametrize('source', ['https://', '://a.test', 'https://a..test', 'https://a.test:port', '1https:',
                                    'https://a_b.test', 'https://[::1]', 'é.test', '**.a.test'])
def test_frame_ancestors_malformed_sources(source):
    assert 'a source is' in only_problem('frame_ancestors', frame_ancestors=[source])


@pytest.mark.parametrize('sources', [["'none'", "'self'"], ['https://a.test', "'none'"], ["'NONE'", 'https:']])
def test_frame_ancestors_none_stands_alone(sources):
    assert problems(frame_ancestors=sources) == [
        "nginx_proxy_frame_ancestors: 'none' cannot be combined with other sources (browsers ignore it then); list "
        "'none' alone to forbid every frame"]


@pytest.mark.parametrize('sources', ["'self'", [1], {'self': True}])
def test_frame_ancestors_must_be_a_list_of_text(sources):
    only_problem('frame_ancestors', frame_ancestors=sources)


# tls

@pytest.mark.parametrize('mode', ['off', 'self_signed', 'provided', 'acme'])
def test_tls_modes(mode):
    assert problems(tls=mode) == []


@pytest.mark.parametrize('mode', ['', 'on', 'OFF', 'self-signed', 'letsencrypt', True, None, 1])
def test_other_tls_modes_are_refused(mode):
    assert only_problem('tls', tls=mode).startswith('nginx_proxy_tls must be one of off, self_signed, provided, acme, '
                                                    'got ')


def test_tls_unquoted_off_gets_the_yaml_hint():
    assert problems(tls=False) == [
        "nginx_proxy_tls is the boolean false: YAML reads an unquoted off as false; write nginx_proxy_tls: 'off'"]


# every problem is one line that names the variable

def test_every_problem_is_one_short_line_naming_a_variable():
    found = problems(site_name='x' * 1000, server_names=['a\nb', 'x' * 1000], upstreams=['a\n:1', '1' * 1000],
                     vpath='/\n', trusted_proxies=['\n'], client_max_body_size='\n', connect_timeout='\n' * 100,
                     frame_ancestors=['\n'], tls='\n')
    assert len(found) == 11
    for problem in found:
        assert len(problem) < 400, problem
        assert problem.split()[0].rstrip(':') in _gateway.KEYS, problem


# the default upstream from the documentserver role's publish settings

@pytest.mark.parametrize('addresses, port, upstream', [
    (['127.0.0.1'], 8080, '127.0.0.1:8080'),
    (['127.0.0.2'], 8080, '127.0.0.2:8080'),
    (['::1'], 8080, '[::1]:8080'),
    (['0.0.0.0'], 8080, '127.0.0.1:8080'),
    (['::'], 8080, '[::1]:8080'),
    (['127.0.0.1', '::1'], 8080, '127.0.0.1:8080'),
    (['::1', '127.0.0.1'], 8080, '[::1]:8080'),
    (['192.0.2.10'], 80, '192.0.2.10:80'),
    (['2001:DB8:0::A'], 8080, '[2001:db8::a]:8080'),
    ([], 8080, '127.0.0.1:8080'),
    (None, 8080, '127.0.0.1:8080'),
    (('127.0.0.1',), '8080', '127.0.0.1:8080'),
    (['127.0.0.1'], 65535, '127.0.0.1:65535'),
    (['127.0.0.1'], 1, '127.0.0.1:1'),
])
def test_upstream(addresses, port, upstream):
    assert _gateway.upstream(addresses, port) == upstream


@pytest.mark.parametrize('addresses, port, message', [
    (['localhost'], 8080, "gateway_upstream: the first bind address 'localhost' is not an IP address"),
    (['127.0.0.1:8080'], 8080, "gateway_upstream: the first bind address '127.0.0.1:8080' is not an IP address"),
    (['fe80::1%eth0'], 8080, "gateway_upstream: the first bind address 'fe80::1%eth0' is not an IP address"),
    ([None], 8080, 'gateway_upstream: the first bind address null is not an IP address'),
    ('127.0.0.1', 8080, "gateway_upstream: the bind addresses must be a list of IP addresses, got '127.0.0.1'"),
    (['127.0.0.1'], 0, 'gateway_upstream: port must be >= 1 and <= 65535, got 0'),
    (['127.0.0.1'], 65536, 'gateway_upstream: port must be >= 1 and <= 65535, got 65536'),
    (['127.0.0.1'], 8080.5, 'gateway_upstream: port must be a whole number >= 1 and <= 65535, got 8080.5'),
    (['127.0.0.1'], True, 'gateway_upstream: port must be a whole number >= 1 and <= 65535, got True'),
    (['127.0.0.1'], 'http', "gateway_upstream: port must be a whole number >= 1 and <= 65535, got 'http'"),
    (['127.0.0.1'], None, 'gateway_upstream: port must be a whole number >= 1 and <= 65535, got null'),
])
def test_upstream_errors_are_one_line(addresses, port, message):
    with pytest.raises(ValueError) as error:
        _gateway.upstream(addresses, port)
    assert str(error.value).startswith(message) and '\n' not in str(error.value)


def test_no_template_starts_in_problems_or_best_effort_values():
    """ansible-core < 2.19 may template a stored result again: a refused value must not become a template."""
    answer = result(vpath="/{{ lookup('pipe', 'id') }}", server_names=['{%x%}'], upstreams=['{#x#}:80'],
                    frame_ancestors=['{{x}}'], client_max_body_size='{{1}}')
    assert len(answer['problems']) == 5
    for text in answer['problems'] + [answer['vpath'], answer['client_max_body_size']] + answer['server_names'] + \
            answer['upstreams'] + answer['frame_ancestors']:
        assert '{{' not in text and '{%' not in text and '{#' not in text, text
    assert answer['vpath'] == "/\\x7b{ lookup('pipe', 'id') }}"
