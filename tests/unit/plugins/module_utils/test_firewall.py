# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""host_firewall without nft: parameter checks, the SSH port read, the SSH guard, the rendered
table, unit and rollback script, nft's errors on one line, and NftablesRun with a fake nft that
keeps one table in memory (files under tmp_path).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os

import pytest

from ansible_collections.docops.onlyoffice.plugins.module_utils import _firewall as fw
from ansible_collections.docops.onlyoffice.plugins.module_utils._firewall import FirewallFailure, NftablesRun

WEB = [dict(port=22), dict(port=80), dict(port=443)]


def params(**overrides):
    values = dict(state='present', backend='auto', allow=WEB, default_incoming_policy='drop', forward_block_ports=[],
                  ssh_port=None, force=False, confirm_timeout=0, table='docops_firewall',
                  persist_path='/etc/nftables.d/docops-firewall.nft')
    values.update(overrides)
    return values


# ---------------------------------------------------------------- parameters

@pytest.mark.parametrize('overrides', [
    {}, dict(allow=[]), dict(allow=[dict(port=53, protocol='udp', sources=['10.0.0.0/8', '2001:db8::/32', '::1'])]),
    dict(forward_block_ports=[8080, 65535]), dict(ssh_port=2222), dict(confirm_timeout=10),
    dict(confirm_timeout=3600), dict(default_incoming_policy='accept'), dict(state='confirmed'), dict(table='fw_2'),
    dict(backend='firewalld', zone='public'), dict(zone='docker'),
])
def test_valid_parameters(overrides):
    assert fw.parameter_problem(params(**overrides)) is None


@pytest.mark.parametrize('overrides, message', [
    (dict(allow=[dict(port=0)]), 'allow[0].port must be >= 1 and <= 65535, got 0'),
    (dict(allow=[dict(port=22), dict(port=70000)]), 'allow[1].port must be >= 1 and <= 65535, got 70000'),
    (dict(allow=[dict(port=True)]), 'allow[0].port must be a port number (an integer), got True'),
    (dict(allow=[dict(port=22, protocol='icmp')]), "allow[0].protocol must be tcp or udp, got 'icmp'"),
    (dict(allow=[dict(port=22, sources=['10.0.0.0/33'])]),
     "allow[0].sources[0] must be an IPv4 or IPv6 address or network (CIDR), got '10.0.0.0/33'"),
    (dict(allow=[dict(port=22, sources=['10.0.0.1/8'])]),
     "allow[0].sources[0] has host bits set: '10.0.0.1/8' is not a network address (did you mean 10.0.0.0/8?)"),
    (dict(allow=[dict(port=22, sources=['example.org'])]), "allow[0].sources[0] must be an IPv4 or IPv6"),
    (dict(allow=[dict(port=22, sources=['2001:db8::1/32'])]), 'allow[0].sources[0] has host bits set'),
    (dict(forward_block_ports=[8080, 0]), 'forward_block_ports[1] must be >= 1 and <= 65535, got 0'),
    (dict(ssh_port=65536), 'ssh_port must be >= 1 and <= 65535, got 65536'),
    (dict(confirm_timeout=5), 'confirm_timeout must be 0 (off) or >= 10 and <= 3600, got 5'),
    (dict(confirm_timeout=3601), 'confirm_timeout must be 0 (off) or >= 10 and <= 3600, got 3601'),
    (dict(table='docops-firewall'), 'table must be an nftables name'),
    (dict(table='x' * 33), 'table must be an nftables name'),
    (dict(persist_path='etc/fw.nft'), 'persist_path must be an absolute file path'),
    (dict(persist_path='/etc/fw nft'), 'persist_path must be an absolute file path'),
    (dict(default_incoming_policy='reject'), 'default_incoming_policy must be one of drop, accept'),
    (dict(zone='my zone'), "zone must be a firewalld zone name (letters, digits, \"_\", \"-\", \"/\", at most 17), "
                           "got 'my zone'"),
    (dict(zone='z' * 18), 'zone must be a firewalld zone name'),
])
def test_invalid_parameters_name_the_parameter_on_one_line(overrides, message):
    problem = fw.parameter_problem(params(**overrides))
    assert problem is not None and message in problem and '\n' not in problem, problem


def test_sources_are_normalised():
    assert fw.parse_source('10.0.0.0/8') == ('10.0.0.0/8', None)
    assert fw.parse_source('192.0.2.7') == ('192.0.2.7', None)
    assert fw.parse_source('192.0.2.7/32') == ('192.0.2.7', None)
    assert fw.parse_source('2001:DB8::/32') == ('2001:db8::/32', None)


