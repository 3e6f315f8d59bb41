# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The cause catalogue: each cause classified from recorded evidence (log and error.log lines as the real
Document Server and nginx print them, DESIGN.md sections 5 and 7), the root-most cause first, healthy evidence
matching nothing, and the README's cause table equal to the catalogue."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import os
import re

import pytest

from ansible_collections.docops.onlyoffice.plugins.module_utils import _causes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))

ERROR_LOG = ('2026/11/22 10:00:00 [error] 812#812: *31 %s while connecting to upstream, client: 203.0.113.9, '
             'server: office.example.test, request: "GET /healthcheck HTTP/1.1", upstream: "http://%s/healthcheck", '
             'host: "office.example.test"')

# A stack that works: what the gatherer reports when nothing is wrong.
HEALTHY = {
    'container': {'found': True, 'name': 'onlyoffice-documentserver', 'running': True, 'restarting': False,
                  'status': 'running', 'exit_code': 0, 'restart_count': 0, 'started_at': '2026-11-22T09:00:00Z',
                  'health': 'healthy', 'oom_kill_count': 0, 'memory_limit_mb': None,
                  'logs': ['[2026-11-22T09:00:13.201] [WARN] [localhost] [docId] [userId] nodeJS - Express server '
                           'listening on port 8000 in production-linux mode. Version: 9.4.0. Build: 1'],
                  'published': [{'host_ip': '127.0.0.1', 'host_port': 8080, 'container_port': '80/tcp'}]},
    'baseline': {'restart_count': 0, 'started_at': '2026-11-22T09:00:00Z'},
    'start': {'elapsed': 3600, 'budget': 300},
    'inner': {'answer': {'status': 200, 'body': 'true', 'error_kind': None}, 'docservice_listening': True},
    'gateway': {'running': True, 'listening': True, 'config_ok': True, 'config_error': None,
                'upstreams': ['127.0.0.1:8080'], 'error_log': [],
                'answer': {'status': 200, 'body': 'true', 'error_kind': None}},
    'outside': {'answer': {'status': 200, 'body': 'true', 'error_kind': None},
                'baseurl': 'https://office.example.test', 'expected_baseurl': 'https://office.example.test',
                'websocket_status': 101, 'command_error': 0, 'tls_error': None},
    'docker': {'rules_ok': True},
    'host': {'mem_total_mb': 8192, 'swap_total_mb': 2048, 'disk_free_mb': 30000},
    'clock': {'skew_seconds': 0.4},
}
BAD_GATEWAY = {'status': 502, 'body': '<html>502 Bad Gateway</html>', 'error_kind': None}


def broken(**changes):
    """HEALTHY with CHANGES: keys 'a__b' set evidence['a']['b']."""
    evidence = copy.deepcopy(HEALTHY)
    for key, value in changes.items():
        section, _sep, name = key.partition('__')
        evidence[section][name] = value
    return evidence


