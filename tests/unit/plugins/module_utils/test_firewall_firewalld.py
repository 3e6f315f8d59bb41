# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""host_firewall's firewalld backend without firewalld: our rules in firewalld's words, parsing what firewall-cmd
prints, the plan, the rollback script (run with /bin/sh against stub commands), and FirewalldRun with a fake
firewall-cmd / firewall-offline-cmd that keeps its permanent configuration in files under tmp_path (so putting the
files back really restores it) and loads it on start and reload like the real one.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import shlex
import subprocess

import pytest

from ansible_collections.docops.onlyoffice.plugins.module_utils import _firewall_firewalld as fwd
from ansible_collections.docops.onlyoffice.plugins.module_utils._firewall import FirewallFailure, rules_of
from ansible_collections.docops.onlyoffice.plugins.module_utils._firewall_firewalld import FirewalldRun

WEB = [dict(port=22), dict(port=80), dict(port=443)]
STOCK = dict(target='default', services=['ssh', 'dhcpv6-client'], ports=[], rich_rules=[], interfaces=[], sources=[])
DROP_8088_TCP = ('!', '-i', 'lo', '-p', 'tcp', '-m', 'conntrack', '--ctstate', 'DNAT', '--ctorigdstport', '8088',
                 '-m', 'comment', '--comment', 'docops.onlyoffice', '-j', 'DROP')
# What firewall-cmd --zone public --list-all printed on Debian 12 (firewalld 1.3.3), tabs and trailing spaces kept.
LIST_ALL = '\n'.join([
    'public (active)', '  target: DROP', '  icmp-block-inversion: no', '  interfaces: eth0', '  sources: ',
    '  services: dhcpv6-client ssh', '  ports: 80/tcp 22/tcp', '  protocols: ', '  forward: yes', '  masquerade: no',
    '  forward-ports: ', '  source-ports: ', '  icmp-blocks: ', '  rich rules: ',
    '\trule family="ipv4" source address="10.0.0.0/8" port port="22" protocol="tcp" accept',
    '\trule family="ipv6" source address="2001:DB8::/32" port port="22" protocol="tcp" accept', ''])
GET_ALL_RULES = ("ipv4 filter DOCKER-USER 0 '!' -i lo -p tcp -m conntrack --ctstate DNAT --ctorigdstport 8088 -m "
                 "comment --comment docops.onlyoffice -j DROP\nipv4 filter FORWARD 0 -s 192.0.2.1 -j ACCEPT\n")


def params(**overrides):
    values = dict(state='present', backend='firewalld', allow=WEB, default_incoming_policy='drop',
                  forward_block_ports=[], ssh_port=None, force=False, confirm_timeout=0, zone=None,
                  table='docops_firewall', persist_path='/etc/nftables.d/docops-firewall.nft')
    values.update(overrides)
    return values


# ---------------------------------------------------------------- our rules in firewalld's words

def test_ports_and_rich_rules_are_what_list_all_prints():
    rules = rules_of([dict(port=22, sources=['10.0.0.0/8', '2001:DB8::/32']), dict(port=53, protocol='udp'),
                      dict(port=80), dict(port=80), dict(port=22, sources=['10.0.0.0/8'])])
    assert fwd.zone_ports(rules) == ['53/udp', '80/tcp']
    assert fwd.rich_rules(rules) == [
        'rule family="ipv4" source address="10.0.0.0/8" port port="22" protocol="tcp" accept',
        'rule family="ipv6" source address="2001:db8::/32" port port="22" protocol="tcp" accept']
    wanted = fwd.wanted_state(rules, 'drop', [])
    assert wanted['target'] == 'DROP' and wanted['direct'] == []
    assert fwd.wanted_state(rules, 'accept', [])['target'] == 'ACCEPT'


def test_direct_rules_drop_dnated_traffic_in_docker_user_and_read_back():
    rules = fwd.direct_rules([8443, 8088, 8088])
    assert [(rule[0], rule[4][4], rule[4][10]) for rule in rules] == [
        ('ipv4', 'tcp', '8088'), ('ipv4', 'udp', '8088'), ('ipv4', 'tcp', '8443'), ('ipv4', 'udp', '8443'),
        ('ipv6', 'tcp', '8088'), ('ipv6', 'udp', '8088'), ('ipv6', 'tcp', '8443'), ('ipv6', 'udp', '8443')]
    assert rules[0] == ('ipv4', 'filter', 'DOCKER-USER', '0', DROP_8088_TCP)
    assert fwd.direct_line(rules[0]) == GET_ALL_RULES.splitlines()[0]
    parsed = fwd.parse_direct_rules(GET_ALL_RULES)
    assert parsed == [rules[0], ('ipv4', 'filter', 'FORWARD', '0', ('-s', '192.0.2.1', '-j', 'ACCEPT'))]
    assert [fwd.is_ours(rule) for rule in parsed] == [True, False]
    assert fwd.parse_direct_chains('ipv4 filter DOCKER-USER\nipv6 filter DOCKER-USER\n\n') == [
        ('ipv4', 'filter', 'DOCKER-USER'), ('ipv6', 'filter', 'DOCKER-USER')]
    assert fwd.direct_rules([]) == [] and fwd.parse_direct_rules('') == []


