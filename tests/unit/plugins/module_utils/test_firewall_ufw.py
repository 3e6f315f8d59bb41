# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""host_firewall's ufw backend without ufw: our rules in ufw's words, the after.rules block, the rollback
script (run with /bin/sh against stub commands), and UfwRun with a fake ufw that keeps its rules in files under
tmp_path like the real one (so putting the files back really restores it).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import subprocess

import pytest

from ansible_collections.docops.onlyoffice.plugins.module_utils import _firewall_ufw as ufw
from ansible_collections.docops.onlyoffice.plugins.module_utils._firewall import FirewallFailure, rules_of
from ansible_collections.docops.onlyoffice.plugins.module_utils._firewall_ufw import UfwRun

WEB = [dict(port=22), dict(port=80), dict(port=443)]
OURS_22 = "ufw allow 22/tcp comment 'docops.onlyoffice'"
OURS_80 = "ufw allow 80/tcp comment 'docops.onlyoffice'"
OURS_443 = "ufw allow 443/tcp comment 'docops.onlyoffice'"
AFTER = '# ufw after.rules\n*filter\n:ufw-after-input - [0:0]\nCOMMIT\n'
AFTER6 = '# ufw after6.rules\n*filter\n:ufw6-after-input - [0:0]\nCOMMIT\n'
DROP_8088 = ['! -i lo -p tcp -m conntrack --ctstate DNAT --ctorigdstport 8088 -j DROP',
             '! -i lo -p udp -m conntrack --ctstate DNAT --ctorigdstport 8088 -j DROP']


def params(**overrides):
    values = dict(state='present', backend='ufw', allow=WEB, default_incoming_policy='drop', forward_block_ports=[],
                  ssh_port=None, force=False, confirm_timeout=0, zone=None, table='docops_firewall',
                  persist_path='/etc/nftables.d/docops-firewall.nft')
    values.update(overrides)
    return values


# ---------------------------------------------------------------- our rules in ufw's words

def test_rule_lines_are_what_ufw_show_added_prints():
    allow = [dict(port=22, sources=['10.0.0.0/8', '2001:db8::/32']), dict(port=53, protocol='udp'),
             dict(port=22, sources=['10.0.0.0/8'])]
    keys = ufw.wanted_keys(rules_of(allow))
    assert keys == [(22, 'tcp', '10.0.0.0/8'), (22, 'tcp', '2001:db8::/32'), (53, 'udp', None)]
    assert [ufw.rule_line(key) for key in keys] == [
        "ufw allow from 10.0.0.0/8 to any port 22 proto tcp comment 'docops.onlyoffice'",
        "ufw allow from 2001:db8::/32 to any port 22 proto tcp comment 'docops.onlyoffice'",
        "ufw allow 53/udp comment 'docops.onlyoffice'"]
    assert ufw.argv_of(keys and ufw.rule_line(keys[0])) == [
        'allow', 'from', '10.0.0.0/8', 'to', 'any', 'port', '22', 'proto', 'tcp', 'comment', 'docops.onlyoffice']


def test_show_added_is_parsed_and_normalised():
    output = '\n'.join([
        "Added user rules (see 'ufw status' for running firewall):",
        OURS_22,
        "ufw allow from 2001:0DB8:0:0::/64 to any port 22 proto tcp comment 'docops.onlyoffice'",
        "ufw allow 80/tcp",
        "ufw allow 443/tcp comment 'web'",
        "ufw allow OpenSSH",
        "ufw deny from 198.51.100.0/24",
        "ufw route allow 8080",
    ])
    assert ufw.parse_added(output) == [
        (OURS_22, (22, 'tcp', None), True),
        ("ufw allow from 2001:0DB8:0:0::/64 to any port 22 proto tcp comment 'docops.onlyoffice'",
         (22, 'tcp', '2001:db8::/64'), True),
        ('ufw allow 80/tcp', (80, 'tcp', None), False),
        ("ufw allow 443/tcp comment 'web'", (443, 'tcp', None), False),
        ('ufw allow OpenSSH', None, False),
        ('ufw deny from 198.51.100.0/24', None, False),
        ('ufw route allow 8080', None, False),
    ]
    assert ufw.parse_added("Added user rules (see 'ufw status' for running firewall):\n(None)\n") == []


