# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The firewalld backend of module host_firewall.

Two parts, from pure to effectful:

- pure logic, unit-tested without firewalld: our rules in firewalld's own words (zone ports, rich rules, the
  direct rules marked with the comment ``docops.onlyoffice`` that drop in Docker's DOCKER-USER what was
  DNATed from a blocked port), the parsing of ``firewall-cmd --list-all`` and ``--direct --get-all-rules``, the
  options that turn the zone into ours, the diff, the rollback script of commit-confirm, errors on one line;
- ``FirewalldRun``: one module call. The permanent configuration is written with ``firewall-cmd --permanent``
  while firewalld runs (then ``--reload``), with ``firewall-offline-cmd`` while it does not (then firewalld is
  started and enabled). When a command fails, firewalld's files are put back and loaded again.

Measured with firewalld 1.3.3 (Debian 12, nftables backend) and Docker 20.10: direct rules into DOCKER-USER need
the chain declared too (``--direct --add-chain``): every start and reload of firewalld flushes the iptables
tables, and a rule for a chain that does not exist then fails the reload (state ``failed``). With the chain
declared, firewalld creates it with our rules first, and Docker (on firewalld's reload signal, or at its own
start) finds it and appends its RETURN after them.

Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import json
import os
import posixpath
import re
import shlex
import time

from ansible_collections.docops.onlyoffice.plugins.module_utils._firewall import (
    PROTOCOLS,
    ROLLBACK_SCRIPT,
    ROLLBACK_TIMER,
    ROLLED_BACK,
    HostRun,
    diff_of,
    rules_of,
    ssh_guard_problem,
)

MARK = 'docops.onlyoffice'
CHAIN = 'DOCKER-USER'
FAMILIES = ('ipv4', 'ipv6')
TARGETS = {'drop': 'DROP', 'accept': 'ACCEPT'}  # default_incoming_policy -> the zone's target
KEPT_SERVICES = ('dhcpv6-client',)              # the zone's services that stay (the others open ports not asked for)
STOCK_ZONE = 'public'                           # firewalld's default zone on Debian, when nothing can be read

# The files firewalld keeps the configuration we change in (relative to /etc/firewalld), and their saved copies.
DIRECT_XML = 'direct.xml'
SAVED_ZONE = 'firewalld-zone.xml'
SAVED_DIRECT = 'firewalld-direct.xml'
APPLIED = 'firewalld-applied.json'  # the zone ports and rich rules our last run made: what state=absent removes

START_WAIT = 60  # seconds to wait for firewalld to answer after it was started

_CODE_RE = re.compile(r'^[A-Z][A-Z_]+: ')         # INVALID_ZONE: get_zone(): nosuch
_FIELD_RE = re.compile(r'(\w+)=("[^"]*"|\S+)')     # the name="value" pairs of a rich rule


# ---------------------------------------------------------------- our rules in firewalld's words

def zone_ports(rules):
    """The zone ports (``80/tcp``) of the rules allowed from anywhere, in order, without duplicates."""
    found = []
    for rule in rules:
        port = '%d/%s' % (rule.port, rule.protocol)
        if rule.anywhere and port not in found:
            found.append(port)
    return found


def rich_rule(source, port, protocol):
    """The rich rule that accepts PORT/PROTOCOL from SOURCE, exactly as firewall-cmd --list-all prints it."""
    family = 'ipv6' if ':' in source else 'ipv4'
    return 'rule family="%s" source address="%s" port port="%d" protocol="%s" accept' % (family, source, port,
                                                                                         protocol)


def rich_rules(rules):
    """The rich rules of the rules allowed from some sources, in order, without duplicates."""
    found = []
    for rule in rules:
        for source in rule.v4 + rule.v6:
            text = rich_rule(source, rule.port, rule.protocol)
            if text not in found:
                found.append(text)
    return found


def drop_args(port, protocol):
    """The iptables arguments of our direct rule dropping forwarded traffic DNATed from host port PORT."""
    return ('!', '-i', 'lo', '-p', protocol, '-m', 'conntrack', '--ctstate', 'DNAT', '--ctorigdstport', str(port),
            '-m', 'comment', '--comment', MARK, '-j', 'DROP')