def test_list_all_is_parsed():
    zone = fwd.parse_zone(LIST_ALL)
    assert zone == dict(target='DROP', services=['dhcpv6-client', 'ssh'], ports=['80/tcp', '22/tcp'],
                        interfaces=['eth0'], sources=[], rich_rules=[
                            'rule family="ipv4" source address="10.0.0.0/8" port port="22" protocol="tcp" accept',
                            'rule family="ipv6" source address="2001:DB8::/32" port port="22" protocol="tcp" accept'])
    assert fwd.parse_zone('') == dict(target='default', services=[], ports=[], rich_rules=[], interfaces=[],
                                      sources=[])


def test_plan_makes_the_zone_ours_and_keeps_dhcpv6_client():
    zone = fwd.parse_zone(LIST_ALL)
    wanted = fwd.wanted_state(rules_of(WEB + [dict(port=22, sources=['10.0.0.0/8'])]), 'drop', [8088])
    ops = fwd.plan(zone, [], [], wanted)
    assert ops == [
        ('zone', ['--add-port', '443/tcp']),
        ('zone', ['--remove-rich-rule', zone['rich_rules'][1]]),
        ('zone', ['--remove-service', 'ssh']),
        ('direct', ['--add-chain', 'ipv4', 'filter', 'DOCKER-USER']),
        ('direct', ['--add-chain', 'ipv6', 'filter', 'DOCKER-USER']),
    ] + [('direct', ['--add-rule'] + list(rule[:4]) + list(rule[4])) for rule in wanted['direct']]
    after = fwd.after_plan(zone, [], [], ops)
    assert after[0]['services'] == ['dhcpv6-client'] and after[0]['ports'] == ['80/tcp', '22/tcp', '443/tcp']
    assert fwd.plan(after[0], after[1], after[2], wanted) == []


def test_plan_removes_only_our_direct_rules_and_the_chain_only_with_our_last_rule():
    operators = ('ipv4', 'filter', 'DOCKER-USER', '0', ('-s', '192.0.2.1', '-j', 'ACCEPT'))
    zone = dict(STOCK, services=['dhcpv6-client'], ports=['22/tcp'], target='DROP')
    wanted = fwd.wanted_state(rules_of([dict(port=22)]), 'drop', [8088])
    chains = [('ipv4', 'filter', 'DOCKER-USER'), ('ipv6', 'filter', 'DOCKER-USER')]
    ours = wanted['direct']
    none = dict(wanted, direct=[])
    assert fwd.plan(zone, chains, ours, wanted) == []
    ops = fwd.plan(zone, chains, ours + [operators], none)
    assert [op[1][0] for op in ops] == ['--remove-rule'] * 4 + ['--remove-chain']
    assert ops[-1] == ('direct', ['--remove-chain', 'ipv6', 'filter', 'DOCKER-USER'])  # IPv4's has the operator's
    assert fwd.plan(zone, chains, [operators], none) == []  # no rule of ours: the chains are not ours to remove
    assert fwd.plan(dict(zone, target='default'), chains, ours, wanted) == [('zone', ['--set-target', 'DROP'])]


def test_state_text_is_firewalld_words_and_shows_only_our_direct_rules():
    rules = fwd.parse_direct_rules(GET_ALL_RULES)
    text = fwd.state_text('running, enabled at boot', 'public', fwd.parse_zone(LIST_ALL),
                          [('ipv4', 'filter', 'DOCKER-USER')], rules, 'runtime: differs from the permanent configuration')
    assert text.splitlines() == [
        'state: running, enabled at boot', 'runtime: differs from the permanent configuration', 'public',
        '  target: DROP', '  services: dhcpv6-client ssh', '  ports: 80/tcp 22/tcp', '  rich rules:',
        '\trule family="ipv4" source address="10.0.0.0/8" port port="22" protocol="tcp" accept',
        '\trule family="ipv6" source address="2001:DB8::/32" port port="22" protocol="tcp" accept',
        'direct chain: ipv4 filter DOCKER-USER', 'direct rule: ' + GET_ALL_RULES.splitlines()[0]]