def test_plan_never_takes_over_or_deletes_the_operators_rules():
    added = ufw.parse_added('\n'.join([OURS_22, "ufw allow 8080/tcp comment 'docops.onlyoffice'",
                                       'ufw allow 80/tcp', "ufw allow 443/tcp comment 'web'", 'ufw allow 9000/tcp']))
    add, delete, ours = ufw.plan_rules(added, ufw.wanted_keys(rules_of(WEB + [dict(port=53, protocol='udp')])))
    assert add == [(53, 'udp', None)]  # 80 and 443 are allowed by the operator's rules: not added with our comment
    assert delete == ["ufw allow 8080/tcp comment 'docops.onlyoffice'"]
    assert ours == [OURS_22, "ufw allow 8080/tcp comment 'docops.onlyoffice'"]


def test_policy_and_enabled_are_read_from_ufws_files():
    assert ufw.policy_of('IPV6=yes\nDEFAULT_INPUT_POLICY="DROP"\nDEFAULT_OUTPUT_POLICY="ACCEPT"\n') == 'deny'
    assert ufw.policy_of("DEFAULT_INPUT_POLICY='ACCEPT'\n") == 'allow'
    assert ufw.policy_of('DEFAULT_INPUT_POLICY="REJECT"\n') == 'reject'
    assert ufw.policy_of('#DEFAULT_INPUT_POLICY="ACCEPT"\n') is None and ufw.policy_of(None) is None
    assert ufw.is_enabled('# comment\nENABLED=yes\nLOGLEVEL=low\n') and ufw.is_enabled('ENABLED="YES"\n')
    assert not ufw.is_enabled('ENABLED=no\n') and not ufw.is_enabled('#ENABLED=yes\n') and not ufw.is_enabled(None)


# ---------------------------------------------------------------- the after.rules block

def test_block_drops_dnated_traffic_in_docker_user():
    block = ufw.render_block([8443, 8088, 8088])
    lines = block.splitlines()
    assert lines[0] == '# BEGIN docops.onlyoffice host_firewall'
    assert lines[-1] == '# END docops.onlyoffice host_firewall'
    assert lines[2:4] == ['*filter', ':DOCKER-USER - [0:0]'] and lines[-2] == 'COMMIT'
    assert lines[4:-2] == ['-A DOCKER-USER ! -i lo -p %s -m conntrack --ctstate DNAT --ctorigdstport %d -j DROP'
                           % (proto, port) for port in (8088, 8443) for proto in ('tcp', 'udp')]
    assert ufw.render_block([]) == '' and ufw.render_block(None) == ''
    assert ufw.block_deletions(block)[0] == ['-D', 'DOCKER-USER', '!', '-i', 'lo', '-p', 'tcp', '-m', 'conntrack',
                                             '--ctstate', 'DNAT', '--ctorigdstport', '8088', '-j', 'DROP']
    assert len(ufw.block_deletions(block)) == 4 and ufw.block_deletions('') == []


def test_block_is_appended_replaced_and_removed_leaving_ufws_text_alone():
    block = ufw.render_block([8088])
    text = ufw.with_block(AFTER, block)
    assert text == AFTER + block and ufw.split_block(text) == (AFTER, block)
    assert ufw.with_block(AFTER.rstrip('\n'), block) == AFTER + block
    replaced = ufw.with_block(ufw.split_block(text)[0], ufw.render_block([9000]))
    assert '8088' not in replaced and '--ctorigdstport 9000' in replaced and replaced.startswith(AFTER)
    assert ufw.with_block(ufw.split_block(text)[0], '') == AFTER
    assert ufw.split_block(AFTER) == (AFTER, '') and ufw.split_block(None) == ('', '')
    middle = AFTER + block + '# the operator wrote after us\n'
    assert ufw.split_block(middle) == (AFTER + '# the operator wrote after us\n', block)