# ---------------------------------------------------------------- the SSH port

def test_ssh_connection_is_parsed():
    assert fw.parse_ssh_connection('172.18.0.1 51234 172.18.0.2 22') == (22, '172.18.0.1')
    assert fw.parse_ssh_connection('::ffff:192.0.2.1 51234 ::ffff:192.0.2.9 2222') == (2222, '192.0.2.1')
    assert fw.parse_ssh_connection('fe80::1%eth0 5 fe80::2%eth0 22') == (22, 'fe80::1')
    assert fw.parse_ssh_connection('') is None
    assert fw.parse_ssh_connection('1.2.3.4 5 6.7.8.9 http') is None
    assert fw.parse_ssh_connection('1.2.3.4 5 6.7.8.9 0') is None


def test_environ_and_sshd_t_are_parsed():
    assert fw.parse_environ(b'A=1\0SSH_CONNECTION=1.2.3.4 5 6.7.8.9 22\0B\0') == {
        'A': '1', 'SSH_CONNECTION': '1.2.3.4 5 6.7.8.9 22'}
    assert fw.sshd_ports('port 22\naddressfamily any\nport 2222\nport 22\n') == [22, 2222]
    assert fw.sshd_ports('') == []


def test_guard_refuses_a_rule_set_without_the_ssh_port():
    problem = fw.ssh_guard_problem(fw.rules_of([dict(port=80)]), 'drop', [22], 'SSH_CONNECTION')
    assert problem == ('the rule set does not allow the SSH port 22 that this connection uses (read from '
                       'SSH_CONNECTION); add it or set force=true')
    assert fw.ssh_guard_problem(fw.rules_of([dict(port=22, protocol='udp')]), 'drop', [22], 'sshd -T')
    assert fw.ssh_guard_problem(fw.rules_of([dict(port=80)]), 'accept', [22], 'sshd -T') is None
    assert fw.ssh_guard_problem(fw.rules_of(WEB), 'drop', [22], 'SSH_CONNECTION', '203.0.113.9') is None
    assert fw.ssh_guard_problem(fw.rules_of([dict(port=80)]), 'drop', [], None) is None


def test_guard_checks_the_address_of_the_connection():
    rules = fw.rules_of([dict(port=22, sources=['192.0.2.0/24', '2001:db8::/32'])])
    assert fw.ssh_guard_problem(rules, 'drop', [22], 'SSH_CONNECTION', '192.0.2.50') is None
    assert fw.ssh_guard_problem(rules, 'drop', [22], 'SSH_CONNECTION', '2001:db8::5') is None
    problem = fw.ssh_guard_problem(rules, 'drop', [22], 'SSH_CONNECTION', '172.18.0.1')
    assert problem.startswith('the rule set allows the SSH port 22 only from 192.0.2.0/24, 2001:db8::/32, not from '
                              '172.18.0.1'), problem


# ---------------------------------------------------------------- texts

def test_rendered_table_replaces_only_our_table():
    text = fw.render('docops_firewall', fw.rules_of(WEB), 'drop', [8080])
    assert 'flush' not in text
    lines = [line for line in text.splitlines() if line and not line.startswith('#')]
    assert lines[:3] == ['table inet docops_firewall {}', 'delete table inet docops_firewall',
                         'table inet docops_firewall {']
    tables = [line for line in lines if line.startswith('table ') or line.startswith('delete ')]
    assert all('inet docops_firewall' in line for line in tables)
    assert text == fw.render('docops_firewall', fw.rules_of(WEB), 'drop', [8080])


def test_rendered_input_chain_order():
    allow = [dict(port=22), dict(port=53, protocol='udp', sources=['10.0.0.0/8', '::1']), dict(port=22)]
    text = fw.render('t', fw.rules_of(allow), 'drop')
    body = [line.strip() for line in text.splitlines()]
    start = body.index('type filter hook input priority 0; policy drop;')
    assert body[start + 1:start + 5] == ['iif "lo" accept', 'ct state established,related accept',
                                         body[start + 3], body[start + 4]]
    assert body[start + 3].startswith('icmpv6 type {') and 'nd-neighbor-solicit' in body[start + 3]
    assert body[start + 4].startswith('icmp type {') and 'echo-request' in body[start + 4]
    assert body[start + 5:start + 9] == ['ct state invalid drop', 'tcp dport 22 accept',
                                         'ip saddr 10.0.0.0/8 udp dport 53 accept', 'ip6 saddr ::1 udp dport 53 accept']
    assert body[start + 9] == '}'  # the duplicate rule is rendered once
    assert 'chain forward' not in text