CASES = {
    'container_missing': broken(container__found=False, inner__answer={'status': None, 'error_kind': 'refused'},
                                outside__answer=BAD_GATEWAY),
    'oom_killed': broken(container__running=False, container__status='exited', container__exit_code=137,
                         container__oom_kill_count=1, outside__answer=BAD_GATEWAY),
    'crash_loop': broken(container__restart_count=4, container__started_at='2026-11-22T09:58:00Z',
                         container__logs=['Error: listen EADDRINUSE', 'killed by signal 9'], outside__answer=BAD_GATEWAY),
    'container_exited': broken(container__running=False, container__status='exited', container__exit_code=0,
                               outside__answer=BAD_GATEWAY),
    'host_resources': broken(host__mem_total_mb=1900, host__swap_total_mb=0),
    'nofile_limit': broken(container__nofile_limit=1073741816, container__logs=[
        'Waiting for connection to the localhost host on port 5672'] * 3, inner__answer=BAD_GATEWAY,
        inner__docservice_listening=False),
    'broker_incompatible': broken(container__logs=[
        '[2026-11-22T09:00:02.001] [ERROR] [localhost] [docId] [userId] nodeJS - [AMQP] Error: Handshake terminated '
        'by server: 530 (NOT-ALLOWED) with message "NOT_ALLOWED - negotiated frame_max = 4096 is lower than the '
        'minimum allowed value (8192)"'], inner__answer=BAD_GATEWAY, inner__docservice_listening=False),
    'dependency_unreachable': broken(container__logs=[
        '[2026-11-22T09:00:02.001] [ERROR] [localhost] [docId] [userId] nodeJS - [AMQP] Error: connect ECONNREFUSED '
        '172.18.0.3:5672'], inner__answer={'status': 200, 'body': 'false', 'error_kind': None},
        outside__answer={'status': 200, 'body': 'false', 'error_kind': None}),
    'starting': broken(start__elapsed=20, inner__answer=BAD_GATEWAY,
                       inner__docservice_listening=False, outside__answer=BAD_GATEWAY),
    'docservice_down': broken(inner__answer=BAD_GATEWAY, inner__docservice_listening=False,
                              outside__answer=BAD_GATEWAY),
    'jwt_mismatch': broken(outside__command_error=6),
    'clock_skew': broken(clock__skew_seconds=-3600, outside__command_error=7),
    'gateway_config_invalid': broken(gateway__config_ok=False, gateway__config_error=(
        'unknown directive "proxy_bogus" in /etc/nginx/sites-enabled/onlyoffice:115'),
        outside__answer={'status': None, 'error_kind': 'refused'}),
    'gateway_down': broken(gateway__running=False, gateway__listening=False,
                           outside__answer={'status': None, 'error_kind': 'refused'}),
    'upstream_localhost': broken(gateway__upstreams=['localhost:8080'], gateway__error_log=[
        ERROR_LOG % ('connect() failed (111: Connection refused)', '[::1]:8080')], outside__answer=BAD_GATEWAY),
    'upstream_port_mismatch': broken(gateway__upstreams=['127.0.0.1:8000'], gateway__error_log=[
        ERROR_LOG % ('connect() failed (111: Connection refused)', '127.0.0.1:8000')], outside__answer=BAD_GATEWAY),
    'upstream_scheme_wrong': broken(container__published=[
        {'host_ip': '127.0.0.1', 'host_port': 8080, 'container_port': '80/tcp'},
        {'host_ip': '127.0.0.1', 'host_port': 8443, 'container_port': '443/tcp'}], gateway__upstreams=['127.0.0.1:8443'],
        outside__answer=BAD_GATEWAY),
    'selinux_denied': broken(gateway__error_log=[
        ERROR_LOG % ('connect() to 127.0.0.1:8080 failed (13: Permission denied)', '127.0.0.1:8080')],
        outside__answer=BAD_GATEWAY),
    'upstream_closed': broken(gateway__error_log=[
        '2026/11/22 10:00:00 [error] 812#812: *31 upstream prematurely closed connection while reading response header '
        'from upstream, client: 203.0.113.9, upstream: "http://127.0.0.1:8080/healthcheck"'], outside__answer=BAD_GATEWAY),
    'no_live_upstreams': broken(gateway__error_log=[
        '2026/11/22 10:00:00 [error] 812#812: *32 no live upstreams while connecting to upstream, client: 203.0.113.9, '
        'upstream: "http://onlyoffice/healthcheck"'], outside__answer=BAD_GATEWAY),
    'header_too_big': broken(gateway__error_log=[
        '2026/11/22 10:00:00 [error] 812#812: *33 upstream sent too big header while reading response header from '
        'upstream, client: 203.0.113.9, upstream: "http://127.0.0.1:8080/"'], outside__answer=BAD_GATEWAY),
    'upstream_refused': broken(gateway__error_log=[
        ERROR_LOG % ('connect() failed (111: Connection refused)', '127.0.0.1:8080')], outside__answer=BAD_GATEWAY),
    'upstream_timeout': broken(gateway__error_log=[
        '2026/11/22 10:01:00 [error] 812#812: *34 upstream timed out (110: Connection timed out) while reading '
        'response header from upstream, client: 203.0.113.9, upstream: "http://127.0.0.1:8080/healthcheck"'],
        outside__answer={'status': 504, 'body': '', 'error_kind': None}),
    'tls_error': broken(outside__tls_error="certificate is not valid for 'office.example.test'",
                        outside__answer={'status': None, 'error_kind': 'tls'}),
    'mixed_scheme': broken(outside__baseurl='http://office.example.test'),
    'proxy_headers_wrong': broken(outside__websocket_status=400),
    'docker_rules_wiped': broken(docker__rules_ok=False, outside__answer=BAD_GATEWAY),
    'firewall_blocked': broken(outside__answer={'status': None, 'error_kind': 'timeout', 'error': 'timed out'}),
}


def test_every_cause_has_a_recorded_case():
    assert sorted(CASES) == sorted(cause.id for cause in _causes.CATALOGUE)