def test_errors_become_one_line():
    dbus = ('ERROR:dbus.proxies:Introspect error on :1.10:/org/fedoraproject/FirewallD1: dbus.exceptions.DBusException: '
            'org.freedesktop.DBus.Error.NoReply: Did not receive a reply.\nError: Did not receive a reply.\n')
    assert fwd.error_line(dbus) == 'Error: Did not receive a reply.'
    assert fwd.error_line('Warning: ALREADY_ENABLED: 80:tcp\nError: INVALID_ZONE: nosuch\n') == (
        'Error: INVALID_ZONE: nosuch')
    assert fwd.error_line('INVALID_ZONE: get_zone(): nosuch\n') == 'INVALID_ZONE: get_zone(): nosuch'
    assert fwd.error_line('usage: see firewall-offline-cmd man page\nCan\'t use lokkit options with other options.\n') \
        == 'usage: see firewall-offline-cmd man page; Can\'t use lokkit options with other options.'
    assert fwd.error_line('') == 'firewall-cmd printed nothing'


def test_what_lets_ssh_in_is_read_for_the_absent_guard():
    assert fwd.port_allowed('22/tcp').covers(22) and not fwd.port_allowed('22/udp').covers(22)
    assert fwd.port_allowed('2000-2300/tcp').covers(2222) and fwd.port_allowed('x/tcp') is None
    allowed = fwd.rich_rule_allowed('rule family="ipv4" source address="10.0.0.0/8" port port="22" protocol="tcp" '
                                    'accept')
    assert allowed.covers(22, '10.1.2.3') and not allowed.covers(22, '192.0.2.1') and allowed.v4 == ['10.0.0.0/8']
    assert fwd.rich_rule_allowed('rule family="ipv4" source address="10.0.0.0/8" port port="22" protocol="tcp" '
                                 'drop') is None
    assert fwd.rich_rule_allowed('rule service name="ssh" accept') is None


# ---------------------------------------------------------------- the rollback script

def test_rollback_script_restores_files_and_reloads_or_stops():
    script = fwd.rollback_script('/var/lib/s', '/etc/firewalld/zones/public.xml', '/etc/firewalld/direct.xml',
                                 {'/etc/firewalld/direct.xml': 'firewalld-direct.xml'}, True, True,
                                 '/usr/bin/firewall-cmd', '/bin/systemctl', '/usr/sbin/iptables')
    lines = script.splitlines()
    assert 'rm -f /etc/firewalld/zones/public.xml' in lines
    assert 'cp /var/lib/s/firewalld-direct.xml /etc/firewalld/direct.xml' in lines
    assert '/usr/bin/firewall-cmd --reload' in lines and 'stop' not in script and 'disable' not in script
    assert ('if /bin/systemctl is-active --quiet docker.service && ! /usr/sbin/iptables -t nat -n -L DOCKER '
            '>/dev/null 2>&1; then') in lines
    assert lines[-1] == 'rm -f /var/lib/s/firewalld-direct.xml /var/lib/s/rollback.sh'
    script = fwd.rollback_script('/var/lib/s', '/z.xml', '/d.xml', {}, False, False, '/usr/bin/firewall-cmd',
                                 '/bin/systemctl', None)
    assert '/bin/systemctl stop firewalld.service\n/bin/systemctl disable firewalld.service\n' in script
    assert '--reload' not in script and 'docker' not in script


# ---------------------------------------------------------------- FirewalldRun with a fake firewalld