def direct_rules(ports):
    """Our direct rules for PORTS: (ipv, table, chain, priority, args), IPv4 then IPv6, TCP and UDP."""
    return [(family, 'filter', CHAIN, '0', drop_args(port, protocol))
            for family in FAMILIES for port in sorted(set(ports or ())) for protocol in PROTOCOLS]


def is_ours(rule):
    """Whether a direct rule carries our comment (only those are ever removed)."""
    args = rule[4]
    return any(args[index:index + 2] == ('--comment', MARK) for index in range(len(args) - 1))


def direct_line(rule):
    """A direct rule as ``firewall-cmd --direct --get-all-rules`` prints it."""
    ipv, table, chain, priority, args = rule
    return ' '.join([ipv, table, chain, priority] + [shlex.quote(arg) for arg in args])


def parse_direct_rules(output):
    """The rules of ``firewall-cmd --direct --get-all-rules``: (ipv, table, chain, priority, args)."""
    found = []
    for line in (output or '').splitlines():
        try:
            fields = shlex.split(line)
        except ValueError:
            continue
        if len(fields) >= 5 and fields[0] in FAMILIES + ('eb',):
            found.append((fields[0], fields[1], fields[2], fields[3], tuple(fields[4:])))
    return found


def parse_direct_chains(output):
    """The chains of ``firewall-cmd --direct --get-all-chains``: (ipv, table, chain)."""
    return [tuple(line.split()) for line in (output or '').splitlines() if len(line.split()) == 3]


def parse_zone(output):
    """The settings of ``firewall-cmd --zone Z --list-all`` we read: target, services, ports, rich rules,
    interfaces, sources (lists, in firewalld's order; target a string)."""
    found = dict(target='default', services=[], ports=[], rich_rules=[], interfaces=[], sources=[])
    keys = dict(target='target', services='services', ports='ports', interfaces='interfaces', sources='sources')
    for line in (output or '').splitlines()[1:]:
        if line.startswith('\t'):
            if line.strip():
                found['rich_rules'].append(line.strip())
            continue
        key, sep, value = line.strip().partition(':')
        if not sep or key not in keys:
            continue
        if key == 'target':
            found['target'] = value.strip()
        else:
            found[keys[key]] = value.split()
    return found


def wanted_state(rules, policy, ports):
    """What the zone and the direct configuration should hold for RULES, POLICY and forward_block_ports PORTS."""
    return dict(target=TARGETS[policy], ports=zone_ports(rules), rich_rules=rich_rules(rules),
                direct=direct_rules(ports))


def plan(zone, chains, rules, wanted):
    """The firewall-cmd options that turn the current ZONE (parse_zone), direct CHAINS and RULES into WANTED.

    A list of (scope, args): scope 'zone' (the call needs --zone) or 'direct'. Allowing comes first, then what is
    removed, then the target; direct chains are declared before their rules and removed after them (only when
    our last rule in them goes and no other rule uses them).
    """
    ops = []
    ops += [('zone', ['--add-port', port]) for port in wanted['ports'] if port not in zone['ports']]
    ops += [('zone', ['--add-rich-rule', rule]) for rule in wanted['rich_rules'] if rule not in zone['rich_rules']]
    ops += [('zone', ['--remove-rich-rule', rule]) for rule in zone['rich_rules'] if rule not in wanted['rich_rules']]
    ops += [('zone', ['--remove-port', port]) for port in zone['ports'] if port not in wanted['ports']]
    ops += [('zone', ['--remove-service', name]) for name in zone['services'] if name not in KEPT_SERVICES]
    if zone['target'] != wanted['target']:
        ops.append(('zone', ['--set-target', wanted['target']]))
    ours = [rule for rule in rules if is_ours(rule)]
    for family in FAMILIES:
        if any(rule[0] == family for rule in wanted['direct']) and (family, 'filter', CHAIN) not in chains:
            ops.append(('direct', ['--add-chain', family, 'filter', CHAIN]))
    ops += [('direct', ['--add-rule'] + list(rule[:4]) + list(rule[4])) for rule in wanted['direct']
            if rule not in rules]
    removed = [rule for rule in ours if rule not in wanted['direct']]
    ops += [('direct', ['--remove-rule'] + list(rule[:4]) + list(rule[4])) for rule in removed]
    for family in FAMILIES:
        left = [rule for rule in rules if rule[0] == family and rule[2] == CHAIN and rule not in removed]
        if (any(rule[0] == family for rule in removed) and not left
                and not any(rule[0] == family for rule in wanted['direct']) and (family, 'filter', CHAIN) in chains):
            ops.append(('direct', ['--remove-chain', family, 'filter', CHAIN]))
    return ops


