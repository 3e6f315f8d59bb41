# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The host firewall of module host_firewall, nftables backend.

Two parts, from pure to effectful:

- pure logic: parameter checks, the SSH port in use (SSH_CONNECTION, ``sshd -T``), the guard
  that refuses a rule set cutting it, the text of our one nftables table, the boot unit, the
  rollback script of commit-confirm, nft's errors on one line, the diff; unit-tested without nft;
- ``FirewallRun``: one module call. It never flushes the ruleset and never touches another
  table: the rendered file starts with ``table inet T {}`` + ``delete table inet T`` so one
  ``nft -f`` replaces only table T, atomically, after ``nft -c`` accepted it.

Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import os
import posixpath
import re
import shlex

from ansible_collections.docops.onlyoffice.plugins.module_utils._files import write_atomically
from ansible_collections.docops.onlyoffice.plugins.module_utils._validate import Range

STATES = ('present', 'absent', 'confirmed')
BACKENDS = ('auto', 'nftables', 'ufw', 'firewalld')
PROTOCOLS = ('tcp', 'udp')
POLICIES = ('drop', 'accept')
DEFAULT_TABLE = 'docops_firewall'
DEFAULT_PERSIST_PATH = '/etc/nftables.d/docops-firewall.nft'
STATE_DIR = '/var/lib/docops-onlyoffice/firewall'
UNIT_DIR = '/etc/systemd/system'
UNIT = 'docops-firewall.service'
ROLLBACK_UNIT = 'docops-firewall-rollback'
ROLLBACK_TIMER = ROLLBACK_UNIT + '.timer'
PORT = Range(1, 65535)
CONFIRM = Range(10, 3600)

# Names of the files kept in the state directory.
APPLIED_LISTING = 'applied.list'      # `nft list table` right after our last apply: tells a live change apart
PREVIOUS = 'previous.nft'             # commit-confirm: loads the table as it was before the unconfirmed change
PREVIOUS_PERSIST = 'previous-persist.nft'  # commit-confirm: the persisted file before the change (when there was one)
ROLLBACK_SCRIPT = 'rollback.sh'       # commit-confirm: what the timer runs
ROLLED_BACK = 'rolled-back'           # written by the rollback script: a late confirmation must not pass silently

_ZONE_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_/-]{0,16}$')
_TABLE_RE = re.compile(r'^[A-Za-z][A-Za-z0-9_]{0,31}$')
_ICMPV6 = ('destination-unreachable', 'packet-too-big', 'time-exceeded', 'parameter-problem', 'echo-request',
           'nd-router-solicit', 'nd-router-advert', 'nd-neighbor-solicit', 'nd-neighbor-advert',
           'mld-listener-query', 'mld-listener-report', 'mld2-listener-report')
_ICMP = ('destination-unreachable', 'time-exceeded', 'parameter-problem', 'echo-request')


class FirewallFailure(Exception):
    """A failed module call: a one-line message and the result keys to return with it."""

    def __init__(self, msg, **details):
        super(FirewallFailure, self).__init__(msg)
        self.msg = msg
        self.details = details


# ---------------------------------------------------------------- parameters

def parse_source(text):
    """(normalised network or address as nft writes it, None) or (None, problem text without the parameter name)."""
    if isinstance(text, bool) or not isinstance(text, str) or not text.strip():
        return None, 'must be an IPv4 or IPv6 address or network (CIDR), got %r' % (text,)
    try:
        network = ipaddress.ip_network(text.strip(), strict=True)
    except ValueError as exc:
        detail = str(exc)
        if 'has host bits set' in detail:
            return None, 'has host bits set: %r is not a network address (did you mean %s?)' % (
                text, ipaddress.ip_network(text.strip(), strict=False))
        return None, 'must be an IPv4 or IPv6 address or network (CIDR), got %r' % (text,)
    if network.num_addresses == 1:
        return str(network.network_address), None
    return str(network), None


def _port_problem(name, value):
    if isinstance(value, bool) or not isinstance(value, int):
        return '%s must be a port number (an integer), got %r' % (name, value)
    return PORT.problem(name, value)