def test_ufw_errors_become_one_line():
    output = ('ERROR: problem running ufw-init\niptables-restore v1.8.9 (nf_tables): Chain \'DROPX\' does not exist\n'
              'Error occurred at line: 36\nTry `iptables-restore -h\' or \'iptables-restore --help\' for more.\n'
              'sysctl: permission denied on key "net.ipv4.conf.all.accept_redirects"\n\n'
              "Problem running '/etc/ufw/after.rules'\n")
    assert ufw.error_line(output) == ("ERROR: problem running ufw-init; iptables-restore v1.8.9 (nf_tables): Chain "
                                      "'DROPX' does not exist; Error occurred at line: 36; Problem running "
                                      "'/etc/ufw/after.rules'")
    assert ufw.error_line('') == 'ufw printed nothing'


# ---------------------------------------------------------------- UfwRun with a fake ufw

class FakeUfw:
    """ufw whose rules live in files under tmp_path/etc (user.rules holds the `ufw show added` lines), whose
    after*.rules blocks are loaded into a live DOCKER-USER chain on enable and reload, and whose DOCKER-USER
    rules stay on disable (as the real one's do). systemctl, systemd-run and iptables -D are recorded too."""

    def __init__(self, tmp_path, installed=True, enabled=False, policy='DROP', added=(), fail=None):
        self.tmp_path = tmp_path
        self.etc = tmp_path / 'etc'
        self.bin = tmp_path / 'bin'
        self.installed = installed
        self.fail = fail
        self.calls = []
        self.timer = False
        self.live = {'iptables': [], 'ip6tables': []}
        self.running = False
        (self.etc / 'ufw').mkdir(parents=True)
        (self.etc / 'default').mkdir()
        self.bin.mkdir()
        if installed:
            self.write('ufw/user.rules', ''.join(line + '\n' for line in added))
            self.write('ufw/user6.rules', '# user6\n')
            self.write('ufw/after.rules', AFTER)
            self.write('ufw/after6.rules', AFTER6)
            self.write('ufw/ufw.conf', '# /etc/ufw/ufw.conf\nENABLED=%s\nLOGLEVEL=low\n' % ('yes' if enabled else 'no'))
            self.write('default/ufw', 'IPV6=yes\nDEFAULT_INPUT_POLICY="%s"\nDEFAULT_OUTPUT_POLICY="ACCEPT"\n' % policy)
            os.chmod(str(self.etc / 'ufw' / 'after.rules'), 0o640)
            if enabled:
                self.load()

    def read(self, relative):
        return (self.etc / relative).read_text()

    def write(self, relative, text):
        (self.etc / relative).write_text(text)

    def snapshot(self):
        return dict((relative, self.read(relative)) for _name, relative in ufw.FILES)

    @property
    def rules(self):
        return self.read('ufw/user.rules').splitlines()

    @property
    def enabled(self):
        return ufw.is_enabled(self.read('ufw/ufw.conf'))

    def set_enabled(self, value):
        self.write('ufw/ufw.conf', self.read('ufw/ufw.conf').replace('ENABLED=%s' % ('no' if value else 'yes'),
                                                                     'ENABLED=%s' % ('yes' if value else 'no')))

    def load(self):
        self.running = True
        for family, relative in (('iptables', 'ufw/after.rules'), ('ip6tables', 'ufw/after6.rules')):
            text = self.read(relative)
            if ':DOCKER-USER - [0:0]' in text:  # declared: iptables-restore -n flushes it and fills it again
                self.live[family] = [line[len('-A DOCKER-USER '):] for line in text.splitlines()
                                     if line.startswith('-A DOCKER-USER ')]

    def mutating(self):
        return [argv[1:] for argv, _data in self.calls
                if os.path.basename(argv[0]) == 'ufw' and argv[1:] not in (['status'], ['show', 'added'])]

    def which(self, name):
        if name == 'ufw' and not self.installed:
            return None
        if name == 'sshd':
            return None
        return str(self.bin / name)

    @staticmethod
    def line_of(args):
        if 'comment' in args:
            index = args.index('comment')
            return 'ufw %s comment \'%s\'' % (' '.join(args[:index]), args[index + 1])
        return 'ufw ' + ' '.join(args)

    def run_command(self, argv, data=None):
        self.calls.append((argv, data))
        name = os.path.basename(argv[0])
        args = list(argv[1:])
        if name == 'ufw':
            return self.ufw(args)
        if name in ('iptables', 'ip6tables'):
            assert args[:2] == ['-D', 'DOCKER-USER'], args
            rule = ' '.join(args[2:])
            if rule in self.live[name]:
                self.live[name].remove(rule)
                return 0, '', ''
            return 1, '', 'iptables: Bad rule (does a matching rule exist in that chain?).\n'
        if name == 'systemctl':
            if args[0] == 'is-active' and args[1].endswith('.timer'):
                return (0, 'active\n', '') if self.timer else (3, 'inactive\n', '')
            if args[0] == 'is-active':
                return 3, 'inactive\n', ''
            if args[0] == 'stop':
                self.timer = False
            return 0, '', ''
        if name == 'systemd-run':
            self.timer = True
            return 0, '', ''
        raise AssertionError('unexpected command %r' % (argv,))

    def ufw(self, args):
        if self.fail and ' '.join(args).startswith(self.fail):
            self.fail = None  # once: putting back works
            if args == ['reload']:  # what the real ufw does when the start fails
                self.set_enabled(False)
            return 1, '', 'ERROR: problem running ufw-init\nsysctl: permission denied on key "x"\nboom: line 3\n'
        if args == ['status']:
            return 0, 'Status: active\n' if self.running else 'Status: inactive\n', ''
        if args[:2] == ['app', 'info']:
            ports = {'OpenSSH': '22/tcp', 'WWW Full': '80,443/tcp'}.get(args[2])
            if not ports:
                return 1, '', 'ERROR: Could not find profile %r\n' % args[2]
            return 0, 'Profile: %s\nTitle: t\nDescription: d\n\nPorts:\n  %s\n' % (args[2], ports), ''
        if args == ['show', 'added']:
            lines = self.rules or ['(None)']
            return 0, "Added user rules (see 'ufw status' for running firewall):\n" + '\n'.join(lines) + '\n', ''
        if args[0] == 'allow':
            line = self.line_of(args)
            bare = line.split(' comment ', 1)[0]
            rules = [rule for rule in self.rules if rule.split(' comment ', 1)[0] != bare]  # ufw updates the comment
            self.write('ufw/user.rules', ''.join(rule + '\n' for rule in rules + [line]))
            return 0, 'Rule added\nRule added (v6)\n', ''
        if args[0] == 'delete':
            line = self.line_of(args[1:])
            rules = [rule for rule in self.rules
                     if not (rule == line or ('comment' not in args and rule.split(' comment ', 1)[0] == line))]
            self.write('ufw/user.rules', ''.join(rule + '\n' for rule in rules))
            return 0, 'Rule deleted\n', ''
        if args[0] == 'default':
            value = {'deny': 'DROP', 'allow': 'ACCEPT', 'reject': 'REJECT'}[args[1]]
            text = self.read('default/ufw')
            self.write('default/ufw', '\n'.join('DEFAULT_INPUT_POLICY="%s"' % value
                                                if line.startswith('DEFAULT_INPUT_POLICY=') else line
                                                for line in text.splitlines()) + '\n')
            if self.enabled:
                self.load()
            return 0, "Default incoming policy changed to '%s'\n" % args[1], ''
        if args == ['--force', 'enable']:
            self.set_enabled(True)
            if not self.running:
                self.load()
            return 0, 'Firewall is active and enabled on system startup\n', ''
        if args == ['reload']:
            if not self.enabled:
                return 0, 'Firewall not enabled (skipping reload)\n', ''
            self.load()
            return 0, 'Firewall reloaded\n', ''
        if args == ['disable']:
            self.set_enabled(False)
            self.running = False
            return 0, 'Firewall stopped and disabled on system startup\n', ''
        raise AssertionError('unexpected ufw %r' % (args,))

    def run(self, check_mode=False, environ=None, **overrides):
        values = params(**overrides)
        run = UfwRun(values, self.run_command, self.which, check_mode=check_mode,
                     environ={'SSH_CONNECTION': '172.18.0.1 40000 172.18.0.2 22'} if environ is None else environ,
                     state_dir=str(self.tmp_path / 'state'), unit_dir=str(self.tmp_path / 'units'),
                     proc_dir=str(self.tmp_path / 'no-proc'), etc_dir=str(self.etc))
        return run.run()