def after_plan(zone, chains, rules, ops):
    """(zone, chains, rules) as they are once OPS ran (the order firewalld keeps: new entries at the end)."""
    zone = dict(zone, services=list(zone['services']), ports=list(zone['ports']), rich_rules=list(zone['rich_rules']))
    chains = list(chains)
    rules = list(rules)
    for _scope, args in ops:
        action, _sep, kind = args[0][2:].partition('-')
        if kind == 'target':
            zone['target'] = args[1]
            continue
        if kind == 'chain':
            values, value = chains, tuple(args[1:])
        elif kind == 'rule':
            values, value = rules, tuple(args[1:5]) + (tuple(args[5:]),)
        else:
            values, value = zone[{'port': 'ports', 'rich-rule': 'rich_rules', 'service': 'services'}[kind]], args[1]
        if action == 'add':
            values.append(value)
        else:
            values.remove(value)
    return zone, chains, rules


def state_text(status, zone_name, zone, chains, rules, note=None):
    """What we manage, in firewalld's words: its state, the zone's target, services, ports and rich rules
    (as ``--list-all`` prints them), our direct chain and rules (as ``--direct --get-all-rules`` does)."""
    lines = ['state: %s' % status]
    if note:
        lines.append(note)
    lines += [zone_name, '  target: %s' % zone['target'], ('  services: %s' % ' '.join(zone['services'])).rstrip(),
              ('  ports: %s' % ' '.join(zone['ports'])).rstrip(), '  rich rules:']
    lines += ['\t' + rule for rule in zone['rich_rules']]
    ours = [rule for rule in rules if is_ours(rule)]
    for family in FAMILIES:
        if (family, 'filter', CHAIN) in chains and any(rule[0] == family for rule in ours):
            lines.append('direct chain: %s filter %s' % (family, CHAIN))
    lines += ['direct rule: ' + direct_line(rule) for rule in ours]
    return '\n'.join(lines) + '\n'


def error_line(output):
    """firewall-cmd's message on one line: its ``Error:`` lines, else firewall-offline-cmd's ``CODE: text`` lines
    (not dbus' tracebacks), else what it printed."""
    lines = [line.strip() for line in (output or '').splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith('Error:')]
    errors = errors or [line for line in lines if _CODE_RE.match(line)]
    return '; '.join(errors or lines) or 'firewall-cmd printed nothing'


class Allowed:
    """What lets new connections in, as the SSH guard sees it (like Rule: covers() and the sources v4, v6)."""

    def __init__(self, low, high, protocol='tcp', source=None):
        self.low = low
        self.high = high
        self.protocol = protocol
        self.v4 = [source] if source and ':' not in source else []
        self.v6 = [source] if source and ':' in source else []

    def covers(self, port, client=None):
        if self.protocol != 'tcp' or not self.low <= port <= self.high:
            return False
        if not (self.v4 or self.v6) or client is None:
            return True
        return ipaddress.ip_address(client) in ipaddress.ip_network((self.v4 + self.v6)[0], strict=False)


def port_allowed(item, source=None):
    """An Allowed for a firewalld port (``22/tcp``, ``8000-8010/tcp``), or None."""
    port, _sep, protocol = item.partition('/')
    low, _sep, high = port.partition('-')
    if protocol not in PROTOCOLS or not low.isdigit() or not (high or low).isdigit():
        return None
    return Allowed(int(low), int(high or low), protocol, source)


def rich_rule_allowed(text):
    """An Allowed for a rich rule that accepts a port (from a source or not), else None."""
    fields = dict((key, value.strip('"')) for key, value in _FIELD_RE.findall(text))
    words = text.split()
    if not words or words[-1] != 'accept' or ' port port=' not in text or 'invert=' in text:
        return None
    return port_allowed('%s/%s' % (fields.get('port', ''), fields.get('protocol', '')), fields.get('address'))