def parameter_problem(params):
    """One line naming the first invalid module parameter, or None. Runs before anything is read or changed."""
    if params.get('state') not in STATES:
        return 'state must be one of %s, got %r' % (', '.join(STATES), params.get('state'))
    if params.get('backend', 'auto') not in BACKENDS:
        return 'backend must be one of %s, got %r' % (', '.join(BACKENDS), params.get('backend'))
    table = params.get('table')
    if not isinstance(table, str) or not _TABLE_RE.match(table):
        return ('table must be an nftables name of at most 32 letters, digits and "_" starting with a letter, '
                'got %r' % (table,))
    path = params.get('persist_path')
    if (not isinstance(path, str) or not posixpath.isabs(path) or path.endswith('/')
            or any(char in path for char in '\0\n\r\t "\'\\%$;')):
        return ('persist_path must be an absolute file path without spaces, quotes, "%%", "$", ";" or '
                'backslashes, got %r' % (path,))
    zone = params.get('zone')
    if zone is not None and (not isinstance(zone, str) or not _ZONE_RE.match(zone)):
        return 'zone must be a firewalld zone name (letters, digits, "_", "-", "/", at most 17), got %r' % (zone,)
    if params.get('default_incoming_policy', 'drop') not in POLICIES:
        return 'default_incoming_policy must be one of drop, accept, got %r' % (params.get('default_incoming_policy'),)
    for index, rule in enumerate(params.get('allow') or []):
        name = 'allow[%d]' % index
        if not isinstance(rule, dict):
            return '%s must be a dict with port, protocol and sources, got %r' % (name, rule)
        problem = _port_problem(name + '.port', rule.get('port'))
        if problem:
            return problem
        protocol = rule.get('protocol') or 'tcp'
        if protocol not in PROTOCOLS:
            return '%s.protocol must be tcp or udp, got %r' % (name, protocol)
        sources = rule.get('sources') or []
        if not isinstance(sources, list):
            return '%s.sources must be a list of addresses or networks, got %r' % (name, sources)
        for number, source in enumerate(sources):
            problem = parse_source(source)[1]
            if problem:
                return '%s.sources[%d] %s' % (name, number, problem)
    for index, port in enumerate(params.get('forward_block_ports') or []):
        problem = _port_problem('forward_block_ports[%d]' % index, port)
        if problem:
            return problem
    if params.get('ssh_port') is not None:
        problem = _port_problem('ssh_port', params['ssh_port'])
        if problem:
            return problem
    timeout = params.get('confirm_timeout') or 0
    if timeout != 0:
        problem = CONFIRM.problem('confirm_timeout', timeout)
        if problem:
            return problem.replace(' must be ', ' must be 0 (off) or ', 1)
    return None


class Rule:
    """One allow rule, normalised: port, protocol, IPv4 and IPv6 sources (both empty: from anywhere)."""

    def __init__(self, port, protocol='tcp', sources=()):
        self.port = port
        self.protocol = protocol
        self.v4 = []
        self.v6 = []
        for source in sources:
            text = parse_source(source)[0]
            family = self.v6 if ':' in text else self.v4
            if text not in family:
                family.append(text)

    @property
    def anywhere(self):
        return not self.v4 and not self.v6

    def covers(self, port, client=None):
        """Whether this rule lets a new TCP connection to PORT in (from CLIENT, when known)."""
        if self.protocol != 'tcp' or self.port != port:
            return False
        if self.anywhere or client is None:
            return True
        address = ipaddress.ip_address(client)
        return any(address in ipaddress.ip_network(source) for source in self.v4 + self.v6)

    def lines(self):
        match = '%s dport %d accept' % (self.protocol, self.port)
        if self.anywhere:
            return [match]
        found = []
        for keyword, sources in (('ip', self.v4), ('ip6', self.v6)):
            if sources:
                shown = sources[0] if len(sources) == 1 else '{ %s }' % ', '.join(sources)
                found.append('%s saddr %s %s' % (keyword, shown, match))
        return found