class FakeFirewalld:
    """firewalld whose permanent configuration lives in files under tmp_path/etc/firewalld (JSON, not XML: what
    matters is that the module's copies of the files restore it), loaded into the runtime on start and reload.
    A direct rule whose chain is neither built in nor declared fails the load (state failed), as measured.
    systemctl and systemd-run are recorded too."""

    BUILTIN = ('INPUT', 'OUTPUT', 'FORWARD', 'PREROUTING', 'POSTROUTING')

    def __init__(self, tmp_path, installed=True, running=False, enabled=True, zones=None, direct=None, fail=None):
        self.tmp_path = tmp_path
        self.etc = tmp_path / 'etc' / 'firewalld'
        self.bin = tmp_path / 'bin'
        self.installed = installed
        self.running = running
        self.failed = False
        self.enabled = enabled
        self.fail = fail
        self.silent = False  # started, but never answers (D-Bus without firewalld's and polkit's policies)
        self.calls = []
        self.timer = False
        self.runtime = None
        (self.etc / 'zones').mkdir(parents=True)
        self.bin.mkdir()
        for name, zone in (zones or {}).items():
            self.save_zone(name, zone)
        if direct is not None:
            (self.etc / 'direct.xml').write_text(json.dumps(direct))
        if running:
            self.load()

    # the permanent configuration, in files
    def zone(self, name):
        path = self.etc / 'zones' / (name + '.xml')
        if path.exists():
            return json.loads(path.read_text())
        if name in ('public', 'internal'):
            return json.loads(json.dumps(STOCK))
        return None

    def save_zone(self, name, zone):
        (self.etc / 'zones' / (name + '.xml')).write_text(json.dumps(zone))

    def direct(self):
        path = self.etc / 'direct.xml'
        return json.loads(path.read_text()) if path.exists() else dict(chains=[], rules=[])

    def save_direct(self, direct):
        (self.etc / 'direct.xml').write_text(json.dumps(direct))

    def files(self):
        return dict((str(path.relative_to(self.etc)), path.read_text()) for path in sorted(self.etc.rglob('*.xml')))

    def load(self):
        self.running = True
        direct = self.direct()
        self.runtime = dict(zones=dict((name, self.zone(name)) for name in ('public', 'internal')), direct=direct)
        declared = [tuple(chain) for chain in direct['chains']]
        self.failed = any(rule[2] not in self.BUILTIN and tuple(rule[:3]) not in declared for rule in direct['rules'])
        if self.failed:
            return 1, '', ("Error: COMMAND_FAILED: Direct: '/usr/sbin/iptables-restore -w -n' failed: "
                           "iptables-restore: line 2 failed: No chain/target/match by that name.\n")
        return 0, 'success\n', ''

    def mutating(self):
        read = ('--state', '--get-default-zone', '--list-all', '--get-all-rules', '--get-all-chains', '--get-ports',
                'is-enabled', 'is-active')
        return [argv for argv, _data in self.calls
                if os.path.basename(argv[0]) in ('firewall-cmd', 'firewall-offline-cmd', 'systemctl')
                and not any(word in argv for word in read)]

    def which(self, name):
        if name in ('firewall-cmd', 'firewall-offline-cmd') and not self.installed:
            return None
        if name == 'sshd':
            return None
        return str(self.bin / name)

    def run_command(self, argv, data=None):
        self.calls.append((argv, data))
        name = os.path.basename(argv[0])
        args = list(argv[1:])
        if self.fail and self.fail in ' '.join(argv):
            self.fail = None  # once: putting back works
            return 13, '', 'Error: COMMAND_FAILED: boom\n'
        if name == 'firewall-cmd':
            return self.firewall_cmd(args)
        if name == 'firewall-offline-cmd':
            if '--remove-service' in args and '--zone' in args:
                return 2, "usage: see firewall-offline-cmd man page\nCan't use lokkit options with other options.\n", ''
            return self.config(args)
        if name == 'systemctl':
            return self.systemctl(args)
        if name == 'systemd-run':
            self.timer = True
            return 0, '', ''
        raise AssertionError('unexpected command %r' % (argv,))

    def systemctl(self, args):
        if args == ['is-active', 'firewalld.service']:
            return (0, 'active\n', '') if self.running else (3, 'inactive\n', '')
        if args[0] == 'is-active' and args[1].endswith('.timer'):
            return (0, 'active\n', '') if self.timer else (3, 'inactive\n', '')
        if args[0] == 'is-active':
            return 3, 'inactive\n', ''
        if args[0] == 'stop' and args[1].startswith('docops-firewall-rollback'):
            self.timer = False
        if args == ['is-enabled', 'firewalld.service']:
            return (0, 'enabled\n', '') if self.enabled else (1, 'disabled\n', '')
        if args[1:] == ['firewalld.service']:
            if args[0] in ('enable', 'disable'):
                self.enabled = args[0] == 'enable'
            elif args[0] == 'start':
                self.load()
            elif args[0] == 'stop':
                self.running = self.failed = self.silent = False
        return 0, '', ''

    def firewall_cmd(self, args):
        if args == ['--state']:
            if self.silent:
                return 252, '', 'Error: Did not receive a reply.\n'
            if not self.running:
                return 252, 'not running\n', ''
            return (0, 'running\n', '') if not self.failed else (0, 'failed\n', '')
        if not self.running:
            return 252, '', 'FirewallD is not running\n'
        if args == ['--reload']:
            return self.load()
        if args[0] == '--permanent':
            return self.config(args[1:])
        if args == ['--get-default-zone']:
            return 0, 'public\n', ''
        # the runtime
        if args[:1] == ['--zone'] and args[2:] == ['--list-all']:
            return 0, self.list_all(args[1], self.runtime['zones'][args[1]]), ''
        if args == ['--direct', '--get-all-chains']:
            return 0, ''.join(' '.join(chain) + '\n' for chain in self.runtime['direct']['chains']), ''
        if args == ['--direct', '--get-all-rules']:
            return 0, self.rules_text(self.runtime['direct']['rules']), ''
        raise AssertionError('unexpected firewall-cmd %r' % (args,))

    @staticmethod
    def list_all(name, zone):
        lines = [name, '  target: %s' % zone['target'], '  icmp-block-inversion: no',
                 '  interfaces: %s' % ' '.join(zone['interfaces']), '  sources: %s' % ' '.join(zone['sources']),
                 '  services: %s' % ' '.join(zone['services']), '  ports: %s' % ' '.join(zone['ports']),
                 '  protocols: ', '  forward: yes', '  rich rules: '] + ['\t' + rule for rule in zone['rich_rules']]
        return '\n'.join(lines) + '\n'

    @staticmethod
    def rules_text(rules):
        return ''.join(' '.join(rule[:4] + [shlex.quote(arg) for arg in rule[4:]]) + '\n' for rule in rules)

    def config(self, args):
        """firewall-cmd --permanent ARGS or firewall-offline-cmd ARGS: the files."""
        if args == ['--get-default-zone']:
            return 0, 'public\n', ''
        if args[:1] == ['--service']:
            return 0, {'ssh': '22/tcp\n', 'dhcpv6-client': '546/udp\n'}.get(args[1], ''), ''
        if args[0] == '--direct':
            direct = self.direct()
            action, rest = args[1], args[2:]
            if action == '--get-all-chains':
                return 0, ''.join(' '.join(chain) + '\n' for chain in direct['chains']), ''
            if action == '--get-all-rules':
                return 0, self.rules_text(direct['rules']), ''
            key = 'chains' if action.endswith('-chain') else 'rules'
            if action.startswith('--add-') and rest not in direct[key]:
                direct[key].append(rest)
            elif action.startswith('--remove-') and rest in direct[key]:
                direct[key].remove(rest)
            self.save_direct(direct)
            return 0, 'success\n', ''
        assert args[0] == '--zone', args
        name, action = args[1], args[2:]
        zone = self.zone(name)
        if zone is None:
            return 112, '', 'Error: INVALID_ZONE: %s\n' % name
        if action == ['--list-all']:
            return 0, self.list_all(name, zone), ''
        if action[0] == '--set-target':
            zone['target'] = action[1]
        else:
            verb, _sep, kind = action[0][2:].partition('-')
            kind = {'port': 'ports', 'rich-rule': 'rich_rules', 'service': 'services',
                    'service-from-zone': 'services'}[kind]
            if verb == 'add' and action[1] not in zone[kind]:
                zone[kind].append(action[1])
            elif verb == 'remove' and action[1] in zone[kind]:
                zone[kind].remove(action[1])
        self.save_zone(name, zone)
        return 0, 'success\n', ''

    def run(self, check_mode=False, environ=None, **overrides):
        run = FirewalldRun(params(**overrides), self.run_command, self.which, check_mode=check_mode,
                           environ={'SSH_CONNECTION': '172.18.0.1 40000 172.18.0.2 22'} if environ is None else environ,
                           state_dir=str(self.tmp_path / 'state'), unit_dir=str(self.tmp_path / 'units'),
                           proc_dir=str(self.tmp_path / 'no-proc'), etc_dir=str(self.etc), sleep=lambda _s: None)
        return run.run()