def rollback_script(state_dir, zone_path, direct_path, saved, was_running, was_enabled, firewall_cmd, systemctl,
                    iptables):
    """What the commit-confirm timer runs: firewalld's files as they were before the change, loaded again.

    SAVED: {target path: saved copy name or None (the file did not exist: removed)}. When firewalld was not running
    it is stopped again (and disabled when it was not enabled). Stopping or reloading firewalld flushes the iptables
    tables; a Docker that did not register with firewalld then lost its chains, and is restarted.
    """
    q = shlex.quote
    lines = [
        '#!/bin/sh',
        '# docops.onlyoffice.host_firewall (firewalld): no confirmation came; put firewalld back as it was.',
        'set -e -f',
        'export LC_ALL=C',
    ]
    copies = []
    for target in (zone_path, direct_path):
        name = saved.get(target)
        if name:
            copies.append(q(posixpath.join(state_dir, name)))
            lines.append('cp %s %s' % (copies[-1], q(target)))
        else:
            lines.append('rm -f %s' % q(target))
    if was_running:
        lines.append('%s --reload' % q(firewall_cmd))
    else:
        lines.append('%s stop firewalld.service' % q(systemctl))
    if not was_enabled:
        lines.append('%s disable firewalld.service' % q(systemctl))
    if iptables:
        lines += [
            'if %s is-active --quiet docker.service && ! %s -t nat -n -L DOCKER >/dev/null 2>&1; then'
            % (q(systemctl), q(iptables)),
            '    %s restart docker.service' % q(systemctl),
            'fi',
        ]
    lines += [
        'date -u +%%Y-%%m-%%dT%%H:%%M:%%SZ > %s' % q(posixpath.join(state_dir, ROLLED_BACK)),
        'rm -f %s' % ' '.join(copies + [q(posixpath.join(state_dir, ROLLBACK_SCRIPT))]),
        '',
    ]
    return '\n'.join(lines)


class _CommandFailed(Exception):
    def __init__(self, command, message):
        super(_CommandFailed, self).__init__(command)
        self.command = command
        self.message = message


# ---------------------------------------------------------------- one module call