def rules_of(allow):
    return [Rule(item['port'], item.get('protocol') or 'tcp', item.get('sources') or []) for item in allow or []]


# ---------------------------------------------------------------- the SSH port in use

def parse_ssh_connection(value):
    """(server port, client address) from SSH_CONNECTION ("client_ip client_port server_ip server_port"), or None."""
    fields = (value or '').split()
    if len(fields) != 4 or not fields[3].isdigit() or not 1 <= int(fields[3]) <= 65535:
        return None
    try:
        client = ipaddress.ip_address(fields[0].split('%', 1)[0])
    except ValueError:
        return int(fields[3]), None
    if client.version == 6 and client.ipv4_mapped:
        client = client.ipv4_mapped
    return int(fields[3]), str(client)


def parse_environ(data):
    """The environment of a process from the bytes of /proc/PID/environ, as a dict of str."""
    found = {}
    for item in (data or b'').split(b'\0'):
        key, sep, value = item.partition(b'=')
        if sep:
            found[key.decode('utf-8', 'replace')] = value.decode('utf-8', 'replace')
    return found


def sshd_ports(output):
    """The ports of the ``port`` lines of ``sshd -T``, in order, without duplicates."""
    found = []
    for line in (output or '').splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[0].lower() == 'port' and fields[1].isdigit() and int(fields[1]) not in found:
            found.append(int(fields[1]))
    return found


def ssh_guard_problem(rules, policy, ports, source, client=None):
    """One line when the rule set would refuse new SSH connections on PORTS (read from SOURCE), else None."""
    if policy == 'accept':
        return None
    for port in ports:
        if not any(rule.covers(port) for rule in rules):
            return ('the rule set does not allow the SSH port %d that this connection uses (read from %s); add it '
                    'or set force=true' % (port, source))
        if client is not None and not any(rule.covers(port, client) for rule in rules):
            allowed = sorted(set(s for rule in rules if rule.covers(port) for s in rule.v4 + rule.v6))
            return ('the rule set allows the SSH port %d only from %s, not from %s, the address of this connection '
                    '(read from %s); add it or set force=true' % (port, ', '.join(allowed), client, source))
    return None


# ---------------------------------------------------------------- texts

def table_header(table):
    """The two lines that make `nft -f` replace table inet TABLE (created empty first, so the delete never fails)."""
    return 'table inet %s {}\ndelete table inet %s\n' % (table, table)


def render(table, rules, policy='drop', forward_block_ports=()):
    """The whole nft file for our table, deterministic; `nft -f` on it replaces only table inet TABLE."""
    lines = [
        '# Managed by docops.onlyoffice.host_firewall: table inet %s only; edits here are overwritten.' % table,
        '# The next two lines replace the table in one transaction; no other table is touched.',
        table_header(table).rstrip('\n'),
        'table inet %s {' % table,
        '\tchain input {',
        '\t\ttype filter hook input priority 0; policy %s;' % policy,
        '\t\tiif "lo" accept',
        '\t\tct state established,related accept',
        '\t\ticmpv6 type { %s } accept' % ', '.join(_ICMPV6),
        '\t\ticmp type { %s } accept' % ', '.join(_ICMP),
        '\t\tct state invalid drop',
    ]
    seen = set()
    for rule in rules:
        for line in rule.lines():
            if line not in seen:
                seen.add(line)
                lines.append('\t\t' + line)
    lines.append('\t}')
    ports = sorted(set(forward_block_ports or ()))
    if ports:
        lines += ['', '\tchain forward {', '\t\ttype filter hook forward priority -1; policy accept;']
        for port in ports:
            for protocol in PROTOCOLS:
                lines.append('\t\tiifname != "lo" ct status dnat meta l4proto %s ct original proto-dst %d drop'
                             % (protocol, port))
        lines.append('\t}')
    lines.append('}')
    return '\n'.join(lines) + '\n'