def test_rendered_forward_chain_drops_dnated_traffic_to_the_blocked_ports():
    text = fw.render('t', [], 'accept', [8443, 8080, 8080])
    assert 'type filter hook forward priority -1; policy accept;' in text
    drops = [line.strip() for line in text.splitlines() if 'proto-dst' in line]
    assert drops == ['iifname != "lo" ct status dnat meta l4proto %s ct original proto-dst %d drop' % (proto, port)
                     for port in (8080, 8443) for proto in ('tcp', 'udp')]


def test_unit_loads_the_file_before_docker_and_after_debians_flush():
    unit = fw.unit_text('/usr/sbin/nft', '/etc/nftables.d/docops-firewall.nft')
    assert 'ExecStart=/usr/sbin/nft -f /etc/nftables.d/docops-firewall.nft' in unit
    assert 'Before=network-pre.target docker.service shutdown.target' in unit
    assert 'After=nftables.service' in unit and 'Wants=network-pre.target' in unit
    assert 'WantedBy=sysinit.target' in unit and 'flush' not in unit


def test_rollback_script():
    script = fw.rollback_script('/usr/sbin/nft', '/var/lib/x', '/etc/fw.nft', True, 'docops_firewall', True)
    assert '/usr/sbin/nft -f /var/lib/x/previous.nft' in script
    assert 'mv -f /etc/fw.nft.docops-rollback.tmp /etc/fw.nft' in script
    assert 'list table inet docops_firewall > /var/lib/x/applied.list.tmp' in script
    script = fw.rollback_script('/usr/sbin/nft', '/var/lib/x', '/etc/fw.nft', False)
    assert 'rm -f /etc/fw.nft' in script and 'rm -f /var/lib/x/applied.list' in script
    assert 'flush' not in script


def test_nft_errors_become_one_line():
    output = ('/dev/stdin:9:20-24: Error: syntax error, unexpected number\n\t\ttcp dport 99999 accept\n'
              '\t\t          ^^^^^\n/dev/stdin:12:1-1: Error: syntax error, unexpected end of file\n')
    assert fw.error_line(output) == ('/dev/stdin:9:20-24: Error: syntax error, unexpected number; '
                                     '/dev/stdin:12:1-1: Error: syntax error, unexpected end of file')
    assert fw.error_line('') == 'nft printed nothing'


# ---------------------------------------------------------------- NftablesRun with a fake nft

class FakeHost:
    """nft keeps one table (its "listing" is the text that was loaded); systemctl and systemd-run are recorded."""

    def __init__(self, tmp_path, nft=True, check_fails=None):
        self.tmp_path = tmp_path
        self.nft = nft
        self.check_fails = check_fails
        self.table = None
        self.calls = []
        self.enabled = False
        self.timer = False
        self.rollback_running = False

    def which(self, name):
        if name == 'nft' and not self.nft:
            return None
        if name == 'sshd':
            return None
        return '/usr/sbin/' + name

    def run_command(self, argv, data=None):
        self.calls.append((argv, data))
        name = os.path.basename(argv[0])
        if name == 'nft':
            if argv[1:3] == ['list', 'table']:
                if self.table is None:
                    return 1, '', 'Error: No such file or directory\nlist table inet docops_firewall\n'
                return 0, self.table, ''
            if argv[1:3] == ['-c', '-f']:
                if self.check_fails:
                    return 1, '', self.check_fails
                return 0, '', ''
            if argv[1] == '-f':
                body = data.split('delete table inet docops_firewall\n', 1)[1]
                self.table = body if body.strip() else None
                return 0, '', ''
            if argv[1] == 'delete':
                self.table = None
                return 0, '', ''
        if name == 'systemctl':
            if argv[1] == 'is-enabled':
                return (0, 'enabled\n', '') if self.enabled else (1, 'disabled\n', '')
            if argv[1] == 'enable':
                self.enabled = True
            if argv[1] == 'disable':
                self.enabled = False
            if argv[1] == 'is-active':
                active = self.rollback_running if argv[2].endswith('.service') else self.timer
                return (0, 'active\n', '') if active else (3, 'inactive\n', '')
            if argv[1] == 'stop':
                self.timer = False
            return 0, '', ''
        if name == 'systemd-run':
            self.timer = True
            return 0, '', ''
        raise AssertionError('unexpected command %r' % (argv,))

    def run(self, check_mode=False, environ=None, **overrides):
        values = params(persist_path=str(self.tmp_path / 'etc' / 'nftables.d' / 'docops-firewall.nft'))
        values.update(overrides)
        run = NftablesRun(values, self.run_command, self.which, check_mode=check_mode,
                          environ={'SSH_CONNECTION': '172.18.0.1 40000 172.18.0.2 22'} if environ is None else environ,
                          state_dir=str(self.tmp_path / 'state'), unit_dir=str(self.tmp_path / 'units'),
                          proc_dir=str(self.tmp_path / 'no-proc'))
        return run.run()


