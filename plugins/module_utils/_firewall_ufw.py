# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The ufw backend of module host_firewall.

Two parts, from pure to effectful:

- pure logic, unit-tested without ufw: our rules in ufw's own words (the lines ``ufw show added`` prints,
  marked with the comment ``docops.onlyoffice``), what to add and delete, the marked block of after.rules that
  drops what Docker forwards for forward_block_ports, the rollback script of commit-confirm, ufw's errors on one
  line, the diff;
- ``UfwRun``: one module call, through the ufw command. Rules without our comment are the operator's: never
  deleted, and never added again with our comment (ufw would then put our comment on the operator's rule).

Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import ipaddress
import os
import posixpath
import re
import shlex

from ansible_collections.docops.onlyoffice.plugins.module_utils._firewall import (
    PROTOCOLS,
    ROLLBACK_SCRIPT,
    ROLLBACK_TIMER,
    ROLLED_BACK,
    HostRun,
    diff_of,
    parse_source,
    rules_of,
    ssh_guard_problem,
)

COMMENT = 'docops.onlyoffice'
BEGIN = '# BEGIN docops.onlyoffice host_firewall'
END = '# END docops.onlyoffice host_firewall'
POLICY_WORDS = {'drop': 'deny', 'accept': 'allow'}            # default_incoming_policy -> `ufw default X incoming`
_POLICY_VALUES = {'DROP': 'deny', 'ACCEPT': 'allow', 'REJECT': 'reject'}  # DEFAULT_INPUT_POLICY of /etc/default/ufw

# The files ufw keeps its state in (relative to /etc), and the names of their copies in the state directory.
USER_RULES = 'ufw/user.rules'
USER6_RULES = 'ufw/user6.rules'
AFTER_RULES = 'ufw/after.rules'
AFTER6_RULES = 'ufw/after6.rules'
UFW_CONF = 'ufw/ufw.conf'
DEFAULTS = 'default/ufw'
FILES = (
    ('ufw-user.rules', USER_RULES),
    ('ufw-user6.rules', USER6_RULES),
    ('ufw-after.rules', AFTER_RULES),
    ('ufw-after6.rules', AFTER6_RULES),
    ('ufw-ufw.conf', UFW_CONF),
    ('ufw-default', DEFAULTS),
)
AFTERS = ((AFTER_RULES, 'iptables'), (AFTER6_RULES, 'ip6tables'))

# `ufw allow 22/tcp comment 'x'` or `ufw allow from 10.0.0.0/8 to any port 22 proto tcp comment 'x'`
_ADDED_RE = re.compile(r"^ufw allow (?:(?P<port>\d+)/(?P<proto>tcp|udp)"
                       r"|from (?P<source>\S+) to any port (?P<sport>\d+) proto (?P<sproto>tcp|udp))"
                       r"(?: comment '(?P<comment>[^']*)')?$")
# An operator's rule that lets TCP in (for the SSH guard of state=absent): `ufw allow 22/tcp`, `ufw limit 2022/tcp`,
# `ufw allow OpenSSH`, `ufw allow from 10.0.0.0/8 to any app OpenSSH`, `ufw allow in on eth0 to any port 22 proto tcp`
_ALLOW_RE = re.compile(r"^ufw (?:allow|limit)(?: in)?(?: on \S+)?(?: log(?:-all)?)?"
                       r"(?: from (?P<source>\S+)(?P<sport> port \S+)?)?(?: to \S+)?"
                       r"(?: port (?P<ports>[\d,:]+)| app (?P<app>'[^']*'|\S+)"
                       r"| (?P<short>[\d,:]+)(?:/(?P<sproto>tcp|udp))?| (?P<name>'[^']*'|[A-Za-z]\S*))?"
                       r"(?: proto (?P<proto>\w+))?(?: comment '[^']*')?$")
_ENABLED_RE = re.compile(r'^\s*ENABLED\s*=\s*["\']?yes["\']?\s*$', re.I | re.M)
_POLICY_RE = re.compile(r'^\s*DEFAULT_INPUT_POLICY\s*=\s*["\']?([A-Za-z]+)["\']?\s*$', re.M)
_NOISE = ('sysctl: ', 'Try `', 'Added user rules')


# ---------------------------------------------------------------- our rules in ufw's words

def wanted_keys(rules):
    """(port, protocol, source or None) for each allow rule and source, in order, without duplicates."""
    found = []
    for rule in rules:
        for source in (rule.v4 + rule.v6) or [None]:
            key = (rule.port, rule.protocol, source)
            if key not in found:
                found.append(key)
    return found


def rule_line(key):
    """The line `ufw show added` prints for our rule KEY (the command that adds it, with our comment)."""
    port, protocol, source = key
    if source is None:
        return "ufw allow %d/%s comment '%s'" % (port, protocol, COMMENT)
    return "ufw allow from %s to any port %d proto %s comment '%s'" % (source, port, protocol, COMMENT)


def key_of(line):
    """(key, comment) of a line of `ufw show added`; key None for a rule we never write (the operator's)."""
    match = _ADDED_RE.match(line.strip())
    if not match:
        return None, None
    if match.group('port'):
        return (int(match.group('port')), match.group('proto'), None), match.group('comment')
    source = parse_source(match.group('source'))[0]
    if source is None:
        return None, match.group('comment')
    return (int(match.group('sport')), match.group('sproto'), source), match.group('comment')


def parse_added(output):
    """The rules of `ufw show added`: a list of (line, key or None, ours)."""
    found = []
    for line in (output or '').splitlines():
        line = line.strip()
        if not line.startswith('ufw '):
            continue
        key, comment = key_of(line)
        found.append((line, key, comment == COMMENT))
    return found


def plan_rules(added, wanted):
    """(keys to add, our lines to delete, our lines now) from the parsed rules ADDED and the WANTED keys.

    A wanted rule that the operator already has (same rule, another comment or none) is not added: ufw would put
    our comment on it, and it would be deleted with ours later.
    """
    ours = [line for line, _key, mine in added if mine]
    have = set(key for _line, key, _mine in added if key is not None)
    add = [key for key in wanted if key not in have]
    delete = [line for line, key, mine in added if mine and key not in wanted]
    return add, delete, ours


def parse_allow(line):
    """What an operator's rule lets in over TCP, for the SSH guard of state=absent, or None (another action, UDP,
    a source port, or a form not understood): dict(ports=spec or None (all ports), app=profile name or None,
    source=network or None (anywhere))."""
    match = _ALLOW_RE.match(line.strip())
    if not match or match.group('sport') or 'udp' in (match.group('proto'), match.group('sproto')):
        return None
    source = match.group('source')
    if source in (None, 'any'):
        source = None
    else:
        source = parse_source(source)[0]
        if source is None:
            return None
    app = match.group('app') or match.group('name')
    return dict(ports=match.group('ports') or match.group('short'), app=app.strip("'") if app else None,
                source=source)


def port_ranges(spec):
    """[(low, high)] of a ufw port spec: '22', '80,443', '6000:6007'."""
    found = []
    for part in spec.split(','):
        low, _sep, high = part.partition(':')
        if low.isdigit() and (high or low).isdigit():
            found.append((int(low), int(high or low)))
    return found


def app_ports(output):
    """The TCP port specs of `ufw app info NAME` (the lines under Port: or Ports:)."""
    found = []
    ports = False
    for line in (output or '').splitlines():
        if line.strip() in ('Port:', 'Ports:'):
            ports = True
        elif ports and line[:1].isspace() and line.strip():
            spec, _sep, protocol = line.strip().partition('/')
            if protocol in ('', 'tcp'):
                found.append(spec)
        else:
            ports = False
    return found


class Allowed:
    """An operator's rule as the SSH guard sees it (like Rule: covers() and the sources v4, v6)."""

    def __init__(self, ranges, source=None):
        self.ranges = ranges  # None: all ports
        self.v4 = [source] if source and ':' not in source else []
        self.v6 = [source] if source and ':' in source else []

    def covers(self, port, client=None):
        if self.ranges is not None and not any(low <= port <= high for low, high in self.ranges):
            return False
        if not (self.v4 or self.v6) or client is None:
            return True
        return ipaddress.ip_address(client) in ipaddress.ip_network((self.v4 + self.v6)[0])


def argv_of(line):
    """The arguments of ufw for the rule LINE (without the leading `ufw`)."""
    return shlex.split(line)[1:]


# ---------------------------------------------------------------- /etc/default/ufw and /etc/ufw/ufw.conf

def policy_of(defaults):
    """deny, allow or reject: ufw's default incoming policy in the text of /etc/default/ufw, or None."""
    match = _POLICY_RE.search(defaults or '')
    return _POLICY_VALUES.get(match.group(1).upper()) if match else None


def is_enabled(conf):
    """Whether the text of /etc/ufw/ufw.conf says ENABLED=yes (ufw is loaded at boot)."""
    return bool(_ENABLED_RE.search(conf or ''))


# ---------------------------------------------------------------- the block of after.rules and after6.rules

def render_block(ports):
    """Our marked block for after.rules / after6.rules: drops in Docker's DOCKER-USER what was DNATed from PORTS.

    Docker's FORWARD chain jumps to DOCKER-USER before its own accept rules; a packet there is already rewritten
    to the container's port, so the match is on the port the client asked for (conntrack). Declaring the chain
    makes ufw's iptables-restore -n flush it and put these rules in again at each start and reload. No ports: ''.
    """
    ports = sorted(set(ports or ()))
    if not ports:
        return ''
    lines = [BEGIN, '# Managed by docops.onlyoffice.host_firewall: edits here are overwritten.', '*filter',
             ':DOCKER-USER - [0:0]']
    for port in ports:
        for protocol in PROTOCOLS:
            lines.append('-A DOCKER-USER ! -i lo -p %s -m conntrack --ctstate DNAT --ctorigdstport %d -j DROP'
                         % (protocol, port))
    lines += ['COMMIT', END]
    return '\n'.join(lines) + '\n'


def split_block(text):
    """(TEXT without our block, our block or '')."""
    lines = (text or '').splitlines(True)
    starts = [index for index, line in enumerate(lines) if line.rstrip('\n') == BEGIN]
    if not starts:
        return text or '', ''
    start = starts[0]
    ends = [index for index, line in enumerate(lines) if index > start and line.rstrip('\n') == END]
    end = ends[0] if ends else len(lines) - 1
    block = ''.join(lines[start:end + 1])
    if not block.endswith('\n'):
        block += '\n'
    return ''.join(lines[:start] + lines[end + 1:]), block


def with_block(text, block):
    """TEXT (without our block) with BLOCK appended, after a newline."""
    if not block:
        return text
    if text and not text.endswith('\n'):
        text += '\n'
    return text + block


def block_deletions(block):
    """The arguments of `iptables -D` that take the rules of BLOCK out of the live DOCKER-USER chain."""
    found = []
    for line in (block or '').splitlines():
        if line.startswith('-A DOCKER-USER '):
            found.append(['-D'] + line.split()[1:])
    return found


# ---------------------------------------------------------------- messages, diff, rollback

def error_line(output):
    """ufw's message as one line (without the sysctl noise a container adds and iptables-restore's hint)."""
    lines = [line.strip() for line in (output or '').splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(_NOISE)]
    return '; '.join(lines) or 'ufw printed nothing'


def state_text(lines, blocks, status=None, policy=None):
    """The state we manage, in ufw's words: status, default policy, our `ufw show added` lines, our blocks."""
    found = []
    if status:
        found.append('Status: %s' % status)
    if policy:
        found.append('ufw default %s incoming' % policy)
    found += list(lines)
    for path, block in blocks:
        if block:
            found.append('# %s' % path)
            found += block.splitlines()
    return '\n'.join(found) + '\n' if found else ''


def rollback_script(ufw, iptables, state_dir, etc_dir, saved):
    """What the commit-confirm timer runs: ufw's files as they were before the change, loaded again.

    IPTABLES: {after file (relative to /etc): iptables command or None}. SAVED: {relative path: whether a copy was
    saved (else the file did not exist)}. The rules of our current block are first deleted from DOCKER-USER: ufw
    reload and ufw disable leave that chain alone when the restored after.rules does not declare it.
    """
    q = shlex.quote
    lines = [
        '#!/bin/sh',
        '# docops.onlyoffice.host_firewall (ufw): no confirmation came; put ufw back as it was before the change.',
        'set -e -f',
        'export LC_ALL=C',
    ]
    for after, _family in AFTERS:
        command = iptables.get(after)
        if command:
            lines.append("sed -n '/^%s$/,/^%s$/s/^-A DOCKER-USER //p' %s | while read -r rule; do "
                         "%s -D DOCKER-USER $rule 2>/dev/null || true; done"
                         % (BEGIN, END, q(posixpath.join(etc_dir, after)), q(command)))
    copies = []
    for name, relative in FILES:
        target = q(posixpath.join(etc_dir, relative))
        if saved.get(relative):
            copy = q(posixpath.join(state_dir, name))
            copies.append(copy)
            lines.append('cp %s %s' % (copy, target))
        else:
            lines.append('rm -f %s' % target)
    conf = q(posixpath.join(etc_dir, UFW_CONF))
    lines += [
        'if grep -qiE \'^[[:space:]]*ENABLED[[:space:]]*=[[:space:]]*"?yes"?[[:space:]]*$\' %s; then' % conf,
        '    %s reload' % q(ufw),
        "elif %s status | grep -q '^Status: active'; then" % q(ufw),
        '    %s disable' % q(ufw),
        'fi',
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

class UfwRun(HostRun):
    """One module call on the ufw backend: our commented rules, the default policy, our after*.rules blocks."""

    BACKEND = 'ufw'
    SAVED = tuple(name for name, _relative in FILES)

    def __init__(self, params, *args, **kwargs):
        self.etc_dir = kwargs.pop('etc_dir', '/etc')
        super(UfwRun, self).__init__(params, *args, **kwargs)
        self.ufw = None
        self._armed_now = False

    def _path(self, relative):
        return posixpath.join(self.etc_dir, relative)

    # -------------------------------------------------------- reading

    def prepare(self):
        self.ufw = self.which('ufw')
        self.installed = bool(self.ufw)
        if self.ufw:
            return
        problem = 'backend ufw: the ufw command is not installed (Debian package ufw)'
        if not self.check_mode:
            self._fail(problem)
        self.warnings.append(problem + ': check mode reports what would be applied')

    def _read_state(self):
        """dict: files ({relative path: text or None}), running, enabled, policy, added (parse_added)."""
        files = dict((relative, self._read(self._path(relative))) for _name, relative in FILES)
        state = dict(files=files, running=False, enabled=is_enabled(files[UFW_CONF]),
                     policy=policy_of(files[DEFAULTS]), added=[])
        if not self.ufw:
            return state
        rc, out, err = self._run([self.ufw, 'status'])
        if rc != 0:
            self._fail('ufw status failed: %s' % error_line(err or out))
        state['running'] = out.lstrip().lower().startswith('status: active')
        rc, out, err = self._run([self.ufw, 'show', 'added'])
        if rc != 0:
            self._fail('ufw show added failed: %s' % error_line(err or out))
        state['added'] = parse_added(out)
        return state

    def _blocks(self, files):
        return [(self._path(after), split_block(files[after])[1]) for after, _family in AFTERS]

    # -------------------------------------------------------- state=present

    def present(self):
        params = self.params
        rules = rules_of(params['allow'])
        policy = POLICY_WORDS[params['default_incoming_policy']]
        facts = self.guard(rules, params['default_incoming_policy'])
        block = render_block(params['forward_block_ports'])

        state = self._read_state()
        files = state['files']
        add, delete, ours = plan_rules(state['added'], wanted_keys(rules))
        lines_after = [line for line in ours if line not in delete] + [rule_line(key) for key in add]
        old_blocks = self._blocks(files)
        new_after = {}
        for after, _family in AFTERS:
            rest, current = split_block(files[after])
            if current != block and (files[after] is not None or block):
                new_after[after] = with_block(rest, block)
        active = state['running'] and state['enabled']
        policy_change = state['policy'] != policy
        changed = bool(add or delete or new_after) or policy_change or not active
        before = state_text(ours, old_blocks, 'active' if active else 'inactive', state['policy'])
        after = state_text(lines_after, [(path, block) for path, _old in old_blocks], 'active', policy)
        diff = [diff_of('ufw', before, after)] if changed else []
        pending = self._rollback_pending()
        if not changed:
            return self._result(False, diff=[], rollback_pending=pending, **facts)
        if self.check_mode:
            return self._result(True, diff=diff, rollback_pending=pending, **facts)

        timeout = params['confirm_timeout'] or 0
        self._remove(self._state(ROLLED_BACK))
        if timeout:
            self._arm(timeout, files)
        elif pending:
            self.warnings.append('a rollback (%s) is still pending from an earlier unconfirmed change: it will put '
                                 'back the rules from before that change unless state=confirmed runs first'
                                 % ROLLBACK_TIMER)

        def steps():
            # Allow first, then delete, then the policy: no moment refuses what both rule sets allow.
            for key in add:
                self._ufw(argv_of(rule_line(key)))
            for line in delete:
                self._ufw(['delete'] + argv_of(line))
            for after, text in new_after.items():
                self._write_kept_mode(after, text)
            reloaded = False
            if policy_change:
                self._ufw(['default', policy, 'incoming'])
                reloaded = state['enabled']  # ufw reloads itself when enabled
            if not active:
                self._ufw(['--force', 'enable'])
                if state['running'] and not reloaded:
                    self._ufw(['reload'])  # loaded but not enabled: enable alone does not read the files again
            elif new_after and not reloaded:
                self._ufw(['reload'])
            if not block:
                self._delete_live(dict(old_blocks))

        self._apply(steps, files, block)
        return self._result(True, diff=diff, rollback_pending=bool(timeout) or pending,
                            rollback_seconds=timeout or None, **facts)

    # -------------------------------------------------------- applying, and putting back on failure

    def _ufw(self, args):
        rc, out, err = self._run([self.ufw] + list(args))
        if rc != 0:
            raise _CommandFailed('ufw ' + ' '.join(shlex.quote(arg) for arg in args), error_line(err or out))
        return out

    def _write_kept_mode(self, relative, text):
        path = self._path(relative)
        try:
            mode = os.stat(path).st_mode & 0o7777
        except OSError:
            mode = 0o640
        try:
            self._write(path, text, mode)
        except OSError as exc:
            raise _CommandFailed('writing %s' % path, str(exc))

    def _delete_live(self, blocks):
        """Take the rules of BLOCKS ({after file path: block}) out of the live DOCKER-USER chains."""
        for after, family in AFTERS:
            block = blocks.get(self._path(after))
            command = self.which(family)
            if not block or not command:
                continue
            for args in block_deletions(block):
                self._run([command] + args)  # a rule already gone is fine

    def _apply(self, steps, files, block):
        """Run STEPS; when one fails, put ufw's files back, load them and fail with one line."""
        try:
            steps()
        except _CommandFailed as exc:
            problem = self._put_back(files, block)
            if self._armed_now:
                self._disarm()
            self._fail('%s failed: %s; %s' % (exc.command, exc.message, problem or 'ufw is back as it was'),
                       changed=bool(problem))

    def _put_back(self, files, block):
        """Restore FILES, take BLOCK's rules out of DOCKER-USER, load the files again; a problem line or None."""
        try:
            for relative, text in files.items():
                if text is None:
                    self._remove(self._path(relative))
                else:
                    self._write_kept_mode(relative, text)
        except _CommandFailed as exc:
            return 'putting the previous files back failed too (%s: %s)' % (exc.command, exc.message)
        new_blocks = dict((self._path(after), block) for after, _family in AFTERS)
        self._delete_live(new_blocks)
        rc, out, _err = self._run([self.ufw, 'status'])
        running = rc == 0 and out.lstrip().lower().startswith('status: active')
        try:
            if is_enabled(files[UFW_CONF]):
                self._ufw(['reload'])
            elif running:
                self._ufw(['disable'])
        except _CommandFailed as exc:
            return 'the previous files are back but loading them failed too (%s: %s)' % (exc.command, exc.message)
        return None

    # -------------------------------------------------------- commit-confirm

    def _arm(self, timeout, files):
        """Save ufw's files and the script that puts them back, then start the timer that runs it."""
        if self._rollback_pending() and os.path.exists(self._state(ROLLBACK_SCRIPT)) and any(
                os.path.exists(self._state(name)) for name in self.SAVED):
            # An earlier change is still unconfirmed: its saved state stays the one to go back to.
            self.warnings.append('an earlier change was not confirmed yet: the rollback keeps the rules from before it')
        else:
            saved = dict((name, files[relative]) for name, relative in FILES if files[relative] is not None)
            for name, relative in FILES:
                if files[relative] is None:
                    self._remove(self._state(name))
            iptables = dict((after, self.which(family)) for after, family in AFTERS)
            script = rollback_script(self.ufw, iptables, self.state_dir, self.etc_dir,
                                     dict((relative, files[relative] is not None) for _name, relative in FILES))
            self._save_for_rollback(saved, script)
            self._armed_now = True
        self._start_timer(timeout)

    # -------------------------------------------------------- state=absent

    def absent(self):
        state = self._read_state()
        files = state['files']
        ours = [line for line, _key, mine in state['added'] if mine]
        old_blocks = self._blocks(files)
        new_after = dict((after, split_block(files[after])[0]) for after, _family in AFTERS
                         if split_block(files[after])[1])
        pending = self._rollback_pending()
        leftovers = [name for name in tuple(self.SAVED) + (ROLLBACK_SCRIPT, ROLLED_BACK)
                     if os.path.exists(self._state(name))]
        mine = bool(ours or new_after)
        changed = mine or pending or bool(leftovers)
        if ours and state['running'] and state['policy'] != 'allow':
            self._guard_absent(state['added'], state['policy'])
        diff = [diff_of('ufw', state_text(ours, old_blocks), '')] if mine else []
        if not changed or self.check_mode:
            return self._result(changed, diff=diff, rollback_pending=pending)
        self._disarm()

        def steps():
            for line in ours:
                self._ufw(['delete'] + argv_of(line))
            for after, text in new_after.items():
                self._write_kept_mode(after, text)
            if new_after and state['running'] and state['enabled']:
                self._ufw(['reload'])
            self._delete_live(dict(old_blocks))

        self._apply(steps, files, '')
        for name in leftovers:
            self._remove(self._state(name))
        return self._result(True, diff=diff, rollback_pending=False)

    def _guard_absent(self, added, policy):
        """Refuse (unless force) to delete our rules when those that stay, with ufw active, cut the SSH port."""
        remaining = []
        for line, _key, mine in added:
            allow = None if mine else parse_allow(line)
            if allow is None:
                continue
            specs = [allow['ports']] if allow['ports'] else None
            if allow['app']:
                rc, out, _err = self._run([self.ufw, 'app', 'info', allow['app']])
                specs = app_ports(out) if rc == 0 else []
            ranges = None if specs is None else [pair for spec in specs for pair in port_ranges(spec)]
            remaining.append(Allowed(ranges, allow['source']))
        ports, source, client = self.ssh_ports()
        problem = ssh_guard_problem(remaining, 'drop', ports, source, client)
        if not problem:
            return
        stay = 'state=absent: ufw stays active with incoming policy %s, and the rules that stay (not ours) ' % policy
        problem = problem.replace('the rule set does not allow ', stay + 'do not allow ', 1)
        problem = problem.replace('the rule set allows ', stay + 'allow ', 1)
        problem = problem.replace('; add it or set force=true', '; add an ufw rule for it, disable ufw, or set '
                                  'force=true')
        if not self.params['force']:
            self._fail(problem)
        self.warnings.append(problem.split('; add an ufw rule', 1)[0] + ': removed anyway (force=true)')