def unit_text(nft, persist_path):
    """Our boot unit: loads the persisted table before the network and Docker come up (after Debian's
    nftables.service, whose /etc/nftables.conf flushes the ruleset)."""
    return '\n'.join([
        '# Managed by docops.onlyoffice.host_firewall.',
        '[Unit]',
        'Description=docops.onlyoffice host firewall (nftables, own table only)',
        'DefaultDependencies=no',
        'Wants=network-pre.target',
        'Before=network-pre.target docker.service shutdown.target',
        'After=nftables.service',
        'Conflicts=shutdown.target',
        'ConditionPathExists=%s' % persist_path,
        '',
        '[Service]',
        'Type=oneshot',
        'RemainAfterExit=yes',
        'ExecStart=%s -f %s' % (nft, persist_path),
        '',
        '[Install]',
        'WantedBy=sysinit.target',
        '',
    ])


def rollback_script(nft, state_dir, persist_path, had_persist, table=DEFAULT_TABLE, was_ours=False):
    """What the commit-confirm timer runs: the table and the persisted file as they were before the change."""
    q = shlex.quote
    previous = q(posixpath.join(state_dir, PREVIOUS))
    temporary = q(persist_path + '.docops-rollback.tmp')
    if had_persist:
        restore = 'cp %s %s && mv -f %s %s' % (q(posixpath.join(state_dir, PREVIOUS_PERSIST)), temporary, temporary,
                                               q(persist_path))
    else:
        restore = 'rm -f %s' % q(persist_path)
    applied = q(posixpath.join(state_dir, APPLIED_LISTING))
    if was_ours:
        # The table is back as the module's earlier run left it: the next run with those rules changes nothing.
        listing = 'if %s list table inet %s > %s.tmp; then mv -f %s.tmp %s; else rm -f %s.tmp %s; fi' % (
            q(nft), table, applied, applied, applied, applied, applied)
    else:
        listing = 'rm -f %s' % applied
    return '\n'.join([
        '#!/bin/sh',
        '# docops.onlyoffice.host_firewall: no confirmation came; put the firewall back as it was before the change.',
        'set -e',
        '%s -f %s' % (q(nft), previous),
        restore,
        listing,
        'date -u +%%Y-%%m-%%dT%%H:%%M:%%SZ > %s' % q(posixpath.join(state_dir, ROLLED_BACK)),
        'rm -f %s %s %s' % (previous, q(posixpath.join(state_dir, PREVIOUS_PERSIST)),
                            q(posixpath.join(state_dir, ROLLBACK_SCRIPT))),
        '',
    ])


def error_line(output):
    """nft's error messages as one line (the lines with "Error:", else the first non-empty line)."""
    lines = [line.strip() for line in (output or '').splitlines() if line.strip()]
    errors = [line for line in lines if 'Error:' in line]
    return '; '.join(errors or lines[:1]) or 'nft printed nothing'


def is_missing_table(output):
    return 'No such file or directory' in (output or '')


def diff_of(path, before, after):
    return {'before_header': path, 'after_header': path, 'before': before, 'after': after}


# ---------------------------------------------------------------- choosing the backend

def choose_backend(requested, found):
    """(backend, None) or (None, one-line problem), from what FOUND says is installed and active on the host.

    FOUND: dict of bools nft, ufw, ufw_active, firewalld, firewalld_active. A firewall that is active owns the
    host: auto takes it, and a different explicit choice is refused (two firewalls deciding confuses everybody).
    """
    active = [name for name in ('firewalld', 'ufw') if found.get(name + '_active')]
    if len(active) > 1:
        return None, ('backend %s: both firewalld and ufw are active on this host; stop and disable one of them first'
                      % requested)
    if active and active[0] not in BACKENDS:
        return None, ('backend %s: %s is active on this host and owns its firewall, and host_firewall does not drive '
                      '%s (only %s); manage it yourself, or stop and disable %s first'
                      % (requested, active[0], active[0], ', '.join(BACKENDS[1:]), active[0]))
    if requested == 'auto':
        if active:
            return active[0], None
        # Nothing active: our own nftables table, whose command the firewall role installs when missing.
        if found.get('nft') or not found.get('ufw'):
            return 'nftables', None
        return 'ufw', None
    if active and active[0] != requested:
        return None, ('backend %s: %s is active on this host and owns its firewall; set backend=%s (or auto), or '
                      'stop and disable %s first' % (requested, active[0], active[0], active[0]))
    return requested, None