class FirewalldRun(HostRun):
    """One module call on the firewalld backend: the zone's ports, rich rules, services and target, our direct
    rules in DOCKER-USER; firewalld running and enabled."""

    BACKEND = 'firewalld'
    SAVED = (SAVED_ZONE, SAVED_DIRECT)

    def __init__(self, params, *args, **kwargs):
        self.etc_dir = kwargs.pop('etc_dir', '/etc/firewalld')
        self.sleep = kwargs.pop('sleep', time.sleep)
        super(FirewalldRun, self).__init__(params, *args, **kwargs)
        self.cmd = None
        self.offline = None
        self.running = False
        self.status = 'not installed'
        self.zone = params.get('zone')
        self._armed_now = False

    def _result_extra(self):
        return dict(zone=self.zone)

    def _zone_path(self):
        return posixpath.join(self.etc_dir, 'zones', self.zone + '.xml')

    def _direct_path(self):
        return posixpath.join(self.etc_dir, DIRECT_XML)

    # -------------------------------------------------------- commands

    def _config_argv(self, scope, args):
        """The command that reads or changes the permanent configuration: firewall-cmd --permanent while
        firewalld runs, firewall-offline-cmd while it does not. SCOPE: 'zone' (with --zone), 'direct' or ''."""
        args = list(args)
        zone = ['--zone', self.zone] if scope == 'zone' else []
        if scope == 'direct':
            args = ['--direct'] + args
        if self.running:
            return [self.cmd, '--permanent'] + zone + args
        if args[0] == '--remove-service':
            args[0] = '--remove-service-from-zone'  # firewall-offline-cmd's name for it with --zone
        return [self.offline] + zone + args

    def _call(self, argv):
        rc, out, err = self._run(argv)
        if rc != 0:
            raise _CommandFailed(' '.join(shlex.quote(arg) for arg in argv), error_line(err or out))
        return out

    def _read_call(self, argv):
        try:
            return self._call(argv)
        except _CommandFailed as exc:
            self._fail('%s failed: %s' % (exc.command, exc.message))

    def _systemctl_call(self, *args):
        systemctl = self.which('systemctl')
        if not systemctl:
            raise _CommandFailed('systemctl %s' % ' '.join(args), 'systemctl is not installed')
        return self._call([systemctl] + list(args))

    # -------------------------------------------------------- reading

    def prepare(self):
        self.cmd = self.which('firewall-cmd')
        self.offline = self.which('firewall-offline-cmd')
        self.installed = bool(self.cmd and self.offline)
        if self.installed:
            out = self._run([self.cmd, '--state'])[1].strip()
            self.status = out if out in ('running', 'failed') else 'not running'
            # "failed": firewalld runs but could not load its configuration; a reload loads it again.
            self.running = self.status != 'not running'
            return
        problem = 'backend firewalld: the firewall-cmd command is not installed (Debian package firewalld)'
        if not self.check_mode:
            self._fail(problem)
        self.warnings.append(problem + ': check mode reports what would be applied')

    def _read_state(self):
        """dict: zone (parse_zone), chains and rules (direct), all permanent; enabled, runtime_differs, and the
        text of the files we may change (None: missing)."""
        if not self.installed:
            self.zone = self.zone or STOCK_ZONE
            return dict(zone=parse_zone(''), chains=[], rules=[], enabled=False, runtime_differs=False, files={})
        default = self._read_call([self.cmd if self.running else self.offline, '--get-default-zone']).strip()
        self.zone = self.zone or default
        zone = parse_zone(self._read_call(self._config_argv('zone', ['--list-all'])))
        chains = parse_direct_chains(self._read_call(self._config_argv('direct', ['--get-all-chains'])))
        rules = parse_direct_rules(self._read_call(self._config_argv('direct', ['--get-all-rules'])))
        bound = zone['interfaces'] or zone['sources']
        runtime_differs = False
        if self.running:
            live = parse_zone(self._read_call([self.cmd, '--zone', self.zone, '--list-all']))
            live_chains = parse_direct_chains(self._read_call([self.cmd, '--direct', '--get-all-chains']))
            live_rules = parse_direct_rules(self._read_call([self.cmd, '--direct', '--get-all-rules']))
            runtime_differs = (self.status != 'running'
                               or managed(live, live_chains, live_rules) != managed(zone, chains, rules))
            bound = bound or live['interfaces'] or live['sources']
        if self.zone != default and not bound:
            self.warnings.append('zone %s is not firewalld\'s default zone (%s) and has no interfaces or sources: its '
                                 'rules apply to no traffic' % (self.zone, default))
        enabled = self._systemctl('is-enabled', 'firewalld.service')[1].strip() == 'enabled'
        files = dict((path, self._read(path)) for path in (self._zone_path(), self._direct_path()))
        return dict(zone=zone, chains=chains, rules=rules, enabled=enabled, runtime_differs=runtime_differs,
                    files=files)

    def _status(self, enabled):
        return '%s, %s at boot' % (self.status, 'enabled' if enabled else 'not enabled')

    # -------------------------------------------------------- state=present

    def present(self):
        params = self.params
        rules = rules_of(params['allow'])
        policy = params['default_incoming_policy']
        facts = self.guard(rules, policy)
        wanted = wanted_state(rules, policy, params['forward_block_ports'])

        state = self._read_state()
        ops = plan(state['zone'], state['chains'], state['rules'], wanted)
        reload = self.running and (bool(ops) or state['runtime_differs'])
        changed = bool(ops) or reload or not self.running or not state['enabled']
        pending = self._rollback_pending()
        if not changed:
            self._record(wanted)
            return self._result(False, diff=[], rollback_pending=pending, **facts)
        note = 'runtime: differs from the permanent configuration' if state['runtime_differs'] else None
        before = state_text(self._status(state['enabled']), self.zone, state['zone'], state['chains'], state['rules'],
                            note)
        after = state_text('running, enabled at boot', self.zone,
                           *after_plan(state['zone'], state['chains'], state['rules'], ops))
        diff = [diff_of('firewalld', before, after)]
        if self.check_mode:
            return self._result(True, diff=diff, rollback_pending=pending, **facts)

        timeout = params['confirm_timeout'] or 0
        self._remove(self._state(ROLLED_BACK))
        if timeout:
            self._arm(timeout, state)
        elif pending:
            self.warnings.append('a rollback (%s) is still pending from an earlier unconfirmed change: it will put '
                                 'back the rules from before that change unless state=confirmed runs first'
                                 % ROLLBACK_TIMER)

        def steps():
            for scope, args in ops:
                self._call(self._config_argv(scope, args))
            if not state['enabled']:
                self._systemctl_call('enable', 'firewalld.service')
            if reload:
                self._call([self.cmd, '--reload'])
            elif not self.running:
                self._start()

        self._apply(steps, state)
        self._record(wanted)
        return self._result(True, diff=diff, rollback_pending=bool(timeout) or pending,
                            rollback_seconds=timeout or None, **facts)

    def _start(self):
        """Start firewalld on the permanent configuration and wait until it answers."""
        # firewalld installed while services may not start (policy-rc.d) leaves D-Bus without the bus policies of
        # firewalld and polkit: every firewall-cmd call then waits for polkit and fails. Reading them is harmless.
        rc, out, err = self._systemctl('reload', 'dbus.service')
        if rc != 0:
            self.warnings.append('systemctl reload dbus.service failed: %s' % error_line(err or out))
        self._systemctl_call('start', 'firewalld.service')
        status = ''
        deadline = time.time() + START_WAIT
        for _attempt in range(START_WAIT * 2):
            out, err = self._run([self.cmd, '--state'])[1:]
            status = out.strip() or error_line(err)
            if status in ('running', 'failed') or time.time() > deadline:
                break
            self.sleep(0.5)
        if status == 'failed':
            raise _CommandFailed('systemctl start firewalld.service', 'firewalld started in state failed (it could '
                                 'not load its configuration; see journalctl -u firewalld)')
        if status != 'running':
            raise _CommandFailed('systemctl start firewalld.service', 'firewalld does not answer firewall-cmd --state '
                                 'after its start (%s; see journalctl -u firewalld)' % status)

    # -------------------------------------------------------- applying, and putting back on failure

    def _apply(self, steps, state):
        """Run STEPS; when one fails, put firewalld's files back, load them and fail with one line."""
        try:
            steps()
        except _CommandFailed as exc:
            problem = self._put_back(state)
            if self._armed_now:
                self._disarm()
            self._fail('%s failed: %s; %s' % (exc.command, exc.message, problem or 'firewalld is back as it was'),
                       changed=bool(problem))

    def _put_back(self, state):
        """Restore the files, then firewalld's running and enabled state; a problem line or None."""
        try:
            for path, text in state['files'].items():
                if text is None:
                    self._remove(path)
                else:
                    self._write(path, text, _mode(path))
        except OSError as exc:
            return 'putting the previous files back failed too (%s)' % exc
        try:
            if self.running:
                self._call([self.cmd, '--reload'])
            elif self._systemctl('is-active', 'firewalld.service')[1].strip() in ('active', 'activating'):
                self._systemctl_call('stop', 'firewalld.service')
            if not state['enabled']:
                self._systemctl_call('disable', 'firewalld.service')
        except _CommandFailed as exc:
            return 'the previous files are back but loading them failed too (%s: %s)' % (exc.command, exc.message)
        return None

    def _record(self, wanted):
        """Remember the zone ports and rich rules we made: state=absent removes those, and only those."""
        if self.check_mode or not self.installed:
            return
        text = json.dumps(dict(zone=self.zone, ports=wanted['ports'], rich_rules=wanted['rich_rules']),
                          sort_keys=True) + '\n'
        if self._read(self._state(APPLIED)) == text:
            return
        try:
            if not os.path.isdir(self.state_dir):
                os.makedirs(self.state_dir, 0o700)
            self._write(self._state(APPLIED), text, 0o600)
        except OSError as exc:
            self.warnings.append('the rules are applied but recording them for state=absent failed: %s' % exc)

    def _recorded(self):
        try:
            record = json.loads(self._read(self._state(APPLIED)) or '{}')
        except ValueError:
            return {}
        return record if isinstance(record, dict) else {}

    # -------------------------------------------------------- commit-confirm

    def _arm(self, timeout, state):
        """Save firewalld's files and the script that puts them back, then start the timer that runs it."""
        if self._rollback_pending() and os.path.exists(self._state(ROLLBACK_SCRIPT)):
            # An earlier change is still unconfirmed: its saved state stays the one to go back to.
            self.warnings.append('an earlier change was not confirmed yet: the rollback keeps the rules from before it')
        else:
            files = {}
            saved = {}
            for name, path in ((SAVED_ZONE, self._zone_path()), (SAVED_DIRECT, self._direct_path())):
                saved[path] = name if state['files'][path] is not None else None
                if saved[path]:
                    files[name] = state['files'][path]
                else:
                    self._remove(self._state(name))
            script = rollback_script(self.state_dir, self._zone_path(), self._direct_path(), saved, self.running,
                                     state['enabled'], self.cmd, self.which('systemctl') or '/bin/systemctl',
                                     self.which('iptables'))
            self._save_for_rollback(files, script)
            self._armed_now = True
        self._start_timer(timeout)

    # -------------------------------------------------------- state=absent

    def absent(self):
        state = self._read_state()
        zone = state['zone']
        record = self._recorded()
        ops = []
        if record.get('zone') == self.zone:
            # Our zone ports and rich rules are those the last present run recorded: the operator's stay.
            ops += [('zone', ['--remove-rich-rule', rule]) for rule in zone['rich_rules']
                    if rule in record.get('rich_rules', [])]
            ops += [('zone', ['--remove-port', port]) for port in zone['ports'] if port in record.get('ports', [])]
        ops += [op for op in plan(zone, state['chains'], state['rules'], dict(zone, direct=[])) if op[0] == 'direct']
        pending = self._rollback_pending()
        leftovers = [name for name in tuple(self.SAVED) + (ROLLBACK_SCRIPT, ROLLED_BACK, APPLIED)
                     if os.path.exists(self._state(name))]
        changed = bool(ops) or pending or bool(leftovers)
        diff = []
        if ops:
            after = after_plan(zone, state['chains'], state['rules'], ops)
            status = self._status(state['enabled'])
            diff = [diff_of('firewalld', state_text(status, self.zone, zone, state['chains'], state['rules']),
                            state_text(status, self.zone, *after))]
            if self.running and after[0]['target'] != 'ACCEPT':
                self._guard_absent(after[0])
        if not changed or self.check_mode:
            return self._result(changed, diff=diff, rollback_pending=pending)
        self._disarm()

        def steps():
            for scope, args in ops:
                self._call(self._config_argv(scope, args))
            if self.running and ops:
                self._call([self.cmd, '--reload'])

        self._apply(steps, state)
        for name in leftovers:
            self._remove(self._state(name))
        return self._result(True, diff=diff, rollback_pending=False)

    def _guard_absent(self, zone):
        """Refuse (unless force) to remove our rules when what stays in the zone (ports, rich rules, services), with
        firewalld running and a target other than ACCEPT, does not let new connections to the SSH port in."""
        remaining = [port_allowed(item) for item in zone['ports']]
        remaining += [rich_rule_allowed(text) for text in zone['rich_rules']]
        for name in zone['services']:
            rc, out, _err = self._run(self._config_argv('', ['--service', name, '--get-ports']))
            remaining += [port_allowed(item) for item in out.split()] if rc == 0 else []
        ports, source, client = self.ssh_ports()
        problem = ssh_guard_problem([item for item in remaining if item], 'drop', ports, source, client)
        if not problem:
            return
        stay = 'state=absent: firewalld stays running with zone %s, target %s, and what stays in it (not ours) ' % (
            self.zone, zone['target'])
        problem = problem.replace('the rule set does not allow ', stay + 'does not allow ', 1)
        problem = problem.replace('the rule set allows ', stay + 'allows ', 1)
        problem = problem.replace('; add it or set force=true', '; add a port or service for it to the zone, stop '
                                  'firewalld, or set force=true')
        if not self.params['force']:
            self._fail(problem)
        self.warnings.append(problem.split('; add a port', 1)[0] + ': removed anyway (force=true)')


def managed(zone, chains, rules):
    """The part of a configuration that we manage, comparable between permanent and runtime."""
    return (zone['target'], sorted(zone['services']), sorted(zone['ports']), sorted(zone['rich_rules']),
            sorted(chain for chain in chains if chain[2] == CHAIN), sorted(rule for rule in rules if is_ours(rule)))


def _mode(path):
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        return 0o644