def test_apply_enables_ufw_and_is_idempotent(tmp_path):
    host = FakeUfw(tmp_path, policy='ACCEPT')
    first = host.run(forward_block_ports=[8088])
    assert first['changed'] and first['backend'] == 'ufw' and first['ssh_port'] == 22
    assert host.rules == [OURS_22, OURS_80, OURS_443]
    assert host.enabled and host.running and ufw.policy_of(host.read('default/ufw')) == 'deny'
    assert host.read('ufw/after.rules') == AFTER + ufw.render_block([8088])
    assert host.read('ufw/after6.rules') == AFTER6 + ufw.render_block([8088])
    assert oct(os.stat(str(tmp_path / 'etc' / 'ufw' / 'after.rules')).st_mode & 0o777) == oct(0o640)
    assert host.live == {'iptables': DROP_8088, 'ip6tables': DROP_8088}
    assert host.mutating()[:3] == [ufw.argv_of(OURS_22), ufw.argv_of(OURS_80), ufw.argv_of(OURS_443)]
    assert host.mutating()[3:] == [['default', 'deny', 'incoming'], ['--force', 'enable']]
    diff = first['diff'][0]
    assert diff['before'] == 'Status: inactive\nufw default allow incoming\n'
    assert diff['after'].startswith('Status: active\nufw default deny incoming\n%s\n%s\n%s\n# %s/ufw/after.rules\n'
                                    '# BEGIN docops.onlyoffice' % (OURS_22, OURS_80, OURS_443, host.etc))
    calls = len(host.calls)
    second = host.run(forward_block_ports=[8088])
    assert not second['changed'] and second['diff'] == [] and len(host.mutating()) == 5
    read = [argv[1:] for argv, _data in host.calls[calls:] if argv[0].endswith('ufw')]
    assert read == [['status'], ['show', 'added']]