def test_apply_is_idempotent_and_persists(tmp_path):
    host = FakeHost(tmp_path)
    first = host.run()
    assert first['changed'] and first['ssh_port'] == 22 and first['ssh_port_source'] == 'SSH_CONNECTION'
    assert first['diff'][0]['before'] == '' and 'tcp dport 443 accept' in first['diff'][0]['after']
    persisted = (tmp_path / 'etc' / 'nftables.d' / 'docops-firewall.nft').read_text()
    assert persisted == first['diff'][0]['after'] and host.enabled
    assert 'ExecStart=' in (tmp_path / 'units' / 'docops-firewall.service').read_text()
    second = host.run()
    assert not second['changed'] and second['diff'] == []
    host.table += '# changed by hand\n'
    third = host.run()
    assert third['changed'] and any('changed outside this module' in w for w in third['warnings'])


def test_check_mode_changes_nothing(tmp_path):
    host = FakeHost(tmp_path)
    result = host.run(check_mode=True)
    assert result['changed'] and host.table is None and not (tmp_path / 'etc').exists()
    assert not any(argv[1] == '-f' for argv, _data in host.calls if argv[0].endswith('nft'))


def test_guard_refuses_before_anything_runs(tmp_path):
    host = FakeHost(tmp_path)
    with pytest.raises(FirewallFailure) as caught:
        host.run(allow=[dict(port=80)])
    assert caught.value.msg.startswith('the rule set does not allow the SSH port 22')
    assert host.table is None and not any(argv[1] == '-f' for argv, _data in host.calls if argv[0].endswith('nft'))
    forced = host.run(allow=[dict(port=80)], force=True)
    assert forced['changed'] and any('applied anyway (force=true)' in w for w in forced['warnings'])


def test_rejected_rule_set_is_not_applied(tmp_path):
    host = FakeHost(tmp_path, check_fails='/dev/stdin:3:1-5: Error: boom\nline\n^^^\n')
    with pytest.raises(FirewallFailure) as caught:
        host.run()
    assert caught.value.msg == 'nft -c rejected the rule set, nothing was applied: /dev/stdin:3:1-5: Error: boom'
    assert host.table is None


def test_missing_nft_is_one_line(tmp_path):
    with pytest.raises(FirewallFailure) as caught:
        FakeHost(tmp_path, nft=False).run(backend='nftables')
    assert 'backend nftables: the nft command is not installed' in caught.value.msg
    result = FakeHost(tmp_path, nft=False).run(check_mode=True)
    assert result['changed'] and any('check mode reports' in w for w in result['warnings'])


def test_commit_confirm_saves_arms_and_confirm_cancels(tmp_path):
    host = FakeHost(tmp_path)
    host.run()
    old_table = host.table
    result = host.run(allow=[dict(port=22)], confirm_timeout=10)
    assert result['rollback_pending'] and result['rollback_seconds'] == 10 and host.timer
    state = tmp_path / 'state'
    assert 'tcp dport 80 accept' in (state / 'previous.nft').read_text()
    assert (state / 'previous.nft').read_text().startswith('# Managed')  # our own file: nft loads it again
    assert 'tcp dport 80 accept' in (state / 'previous-persist.nft').read_text()
    run = [argv for argv, _data in host.calls if argv[0].endswith('systemd-run')][-1]
    assert run[1:4] == ['--unit', 'docops-firewall-rollback', '--on-active=10']
    assert 'tcp dport 80 accept' not in host.table and host.table != old_table
    confirmed = host.run(state='confirmed')
    assert confirmed['changed'] and not host.timer and sorted(os.listdir(str(state))) == ['applied.list']
    assert not host.run(state='confirmed')['changed']