def test_first_run_writes_offline_then_starts_firewalld_and_is_idempotent(tmp_path):
    host = FakeFirewalld(tmp_path, running=False, enabled=True)  # as Debian's package leaves it with policy-rc.d
    first = host.run(forward_block_ports=[8088])
    assert first['changed'] and first['backend'] == 'firewalld' and first['zone'] == 'public'
    assert first['ssh_port'] == 22 and host.running and not host.failed and host.enabled
    zone = host.zone('public')
    assert zone['target'] == 'DROP' and zone['services'] == ['dhcpv6-client']
    assert zone['ports'] == ['22/tcp', '80/tcp', '443/tcp'] and host.runtime['zones']['public'] == zone
    changes = host.mutating()
    assert all(os.path.basename(argv[0]) == 'firewall-offline-cmd' for argv in changes[:-2])
    assert [argv[1:] for argv in changes[-2:]] == [['reload', 'dbus.service'], ['start', 'firewalld.service']]
    assert [str(host.bin / 'firewall-offline-cmd'), '--zone', 'public', '--remove-service-from-zone', 'ssh'] in changes
    diff = first['diff'][0]
    assert diff['before'].startswith('state: not running, enabled at boot\npublic\n  target: default\n'
                                     '  services: ssh dhcpv6-client\n')
    assert diff['after'].startswith('state: running, enabled at boot\npublic\n  target: DROP\n'
                                    '  services: dhcpv6-client\n  ports: 22/tcp 80/tcp 443/tcp\n')
    assert 'direct chain: ipv4 filter DOCKER-USER' in diff['after']
    calls = len(host.mutating())
    second = host.run(forward_block_ports=[8088])
    assert not second['changed'] and second['diff'] == [] and len(host.mutating()) == calls