def test_an_active_ufw_is_changed_rule_by_rule_and_reloaded_only_for_the_block(tmp_path):
    host = FakeUfw(tmp_path, enabled=True, added=[OURS_22, OURS_80, "ufw allow 8080/tcp comment 'docops.onlyoffice'"])
    result = host.run()
    assert result['changed'] and host.mutating() == [ufw.argv_of(OURS_443),
                                                     ['delete'] + ufw.argv_of("ufw allow 8080/tcp comment "
                                                                              "'docops.onlyoffice'")]
    result = host.run(forward_block_ports=[8088])
    assert result['changed'] and host.mutating()[2:] == [['reload']] and host.live['iptables'] == DROP_8088


def test_check_mode_changes_nothing(tmp_path):
    host = FakeUfw(tmp_path)
    before = host.snapshot()
    result = host.run(check_mode=True, forward_block_ports=[8088], confirm_timeout=30)
    assert result['changed'] and 'BEGIN docops.onlyoffice' in result['diff'][0]['after']
    assert host.snapshot() == before and host.mutating() == [] and not host.running and not host.timer
    assert not (tmp_path / 'state').exists()


def test_guard_refuses_before_any_ufw_command(tmp_path):
    host = FakeUfw(tmp_path)
    before = host.snapshot()
    with pytest.raises(FirewallFailure) as caught:
        host.run(allow=[dict(port=80)])
    assert caught.value.msg.startswith('the rule set does not allow the SSH port 22') and '\n' not in caught.value.msg
    assert host.calls == [] and host.snapshot() == before
    forced = host.run(allow=[dict(port=80)], force=True)
    assert forced['changed'] and any('applied anyway (force=true)' in w for w in forced['warnings'])