def test_late_confirmation_fails(tmp_path):
    host = FakeHost(tmp_path)
    host.run()
    (tmp_path / 'state' / 'rolled-back').write_text('2030-01-01T00:00:00Z\n')
    with pytest.raises(FirewallFailure) as caught:
        host.run(state='confirmed')
    assert caught.value.msg.startswith('too late: the change was already rolled back at 2030-01-01T00:00:00Z')


def test_confirmation_while_the_rollback_runs_fails(tmp_path):
    host = FakeHost(tmp_path)
    host.run(confirm_timeout=10)
    host.rollback_running = True
    with pytest.raises(FirewallFailure) as caught:
        host.run(state='confirmed')
    assert caught.value.msg.startswith('too late: the rollback of the unconfirmed change is running now')
    assert (tmp_path / 'state' / 'rollback.sh').exists()  # nothing removed under the running script


def test_first_commit_confirm_saves_the_absence_of_the_table(tmp_path):
    host = FakeHost(tmp_path)
    host.run(confirm_timeout=30)
    saved = (tmp_path / 'state' / 'previous.nft').read_text()
    assert saved == 'table inet docops_firewall {}\ndelete table inet docops_firewall\n'
    assert 'rm -f ' + str(tmp_path / 'etc' / 'nftables.d' / 'docops-firewall.nft') in (
        tmp_path / 'state' / 'rollback.sh').read_text()


def test_absent_removes_everything_once(tmp_path):
    host = FakeHost(tmp_path)
    host.run(confirm_timeout=30)
    result = host.run(state='absent')
    assert result['changed'] and host.table is None and not host.timer and not host.enabled
    assert os.listdir(str(tmp_path / 'state')) == [] and not (tmp_path / 'units' / 'docops-firewall.service').exists()
    assert not host.run(state='absent')['changed']


def test_explicit_ssh_port_is_guarded(tmp_path):
    host = FakeHost(tmp_path)
    with pytest.raises(FirewallFailure) as caught:
        host.run(ssh_port=2222, environ={})
    assert 'SSH port 2222' in caught.value.msg and '(read from ssh_port)' in caught.value.msg


# ---------------------------------------------------------------- choosing the backend

NOTHING = dict(nft=False, ufw=False, ufw_active=False, firewalld=False, firewalld_active=False)


@pytest.mark.parametrize('requested, found, expected', [
    ('auto', {}, 'nftables'),                                   # nothing installed: ours, installed by the role
    ('auto', dict(nft=True), 'nftables'),
    ('auto', dict(nft=True, ufw=True), 'nftables'),             # ufw installed but inactive does not own the host
    ('auto', dict(ufw=True), 'ufw'),
    ('auto', dict(firewalld=True), 'nftables'),                 # firewalld installed but stopped: not in the way
    ('auto', dict(nft=True, ufw=True, ufw_active=True), 'ufw'),
    ('auto', dict(nft=True, firewalld=True, firewalld_active=True), 'firewalld'),
    ('nftables', dict(nft=True, ufw=True), 'nftables'),
    ('ufw', dict(ufw=True, ufw_active=True), 'ufw'),
    ('ufw', {}, 'ufw'),                                         # missing: the backend's own prepare() says so
    ('firewalld', dict(firewalld=True, firewalld_active=True), 'firewalld'),
    ('firewalld', dict(nft=True), 'firewalld'),                 # installed or not: its own prepare() says so
])
def test_backend_choice(requested, found, expected):
    assert fw.choose_backend(requested, dict(NOTHING, **found)) == (expected, None)


@pytest.mark.parametrize('requested, found, message', [
    ('nftables', dict(nft=True, ufw=True, ufw_active=True),
     'backend nftables: ufw is active on this host and owns its firewall; set backend=ufw (or auto), or stop and '
     'disable ufw first'),
    ('ufw', dict(ufw=True, firewalld=True, firewalld_active=True),
     'backend ufw: firewalld is active on this host and owns its firewall; set backend=firewalld (or auto), or stop '
     'and disable firewalld first'),
    ('nftables', dict(nft=True, firewalld=True, firewalld_active=True), 'backend nftables: firewalld is active'),
    ('firewalld', dict(firewalld=True, ufw=True, ufw_active=True), 'backend firewalld: ufw is active'),
    ('auto', dict(ufw=True, ufw_active=True, firewalld=True, firewalld_active=True),
     'backend auto: both firewalld and ufw are active on this host'),
])
def test_backend_chosen_while_another_is_active_is_refused(requested, found, message):
    backend, problem = fw.choose_backend(requested, dict(NOTHING, **found))
    assert backend is None and problem.startswith(message) and '\n' not in problem