# ---------------------------------------------------------------- one module call

class HostRun:
    """What every backend shares in one module call: the SSH guard, commit-confirm's timer, files, commands.

    run_command(argv, data=None) -> (rc, stdout, stderr); which(name) -> path or None. In check mode nothing is
    written or applied. Failures raise FirewallFailure with a one-line message. A backend defines prepare(),
    present(), absent(), the names of the files its commit-confirm saves (SAVED) and _result_extra().
    """

    BACKEND = None
    SAVED = ()

    def __init__(self, params, run_command, which, check_mode=False, environ=None, state_dir=STATE_DIR,
                 unit_dir=UNIT_DIR, proc_dir='/proc'):
        self.params = params
        self.run_command = run_command
        self.which = which
        self.check_mode = check_mode
        self.environ = os.environ if environ is None else environ
        self.state_dir = state_dir
        self.unit_dir = unit_dir
        self.proc_dir = proc_dir
        self.warnings = []
        self.installed = True  # prepare() says whether the backend's command is there

    # -------------------------------------------------------- helpers

    def _fail(self, msg, changed=False, **details):
        details.update(self._result_extra())
        raise FirewallFailure(msg, changed=changed, backend=self.BACKEND, **details)

    def _result_extra(self):
        return {}

    def _state(self, name):
        return posixpath.join(self.state_dir, name)

    def _run(self, argv, data=None):
        rc, out, err = self.run_command(argv, data=data)
        return rc, out or '', err or ''

    @staticmethod
    def _read(path):
        try:
            with open(path, encoding='utf-8', errors='replace') as handle:
                return handle.read()
        except FileNotFoundError:
            return None

    def _write(self, path, text, mode=0o644):
        directory = posixpath.dirname(path)
        if not os.path.isdir(directory):
            os.makedirs(directory, 0o755)
        write_atomically(path, text.encode('utf-8'), mode)

    def _remove(self, path):
        if os.path.lexists(path):
            os.unlink(path)
            return True
        return False

    def _systemctl(self, *args):
        systemctl = self.which('systemctl')
        if not systemctl:
            self._fail('systemctl is not installed: host_firewall needs systemd to load the rules at boot')
        return self._run([systemctl] + list(args))

    # -------------------------------------------------------- the SSH guard

    def _ancestor_environs(self):
        pid = os.getpid()
        for _level in range(12):
            try:
                with open(posixpath.join(self.proc_dir, str(pid), 'status')) as handle:
                    status = handle.read()
                pid = int(re.search(r'^PPid:\s*(\d+)', status, re.M).group(1))
            except (OSError, AttributeError, ValueError):
                return
            if pid <= 1:
                return
            try:
                with open(posixpath.join(self.proc_dir, str(pid), 'environ'), 'rb') as handle:
                    yield parse_environ(handle.read())
            except OSError:
                continue

    def ssh_ports(self):
        """(ports, source, client address or None): the SSH port(s) the guard protects, and where they were read."""
        connection = parse_ssh_connection(self.environ.get('SSH_CONNECTION'))
        if connection is None:
            # become (sudo) drops SSH_CONNECTION: the login shell and sudo above us still have it.
            for environ in self._ancestor_environs():
                connection = parse_ssh_connection(environ.get('SSH_CONNECTION'))
                if connection:
                    break
        if self.params.get('ssh_port') is not None:
            port = self.params['ssh_port']
            client = connection[1] if connection and connection[0] == port else None
            return [port], 'ssh_port', client
        if connection:
            return [connection[0]], 'SSH_CONNECTION', connection[1]
        sshd = self.which('sshd')
        if not sshd:
            return [], None, None
        rc, out, err = self._run([sshd, '-T'])
        ports = sshd_ports(out)
        if rc != 0 or not ports:
            self._fail('cannot tell which port sshd listens on: sshd -T failed: %s; set ssh_port'
                       % (error_line(err or out)))
        return ports, 'sshd -T', None

    def guard(self, rules, policy):
        """Refuse (unless force) a rule set that cuts the SSH port in use; returns the facts to report."""
        ports, source, client = self.ssh_ports()
        if not ports and policy == 'drop':
            self.warnings.append('no SSH connection and no sshd found: the SSH guard has no port to protect')
        problem = ssh_guard_problem(rules, policy, ports, source, client)
        facts = dict(ssh_port=ports[0] if ports else None, ssh_port_source=source)
        if problem:
            if not self.params['force']:
                self._fail(problem, **facts)
            self.warnings.append(problem.split('; add it', 1)[0] + ': applied anyway (force=true)')
        return facts

    # -------------------------------------------------------- commit-confirm: the timer and the confirmation

    def _rollback_pending(self):
        systemctl = self.which('systemctl')
        if not systemctl:
            return False
        return self._run([systemctl, 'is-active', ROLLBACK_TIMER])[1].strip() in ('active', 'activating')

    def _save_for_rollback(self, files, script):
        """Write FILES ({state file name: text}) and the rollback SCRIPT into the state directory."""
        try:
            if not os.path.isdir(self.state_dir):
                os.makedirs(self.state_dir, 0o700)
            for name, text in files.items():
                self._write(self._state(name), text, 0o600)
            self._write(self._state(ROLLBACK_SCRIPT), script, 0o700)
        except OSError as exc:
            self._fail('confirm_timeout: saving the current rules failed: %s; nothing was applied' % exc)

    def _start_timer(self, timeout):
        """Start the transient timer that runs the saved rollback script after TIMEOUT seconds."""
        self._stop_timer()
        systemd_run = self.which('systemd-run')
        if not systemd_run:
            self._fail('confirm_timeout needs systemd-run, which is not installed; nothing was applied')
        rc, out, err = self._run([systemd_run, '--unit', ROLLBACK_UNIT, '--on-active=%d' % timeout,
                                  '--timer-property=AccuracySec=1s', '--description',
                                  'docops.onlyoffice host_firewall rollback of an unconfirmed change',
                                  '/bin/sh', self._state(ROLLBACK_SCRIPT)])
        if rc != 0:
            self._fail('confirm_timeout: systemd-run failed: %s; nothing was applied'
                       % (err or out).strip().replace('\n', '; '))

    def _stop_timer(self):
        systemctl = self.which('systemctl')
        if systemctl:
            self._run([systemctl, 'stop', ROLLBACK_TIMER])
            self._run([systemctl, 'reset-failed', ROLLBACK_UNIT + '.service', ROLLBACK_TIMER])

    def _disarm(self):
        self._stop_timer()
        for name in tuple(self.SAVED) + (ROLLBACK_SCRIPT,):
            self._remove(self._state(name))

    def _rollback_running(self):
        systemctl = self.which('systemctl')
        if not systemctl:
            return False
        state = self._run([systemctl, 'is-active', ROLLBACK_UNIT + '.service'])[1].strip()
        return state in ('active', 'activating')

    def _confirm(self):
        if self._rollback_running():
            self._fail('too late: the rollback of the unconfirmed change is running now; wait for it to finish, '
                       'then apply the change again')
        pending = self._rollback_pending()
        saved = [name for name in tuple(self.SAVED) + (ROLLBACK_SCRIPT,) if os.path.exists(self._state(name))]
        rolled_back = self._read(self._state(ROLLED_BACK))
        if not pending and not saved:
            if rolled_back:
                self._fail('too late: the change was already rolled back at %s because no confirmation came in '
                           'time; apply it again' % rolled_back.strip())
            return self._result(False, rollback_pending=False)
        if not pending:
            self.warnings.append('no rollback timer is running (a reboot ends it), only its saved files: removed')
        if not self.check_mode:
            self._disarm()
        return self._result(True, rollback_pending=False)

    def _result(self, changed, **extra):
        result = dict(changed=changed, backend=self.BACKEND, installed=self.installed, rollback_unit=ROLLBACK_TIMER,
                      warnings=self.warnings)
        result.update(self._result_extra())
        result.update(extra)
        return result

    # -------------------------------------------------------- the call

    def run(self):
        self.prepare()
        state = self.params['state']
        if state == 'confirmed':
            return self._confirm()
        if state == 'absent':
            return self.absent()
        return self.present()

    def prepare(self):
        """Find the backend's commands (fail when missing; in check mode, warn)."""

    def present(self):
        raise NotImplementedError

    def absent(self):
        raise NotImplementedError