def test_operators_rules_are_never_touched(tmp_path):
    operators = ['ufw allow 80/tcp', "ufw allow 22/tcp comment 'ssh'", 'ufw deny from 198.51.100.0/24',
                 'ufw allow OpenSSH']
    host = FakeUfw(tmp_path, enabled=True, added=operators)
    host.run()
    assert host.rules == operators + [OURS_443]  # 22 and 80 are the operator's already: not taken over
    host.run(allow=[dict(port=22)])
    assert host.rules == operators
    calls = len(host.mutating())
    assert not host.run(state='absent')['changed'] and host.rules == operators and len(host.mutating()) == calls


def test_block_is_removed_with_its_live_rules(tmp_path):
    host = FakeUfw(tmp_path, enabled=True)
    host.run(forward_block_ports=[8088])
    assert host.live['iptables'] == DROP_8088
    result = host.run()
    assert result['changed'] and host.read('ufw/after.rules') == AFTER and host.read('ufw/after6.rules') == AFTER6
    assert host.live == {'iptables': [], 'ip6tables': []}  # reload does not touch a chain no longer declared
    assert 'BEGIN docops' in result['diff'][0]['before'] and 'BEGIN docops' not in result['diff'][0]['after']
    assert not host.run()['changed']


def test_commit_confirm_saves_ufws_files_and_arms(tmp_path):
    host = FakeUfw(tmp_path)
    original = host.snapshot()
    result = host.run(confirm_timeout=10, forward_block_ports=[8088])
    assert result['rollback_pending'] and result['rollback_seconds'] == 10 and host.timer
    state = tmp_path / 'state'
    for name, relative in ufw.FILES:
        assert (state / name).read_text() == original[relative], name
    run = [argv for argv, _data in host.calls if argv[0].endswith('systemd-run')][-1]
    assert run[1:4] == ['--unit', 'docops-firewall-rollback', '--on-active=10'] and run[-1].endswith('rollback.sh')
    # A second change before the confirmation keeps the state from before the first one.
    second = host.run(confirm_timeout=10, allow=[dict(port=22)])
    assert second['changed'] and any('earlier change was not confirmed' in w for w in second['warnings'])
    assert (state / 'ufw-user.rules').read_text() == original['ufw/user.rules']
    confirmed = host.run(state='confirmed')
    assert confirmed['changed'] and not host.timer and os.listdir(str(state)) == []