def test_direct_rules_are_declared_with_their_chain_and_loaded(tmp_path):
    host = FakeFirewalld(tmp_path, running=True)
    host.run(forward_block_ports=[8088])
    direct = host.direct()
    assert direct['chains'] == [['ipv4', 'filter', 'DOCKER-USER'], ['ipv6', 'filter', 'DOCKER-USER']]
    assert direct['rules'][0] == ['ipv4', 'filter', 'DOCKER-USER', '0'] + list(DROP_8088_TCP)
    assert len(direct['rules']) == 4 and host.runtime['direct'] == direct and not host.failed
    adds = [argv[1:] for argv in host.mutating() if '--add-rule' in argv]
    assert adds[0] == ['--permanent', '--direct', '--add-rule', 'ipv4', 'filter', 'DOCKER-USER', '0'] + list(
        DROP_8088_TCP)
    host.run(forward_block_ports=[])
    assert host.direct() == dict(chains=[], rules=[]) and not host.failed


def test_a_running_firewalld_is_changed_permanently_then_reloaded(tmp_path):
    operators = dict(STOCK, services=['dhcpv6-client', 'ssh', 'http'], ports=['8080/tcp'],
                     rich_rules=['rule family="ipv4" source address="192.0.2.0/24" accept'])
    host = FakeFirewalld(tmp_path, running=True, zones={'public': operators})
    result = host.run(allow=[dict(port=22, sources=['172.18.0.0/16'])])
    changes = [argv[1:] for argv in host.mutating()]
    assert changes[-1] == ['--reload'] and all(argv[0] == '--permanent' for argv in changes[:-1])
    zone = host.zone('public')
    assert zone['services'] == ['dhcpv6-client'] and zone['ports'] == []
    assert zone['rich_rules'] == ['rule family="ipv4" source address="172.18.0.0/16" port port="22" protocol="tcp" '
                                  'accept']
    assert '  services: dhcpv6-client ssh http\n' in result['diff'][0]['before']  # the services removed are shown
    assert '  services: dhcpv6-client\n' in result['diff'][0]['after']


def test_a_runtime_change_is_undone_by_a_reload(tmp_path):
    host = FakeFirewalld(tmp_path, running=True)
    host.run()
    host.runtime['zones']['public']['ports'].append('9999/tcp')  # firewall-cmd --add-port=9999/tcp (runtime only)
    result = host.run()
    assert result['changed'] and host.mutating()[-1][1:] == ['--reload']
    assert 'runtime: differs from the permanent configuration' in result['diff'][0]['before']
    assert '9999/tcp' not in host.runtime['zones']['public']['ports']
    assert not host.run()['changed']


def test_check_mode_changes_nothing(tmp_path):
    host = FakeFirewalld(tmp_path, running=False)
    before = host.files()
    result = host.run(check_mode=True, forward_block_ports=[8088], confirm_timeout=30)
    assert result['changed'] and 'direct rule: ipv4 filter DOCKER-USER' in result['diff'][0]['after']
    assert host.mutating() == [] and host.files() == before and not host.running and not host.timer
    assert not (tmp_path / 'state').exists()


def test_guard_refuses_before_anything_changes(tmp_path):
    host = FakeFirewalld(tmp_path, running=True)
    before = host.files()
    with pytest.raises(FirewallFailure) as caught:
        host.run(allow=[dict(port=80)])
    assert caught.value.msg.startswith('the rule set does not allow the SSH port 22') and '\n' not in caught.value.msg
    assert [argv[1:] for argv, _data in host.calls] == [['--state']] and host.files() == before
    forced = host.run(allow=[dict(port=80)], force=True)
    assert forced['changed'] and any('applied anyway (force=true)' in w for w in forced['warnings'])