def test_healthy_evidence_matches_nothing():
    assert _causes.classify(HEALTHY) == []
    assert _causes.classify({}) == []


@pytest.mark.parametrize('cause_id', sorted(CASES))
def test_each_cause_is_classified_from_its_evidence(cause_id):
    found = _causes.classify(CASES[cause_id])
    assert found, 'nothing matched'
    assert found[0]['id'] == cause_id, [item['id'] for item in found]
    assert found[0]['layer'] == _causes.BY_ID[cause_id].layer
    assert found[0]['evidence'] and '\n' not in found[0]['evidence']


def test_root_most_cause_wins():
    # An OOM-killed container also leaves connection-refused lines in the gateway's error.log.
    evidence = copy.deepcopy(CASES['oom_killed'])
    evidence['gateway']['error_log'] = CASES['upstream_refused']['gateway']['error_log']
    ids = [item['id'] for item in _causes.classify(evidence)]
    assert ids[0] == 'oom_killed' and 'upstream_refused' in ids


def test_layers_are_in_root_order():
    ranks = [_causes.LAYERS.index(item['layer']) for item in _causes.classify(_merged_cases())]
    assert ranks == sorted(ranks)


def _merged_cases():
    merged = copy.deepcopy(HEALTHY)
    for evidence in CASES.values():
        for section, values in evidence.items():
            for key, value in values.items():
                if value != HEALTHY.get(section, {}).get(key):
                    merged.setdefault(section, {})[key] = value
    return merged


def test_still_starting_is_not_docservice_down():
    ids = [item['id'] for item in _causes.classify(CASES['starting'])]
    assert 'starting' in ids and 'docservice_down' not in ids


def test_a_hang_is_a_timeout_before_nginx_writes_its_own():
    # A hung docservice: the container's port accepts and says nothing; the gateway's 110 line comes only after
    # its 60 s read timeout, long after the probe's 3 s.
    evidence = broken(inner__answer={'status': None, 'body': '', 'error_kind': 'timeout',
                                     'error': 'response: timed out'},
                      outside__answer={'status': None, 'error_kind': 'timeout', 'error': 'response: timed out'})
    evidence['gateway']['answer'] = {'status': None, 'error_kind': 'timeout', 'error': 'response: timed out'}
    found = _causes.classify(evidence)
    assert found[0]['id'] == 'upstream_timeout', found
    assert "does not answer (response: timed out)" in found[0]['evidence']


def test_a_dependency_outage_that_is_over_is_history():
    lines = ['[2026-11-22T10:00:00.000] [WARN] [localhost] [docId] [userId] nodeJS - Express server listening on port 8000',
             '[2026-11-22T10:05:00.000] [ERROR] [localhost] [docId] [userId] nodeJS - healthCheck error Error: connect '
             'ECONNREFUSED 127.0.0.1:5432']
    assert 'dependency_unreachable' not in [item['id'] for item in _causes.classify(broken(container__logs=lines))]
    now_false = broken(container__logs=lines, inner__answer={'status': 200, 'body': 'false', 'error_kind': None})
    assert _causes.classify(now_false)[0]['id'] == 'dependency_unreachable'


def test_a_loop_caught_between_two_crashes_without_a_baseline():
    evidence = broken(container__restart_count=3, start__elapsed=4, start__budget=300)
    evidence.pop('baseline')
    assert _causes.classify(evidence)[0]['id'] == 'crash_loop'
    evidence['start']['elapsed'] = 86400  # restarted once, long ago: not a loop now
    assert 'crash_loop' not in [item['id'] for item in _causes.classify(evidence)]


def test_message_is_one_line():
    finding = _causes.classify(CASES['upstream_refused'])[0]
    line = _causes.message(502, 'the gateway', finding)
    assert line.startswith('502 from the gateway: the gateway cannot connect to its upstream (refused) — error.log: ')
    assert line.endswith('— check the container causes above, then the upstream address and port')
    assert '\n' not in line


def test_readme_cause_table_is_the_catalogue():
    with open(os.path.join(ROOT, 'README.md'), encoding='utf-8') as handle:
        readme = handle.read()
    rows = re.findall(r'^\| `([a-z_]+)` \| (\w+) \| (.+?) \| (.+?) \|$', readme, re.M)
    assert rows, 'no cause table in README.md'
    assert [row[0] for row in rows] == [cause.id for cause in _causes.CATALOGUE]
    for cause_id, layer, says, fix in rows:
        cause = _causes.BY_ID[cause_id]
        assert (layer, says, fix) == (cause.layer, cause.says, cause.fix)