def test_rollback_script_puts_ufw_back(tmp_path):
    host = FakeUfw(tmp_path)
    original = host.snapshot()
    log = tmp_path / 'log'
    stubs = dict(ufw='echo "ufw $*" >> %s\n[ "$1" = status ] && echo "Status: active"\nexit 0\n' % log,
                 iptables='echo "iptables $*" >> %s\n' % log, ip6tables='echo "ip6tables $*" >> %s\n' % log)
    for name, body in stubs.items():
        (host.bin / name).write_text('#!/bin/sh\n' + body)
        os.chmod(str(host.bin / name), 0o755)
    host.run(confirm_timeout=10, forward_block_ports=[8088])
    assert host.snapshot() != original
    script = tmp_path / 'state' / 'rollback.sh'
    assert 'flush' not in script.read_text() and ' -F' not in script.read_text()
    done = subprocess.run(['/bin/sh', str(script)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert host.snapshot() == original
    commands = log.read_text().splitlines()
    assert commands == ['iptables -D DOCKER-USER ' + rule for rule in DROP_8088] + [
        'ip6tables -D DOCKER-USER ' + rule for rule in DROP_8088] + ['ufw status', 'ufw disable']
    assert (tmp_path / 'state' / 'rolled-back').read_text().strip().endswith('Z')
    assert os.listdir(str(tmp_path / 'state')) == ['rolled-back']
    host.timer = False  # the timer ran the script: it is over
    with pytest.raises(FirewallFailure) as caught:
        host.run(state='confirmed')
    assert caught.value.msg.startswith('too late: the change was already rolled back at ')


def test_rollback_script_reloads_an_enabled_ufw_and_removes_files_that_did_not_exist(tmp_path):
    script = ufw.rollback_script('/usr/sbin/ufw', {'ufw/after.rules': '/usr/sbin/iptables'}, '/var/lib/s', '/etc',
                                 {'ufw/user.rules': True, 'ufw/ufw.conf': True})
    assert 'cp /var/lib/s/ufw-user.rules /etc/ufw/user.rules' in script
    assert 'rm -f /etc/ufw/after6.rules' in script and 'ip6tables' not in script
    assert "/usr/sbin/ufw reload\nelif /usr/sbin/ufw status | grep -q '^Status: active'; then\n" in script
    assert script.splitlines()[-1] == 'rm -f /var/lib/s/ufw-user.rules /var/lib/s/ufw-ufw.conf /var/lib/s/rollback.sh'


def test_a_failed_command_puts_everything_back(tmp_path):
    host = FakeUfw(tmp_path, fail='allow 443/tcp')
    original = host.snapshot()
    with pytest.raises(FirewallFailure) as caught:
        host.run(forward_block_ports=[8088], confirm_timeout=30)
    assert caught.value.msg == ("ufw allow 443/tcp comment docops.onlyoffice failed: ERROR: problem running "
                                "ufw-init; boom: line 3; ufw is back as it was")
    assert host.snapshot() == original and not host.running and not host.timer
    assert os.listdir(str(tmp_path / 'state')) == []  # the rollback armed by this run is withdrawn


def test_a_failed_reload_puts_the_files_back_and_loads_them(tmp_path):
    host = FakeUfw(tmp_path, enabled=True, added=[OURS_22, OURS_80, OURS_443])
    host.run(forward_block_ports=[8088])
    original = host.snapshot()
    host.fail = 'reload'
    with pytest.raises(FirewallFailure) as caught:
        host.run(forward_block_ports=[9000])
    assert caught.value.msg.startswith('ufw reload failed: ERROR: problem running ufw-init; boom')
    assert host.snapshot() == original and host.enabled and host.running
    assert host.live['iptables'] == DROP_8088 and host.mutating()[-2:] == [['reload'], ['reload']]


def test_missing_ufw_is_one_line(tmp_path):
    with pytest.raises(FirewallFailure) as caught:
        FakeUfw(tmp_path / 'a', installed=False).run()
    assert caught.value.msg == 'backend ufw: the ufw command is not installed (Debian package ufw)'
    result = FakeUfw(tmp_path / 'b', installed=False).run(check_mode=True, forward_block_ports=[8088])
    assert result['changed'] and not result['installed'] and any('check mode reports' in w for w in result['warnings'])
    assert OURS_443 in result['diff'][0]['after']


def test_absent_removes_ours_and_leaves_ufw_enabled_with_its_policy(tmp_path):
    host = FakeUfw(tmp_path, added=['ufw allow OpenSSH'])
    host.run(forward_block_ports=[8088], confirm_timeout=30)
    result = host.run(state='absent')
    assert result['changed'] and host.rules == ['ufw allow OpenSSH']
    assert host.read('ufw/after.rules') == AFTER and host.live == {'iptables': [], 'ip6tables': []}
    assert host.enabled and host.running and ufw.policy_of(host.read('default/ufw')) == 'deny'
    assert not host.timer and os.listdir(str(tmp_path / 'state')) == []
    assert result['diff'][0]['after'] == '' and OURS_22 in result['diff'][0]['before']
    assert not host.run(state='absent')['changed']


@pytest.mark.parametrize('line, expected', [
    ('ufw allow 22/tcp', dict(ports='22', app=None, source=None)),
    ("ufw limit 2022/tcp comment 'ssh'", dict(ports='2022', app=None, source=None)),
    ('ufw allow 22', dict(ports='22', app=None, source=None)),
    ('ufw allow 6000:6007/tcp', dict(ports='6000:6007', app=None, source=None)),
    ('ufw allow OpenSSH', dict(ports=None, app='OpenSSH', source=None)),
    ("ufw allow 'WWW Full'", dict(ports=None, app='WWW Full', source=None)),
    ('ufw allow from 10.0.0.0/8 to any app OpenSSH', dict(ports=None, app='OpenSSH', source='10.0.0.0/8')),
    ('ufw allow in on eth0 to any port 22 proto tcp', dict(ports='22', app=None, source=None)),
    ('ufw allow from 192.0.2.0/24', dict(ports=None, app=None, source='192.0.2.0/24')),
    ('ufw allow from 2001:db8::/32 to any port 22', dict(ports='22', app=None, source='2001:db8::/32')),
    ('ufw allow 22/udp', None),
    ('ufw deny 22/tcp', None),
    ('ufw allow in on eth0 from 10.2.0.0/16 port 53 to any port 22', None),
    ('ufw route allow 22/tcp', None),
])
def test_operators_allow_rules_are_read_for_the_absent_guard(line, expected):
    assert ufw.parse_allow(line) == expected


def test_port_specs_and_app_info_are_read():
    assert ufw.port_ranges('22') == [(22, 22)] and ufw.port_ranges('80,443') == [(80, 80), (443, 443)]
    assert ufw.port_ranges('6000:6007') == [(6000, 6007)]
    info = 'Profile: x\nTitle: t\nDescription: d\n\nPorts:\n  80,443/tcp\n  53/udp\n  60000:61000\n'
    assert ufw.app_ports(info) == ['80,443', '60000:61000']
    assert ufw.Allowed([(6000, 6007)]).covers(6001) and not ufw.Allowed([(6000, 6007)]).covers(22)
    assert ufw.Allowed(None, '10.0.0.0/8').covers(22, '10.1.2.3') and not ufw.Allowed(None, '10.0.0.0/8').covers(
        22, '192.0.2.1')


def test_absent_refuses_to_cut_ssh_while_ufw_stays_active(tmp_path):
    host = FakeUfw(tmp_path, added=['ufw allow 8443/tcp', 'ufw allow from 10.0.0.0/8 to any app OpenSSH'])
    host.run()
    before = host.snapshot()
    with pytest.raises(FirewallFailure) as caught:
        host.run(state='absent')
    assert caught.value.msg == (
        'state=absent: ufw stays active with incoming policy deny, and the rules that stay (not ours) allow the SSH '
        'port 22 only from 10.0.0.0/8, not from 172.18.0.1, the address of this connection (read from '
        'SSH_CONNECTION); add an ufw rule for it, disable ufw, or set force=true')
    assert host.snapshot() == before
    forced = host.run(state='absent', force=True)
    assert forced['changed'] and any('removed anyway (force=true)' in w for w in forced['warnings'])
    assert host.rules == ['ufw allow 8443/tcp', 'ufw allow from 10.0.0.0/8 to any app OpenSSH']


def test_absent_needs_no_guard_when_ufw_is_inactive_or_accepts(tmp_path):
    host = FakeUfw(tmp_path / 'a')
    host.run()
    host.ufw(['disable'])
    assert host.run(state='absent')['changed'] and host.rules == []
    host = FakeUfw(tmp_path / 'b')
    host.run(default_incoming_policy='accept', allow=[dict(port=80)])
    assert host.run(state='absent')['changed'] and host.rules == []