def test_commit_confirm_saves_the_files_and_arms(tmp_path):
    host = FakeFirewalld(tmp_path, running=True, direct=dict(chains=[], rules=[]))
    original = host.files()
    assert 'zones/public.xml' not in original  # the stock zone: only under /usr/lib/firewalld
    result = host.run(confirm_timeout=10, forward_block_ports=[8088])
    assert result['rollback_pending'] and result['rollback_seconds'] == 10 and host.timer
    state = tmp_path / 'state'
    assert (state / 'firewalld-direct.xml').read_text() == original['direct.xml']
    assert not (state / 'firewalld-zone.xml').exists()
    script = (state / 'rollback.sh').read_text()
    assert 'rm -f %s/zones/public.xml' % host.etc in script and '--reload' in script
    run = [argv for argv, _data in host.calls if argv[0].endswith('systemd-run')][-1]
    assert run[1:4] == ['--unit', 'docops-firewall-rollback', '--on-active=10'] and run[-1].endswith('rollback.sh')
    # A second change before the confirmation keeps the state from before the first one.
    second = host.run(confirm_timeout=10, forward_block_ports=[])
    assert second['changed'] and any('earlier change was not confirmed' in w for w in second['warnings'])
    assert (state / 'firewalld-direct.xml').read_text() == original['direct.xml']
    assert host.run(state='confirmed')['changed'] and not host.timer
    assert sorted(os.listdir(str(state))) == ['firewalld-applied.json']