class NftablesRun(HostRun):
    """One module call on the nftables backend: our own table inet T, nothing else."""

    BACKEND = 'nftables'
    SAVED = (PREVIOUS, PREVIOUS_PERSIST)

    def __init__(self, params, *args, **kwargs):
        super(NftablesRun, self).__init__(params, *args, **kwargs)
        self.table = params['table']
        self.persist_path = params['persist_path']
        self.nft = None

    def _result_extra(self):
        return dict(table=self.table, persist_path=self.persist_path, unit=UNIT)

    def _unit_path(self):
        return posixpath.join(self.unit_dir, UNIT)

    # -------------------------------------------------------- reading

    def prepare(self):
        self.nft = self.which('nft')
        self.installed = bool(self.nft)
        if self.nft:
            return
        problem = 'backend nftables: the nft command is not installed (Debian package nftables)'
        if not self.check_mode:
            self._fail(problem)
        self.warnings.append(problem + ': check mode reports what would be applied without checking it')

    def live_listing(self):
        """`nft list table inet TABLE`, or None when the table does not exist (or nft is missing)."""
        if not self.nft:
            return None
        rc, out, err = self._run([self.nft, 'list', 'table', 'inet', self.table])
        if rc == 0:
            return out
        if is_missing_table(err):
            return None
        self._fail('nft list table inet %s failed: %s' % (self.table, error_line(err or out)))

    def _unit_current(self, text):
        if self._read(self._unit_path()) != text:
            return False
        return self._systemctl('is-enabled', UNIT)[1].strip() == 'enabled'

    # -------------------------------------------------------- state=present

    def present(self):
        params = self.params
        rules = rules_of(params['allow'])
        policy = params['default_incoming_policy']
        facts = self.guard(rules, policy)
        text = render(self.table, rules, policy, params['forward_block_ports'])

        live = self.live_listing()
        persisted = self._read(self.persist_path)
        applied = self._read(self._state(APPLIED_LISTING))
        live_is_ours = live is not None and live == applied
        unit = unit_text(self.nft or '/usr/sbin/nft', self.persist_path)
        pending = self._rollback_pending()
        rules_current = persisted == text and live_is_ours
        unit_current = bool(self.which('systemctl')) and self._unit_current(unit)
        before = persisted if live_is_ours else (live or '')
        diff = [diff_of('table inet %s' % self.table, before, text)] if not rules_current else []
        if not live_is_ours and persisted is not None and live is not None:
            self.warnings.append('table inet %s was changed outside this module since its last run: it is replaced'
                                 % self.table)
        if rules_current and unit_current:
            return self._result(False, diff=[], rollback_pending=pending, **facts)
        if self.check_mode:
            if self.nft:
                self._check(text)
            return self._result(True, diff=diff, rollback_pending=pending, **facts)

        self._check(text)
        timeout = params['confirm_timeout'] or 0
        self._remove(self._state(ROLLED_BACK))
        if not rules_current:
            if timeout:
                self._arm(timeout, live, live_is_ours, persisted)
            elif pending:
                self.warnings.append('a rollback (%s) is still pending from an earlier unconfirmed change: it will '
                                     'put back the rules from before that change unless state=confirmed runs first'
                                     % ROLLBACK_TIMER)
            self._apply(text, timeout)
        try:
            self._write(self.persist_path, text)
            if not unit_current:
                self._write(self._unit_path(), unit)
                self._systemctl('daemon-reload')
                rc, out, err = self._systemctl('enable', UNIT)
                if rc != 0:
                    raise OSError('systemctl enable %s failed: %s' % (UNIT, (err or out).strip().replace('\n', '; ')))
            listing = self.live_listing()
            self._write(self._state(APPLIED_LISTING), listing or '', 0o600)
        except OSError as exc:
            self._fail('the rules are applied but saving them for the next boot failed: %s' % exc, changed=True,
                       **facts)
        return self._result(True, diff=diff, rollback_pending=bool(timeout) or pending,
                            rollback_seconds=timeout or None, **facts)

    def _check(self, text):
        rc, out, err = self._run([self.nft, '-c', '-f', '/dev/stdin'], data=text)
        if rc != 0:
            self._fail('nft -c rejected the rule set, nothing was applied: %s' % error_line(err or out),
                       nft_output=(err or out).strip())

    def _apply(self, text, armed):
        rc, out, err = self._run([self.nft, '-f', '/dev/stdin'], data=text)
        if rc != 0:
            if armed:
                self._disarm()
            self._fail('nft -f failed, table inet %s is unchanged: %s' % (self.table, error_line(err or out)),
                       nft_output=(err or out).strip())

    # -------------------------------------------------------- commit-confirm

    def _arm(self, timeout, live, live_is_ours, persisted):
        """Save how to put table and persisted file back, then start the timer that does it after TIMEOUT s."""
        previous_path = self._state(PREVIOUS)
        if self._rollback_pending() and os.path.exists(previous_path):
            # An earlier change is still unconfirmed: its saved state stays the one to go back to.
            self.warnings.append('an earlier change was not confirmed yet: the rollback keeps the rules from before it')
        else:
            if live is None:
                previous = table_header(self.table)
            elif live_is_ours and persisted is not None:
                previous = persisted
            else:
                previous = table_header(self.table) + live
            rc, out, err = self._run([self.nft, '-c', '-f', '/dev/stdin'], data=previous)
            if rc != 0:
                self._fail('confirm_timeout: the current table inet %s cannot be saved in a form nft loads again (%s); '
                           'nothing was applied' % (self.table, error_line(err or out)))
            files = {PREVIOUS: previous}
            if persisted is not None:
                files[PREVIOUS_PERSIST] = persisted
            else:
                self._remove(self._state(PREVIOUS_PERSIST))
            self._save_for_rollback(files, rollback_script(self.nft, self.state_dir, self.persist_path,
                                                           persisted is not None, self.table,
                                                           live_is_ours and persisted is not None))
        self._start_timer(timeout)

    # -------------------------------------------------------- state=absent

    def absent(self):
        live = self.live_listing()
        persisted = self._read(self.persist_path)
        unit_exists = os.path.exists(self._unit_path())
        pending = self._rollback_pending()
        leftovers = [name for name in (APPLIED_LISTING, PREVIOUS, PREVIOUS_PERSIST, ROLLBACK_SCRIPT, ROLLED_BACK)
                     if os.path.exists(self._state(name))]
        changed = live is not None or persisted is not None or unit_exists or pending or bool(leftovers)
        diff = [diff_of('table inet %s' % self.table, persisted or live or '', '')] if (live or persisted) else []
        if not changed or self.check_mode:
            return self._result(changed, diff=diff, rollback_pending=pending)
        self._disarm()
        if live is not None:
            rc, out, err = self._run([self.nft, 'delete', 'table', 'inet', self.table])
            if rc != 0 and not is_missing_table(err):
                self._fail('nft delete table inet %s failed: %s' % (self.table, error_line(err or out)))
        try:
            if unit_exists:
                self._systemctl('disable', UNIT)
                self._remove(self._unit_path())
                self._systemctl('daemon-reload')
            self._remove(self.persist_path)
            for name in leftovers:
                self._remove(self._state(name))
        except OSError as exc:
            self._fail('table inet %s is deleted but removing its files failed: %s' % (self.table, exc), changed=True)
        return self._result(True, diff=diff, rollback_pending=False)