def test_rollback_script_puts_firewalld_back(tmp_path):
    host = FakeFirewalld(tmp_path, running=False, enabled=False)
    original = host.files()
    log = tmp_path / 'log'
    for name in ('systemctl', 'firewall-cmd', 'iptables'):
        body = 'echo "%s $*" >> %s\n' % (name, log)
        if name == 'iptables':
            body += 'exit 1\n'  # Docker's NAT chain is gone
        (host.bin / name).write_text('#!/bin/sh\n' + body)
        os.chmod(str(host.bin / name), 0o755)
    host.run(confirm_timeout=10, forward_block_ports=[8088])
    assert host.files() != original and host.running and host.enabled
    done = subprocess.run(['/bin/sh', str(tmp_path / 'state' / 'rollback.sh')], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert host.files() == original
    assert log.read_text().splitlines() == [
        'systemctl stop firewalld.service', 'systemctl disable firewalld.service',
        'systemctl is-active --quiet docker.service', 'iptables -t nat -n -L DOCKER',
        'systemctl restart docker.service']
    assert sorted(os.listdir(str(tmp_path / 'state'))) == ['firewalld-applied.json', 'rolled-back']
    host.timer = False  # the timer ran the script: it is over
    with pytest.raises(FirewallFailure) as caught:
        host.run(state='confirmed')
    assert caught.value.msg.startswith('too late: the change was already rolled back at ')


def test_a_failed_command_puts_everything_back(tmp_path):
    host = FakeFirewalld(tmp_path, running=True, zones={'public': dict(STOCK, ports=['8080/tcp'])})
    original = host.files()
    runtime = json.dumps(host.runtime, sort_keys=True)
    host.fail = '--remove-service ssh'
    with pytest.raises(FirewallFailure) as caught:
        host.run(forward_block_ports=[8088], confirm_timeout=30)
    assert caught.value.msg == ('%s --permanent --zone public --remove-service ssh failed: Error: COMMAND_FAILED: '
                                'boom; firewalld is back as it was' % (host.bin / 'firewall-cmd'))
    assert host.files() == original and json.dumps(host.runtime, sort_keys=True) == runtime
    firewall_cmd = [argv[1:] for argv in host.mutating() if argv[0].endswith('firewall-cmd')]
    assert firewall_cmd[-1] == ['--reload'] and not host.timer
    assert os.listdir(str(tmp_path / 'state')) == []  # the rollback armed by this run is withdrawn


def test_a_failed_start_stops_firewalld_again(tmp_path):
    host = FakeFirewalld(tmp_path, running=False, enabled=False)
    original = host.files()
    host.fail = 'start firewalld'
    with pytest.raises(FirewallFailure) as caught:
        host.run()
    assert caught.value.msg.endswith('start firewalld.service failed: Error: COMMAND_FAILED: boom; firewalld is back '
                                     'as it was')
    assert host.files() == original and not host.enabled and not host.running


def test_a_firewalld_that_never_answers_after_its_start_is_stopped_again(tmp_path):
    host = FakeFirewalld(tmp_path, running=False, enabled=False)
    original = host.files()
    real_load = host.load

    def load():
        real_load()
        host.silent = True
    host.load = load
    with pytest.raises(FirewallFailure) as caught:
        host.run()
    assert caught.value.msg == ('systemctl start firewalld.service failed: firewalld does not answer firewall-cmd '
                                '--state after its start (Error: Did not receive a reply.; see journalctl -u firewalld); '
                                'firewalld is back as it was')
    assert host.files() == original and not host.enabled and not host.running
    assert [argv[1:] for argv in host.mutating()][-5:] == [
        ['enable', 'firewalld.service'], ['reload', 'dbus.service'], ['start', 'firewalld.service'],
        ['stop', 'firewalld.service'], ['disable', 'firewalld.service']]


def test_a_firewalld_that_starts_failed_is_stopped_again(tmp_path):
    broken = dict(chains=[], rules=[['ipv4', 'filter', 'NOPE', '0', '-j', 'ACCEPT']])  # the operator's, never loaded
    host = FakeFirewalld(tmp_path, running=False, enabled=True, direct=broken)
    original = host.files()
    with pytest.raises(FirewallFailure) as caught:
        host.run()
    assert caught.value.msg == ('systemctl start firewalld.service failed: firewalld started in state failed (it could '
                                'not load its configuration; see journalctl -u firewalld); firewalld is back as it was')
    assert host.files() == original and host.enabled and not host.running


def test_a_failed_reload_loads_the_previous_files(tmp_path):
    host = FakeFirewalld(tmp_path, running=True)
    host.run(forward_block_ports=[8088])
    original = host.files()
    host.fail = '--reload'
    with pytest.raises(FirewallFailure) as caught:
        host.run(forward_block_ports=[9000])
    assert caught.value.msg.endswith('--reload failed: Error: COMMAND_FAILED: boom; firewalld is back as it was')
    assert host.files() == original and host.runtime['direct'] == host.direct() and not host.failed


def test_a_failed_firewalld_is_reloaded(tmp_path):
    host = FakeFirewalld(tmp_path, running=True)
    host.run()
    host.failed = True
    result = host.run()
    assert result['changed'] and result['diff'][0]['before'].startswith('state: failed, enabled at boot\n')
    assert host.mutating()[-1][1:] == ['--reload'] and not host.failed


def test_missing_firewalld_is_one_line(tmp_path):
    with pytest.raises(FirewallFailure) as caught:
        FakeFirewalld(tmp_path / 'a', installed=False).run()
    assert caught.value.msg == 'backend firewalld: the firewall-cmd command is not installed (Debian package firewalld)'
    result = FakeFirewalld(tmp_path / 'b', installed=False).run(check_mode=True, forward_block_ports=[8088])
    assert result['changed'] and not result['installed'] and result['zone'] == 'public'
    assert any('check mode reports' in w for w in result['warnings'])
    assert '  ports: 22/tcp 80/tcp 443/tcp' in result['diff'][0]['after']


def test_unknown_zone_and_unbound_zone(tmp_path):
    host = FakeFirewalld(tmp_path, running=True)
    with pytest.raises(FirewallFailure) as caught:
        host.run(zone='nosuch')
    assert caught.value.msg.endswith('--permanent --zone nosuch --list-all failed: Error: INVALID_ZONE: nosuch')
    result = host.run(zone='internal')
    assert any('zone internal is not firewalld\'s default zone (public) and has no interfaces or sources' in w
               for w in result['warnings'])


def test_absent_removes_ours_and_leaves_the_target_and_the_operators_ports(tmp_path):
    host = FakeFirewalld(tmp_path, running=True)
    host.run(forward_block_ports=[8088], confirm_timeout=30)
    host.config(['--zone', 'public', '--add-port', '2222/tcp'])  # the operator's, added later
    host.config(['--zone', 'public', '--add-port', '22/tcp'])
    host.load()
    result = host.run(state='absent', ssh_port=2222)
    zone = host.zone('public')
    assert result['changed'] and zone['ports'] == ['2222/tcp'] and zone['target'] == 'DROP'
    assert host.direct() == dict(chains=[], rules=[]) and host.running and not host.timer
    assert os.listdir(str(tmp_path / 'state')) == []
    assert 'direct rule:' in result['diff'][0]['before'] and 'direct rule:' not in result['diff'][0]['after']
    assert not host.run(state='absent', ssh_port=2222)['changed']


def test_absent_refuses_to_cut_ssh_while_firewalld_stays_running(tmp_path):
    host = FakeFirewalld(tmp_path, running=True)
    host.run()
    before = host.files()
    with pytest.raises(FirewallFailure) as caught:
        host.run(state='absent')
    assert caught.value.msg == (
        'state=absent: firewalld stays running with zone public, target DROP, and what stays in it (not ours) does '
        'not allow the SSH port 22 that this connection uses (read from SSH_CONNECTION); add a port or service for '
        'it to the zone, stop firewalld, or set force=true')
    assert host.files() == before
    host.config(['--zone', 'public', '--add-service', 'ssh'])
    host.load()
    assert host.run(state='absent')['changed'] and host.zone('public')['ports'] == []
