# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One nginx site file, activated only when nginx accepts the whole configuration (module nginx_site).

Two parts, from pure to effectful:

- pure logic: parameter checks, the paths of a site in each layout, the entries (file,
  symbolic link or nothing) a state wants at those paths, the changes and their diff, and
  what nginx printed (errors, loaded files, pid file); unit-tested without nginx;
- ``SiteRun``: one module call. It stages the changes in place, tests the WHOLE
  configuration with ``nginx -T`` (never ``-c`` on one file), and reloads nginx; on any
  failure it puts every previous entry back, so nginx keeps running the old configuration.

Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os
import posixpath
import re
import stat

from ansible_collections.docops.onlyoffice.plugins.module_utils._files import fsync_dir, write_atomically

STATES = ('enabled', 'disabled', 'absent')
LAYOUTS = ('auto', 'sites-available', 'conf.d')
DEFAULT_CONF_DIR = '/etc/nginx'
DEFAULT_MODE = '0644'
MAX_NAME_LENGTH = 200
PARKED_SUFFIX = '.disabled'
MASTER_TITLE = b'nginx: master process'

_NAME_RE = re.compile(r'^[A-Za-z0-9_-][A-Za-z0-9._-]*$')
_MODE_RE = re.compile(r'^0?[0-7]{3}$')
# nginx prints its errors as "nginx: [emerg] ..." or, when its early log is stderr (Debian's build),
# in the error log's format: "2026/11/22 05:40:46 [emerg] 245#245: ...". Both become "[emerg] ...".
_LOG_PREFIX_RE = re.compile(r'^(?:nginx: |\d{4}/\d\d/\d\d \d\d:\d\d:\d\d (\[\w+\]) \d+#\d+: (?:\*\d+ )?)')
_ERROR_LEVEL_RE = re.compile(r'\[(emerg|alert|crit|error)\]')
_LOADED_RE = re.compile(r'^# configuration file (.+):\s*$', re.M)
_PID_RE = re.compile(r'^\s*pid\s+["\']?([^;"\'\s]+)["\']?\s*;', re.M)
_COMPILED_PID_RE = re.compile(r'--pid-path=(\S+)')
_SITES_INCLUDE_RE = re.compile(r'(^|[\s;{}])include\s+["\']?[^;]*sites-enabled/', re.M)


class SiteFailure(Exception):
    """A failed module call: a one-line message and the result keys to return with it."""

    def __init__(self, msg, **details):
        super(SiteFailure, self).__init__(msg)
        self.msg = msg
        self.details = details


# ---------------------------------------------------------------- parameters

def parse_mode(value):
    """(mode as an int, None) for an octal string such as '0644', or (None, one-line problem)."""
    if isinstance(value, bool) or not isinstance(value, str):
        return None, ("mode must be a quoted octal string such as '0644', got %r (YAML reads an unquoted 0644 "
                      "as the number 420)" % (value,))
    if not _MODE_RE.match(value):
        return None, "mode must be an octal string of permission bits such as '0644', got %r" % value
    return int(value, 8), None


def name_problem(name):
    """One line when NAME cannot be a site file name, else None."""
    if not isinstance(name, str) or not name:
        return 'name must be a non-empty file name, got %r' % (name,)
    if len(name) > MAX_NAME_LENGTH:
        return 'name must be at most %d characters, got %d' % (MAX_NAME_LENGTH, len(name))
    if not _NAME_RE.match(name):
        return ('name must be a file name of letters, digits, ".", "_" and "-" that does not start with "." '
                '(no "/"), got %r' % name)
    return None


def content_problem(content):
    """One line when CONTENT is not text that can be written as UTF-8 without NUL, else None."""
    if isinstance(content, bool) or not isinstance(content, str):
        return 'content must be text (a string), got %s' % type(content).__name__
    if '\0' in content:
        return 'content contains a NUL character (at offset %d): nginx configuration is text' % content.index('\0')
    try:
        content.encode('utf-8')
    except UnicodeEncodeError as exc:
        return 'content is not valid Unicode text (at offset %d)' % exc.start
    return None


def parameter_problem(params):
    """One line naming the first invalid module parameter, or None. Runs before anything is read or changed."""
    problem = name_problem(params.get('name'))
    if problem:
        return problem
    conf_dir = params.get('conf_dir')
    if not isinstance(conf_dir, str) or '\0' in conf_dir or not posixpath.isabs(conf_dir):
        return 'conf_dir must be an absolute path, got %r' % (conf_dir,)
    binary = params.get('nginx_binary')
    if binary is not None:
        if not binary or '\0' in binary:
            return 'nginx_binary must be a command name or an absolute path, got %r' % binary
        if '/' in binary and not posixpath.isabs(binary):
            return 'nginx_binary must be a command name or an absolute path, got the relative path %r' % binary
    problem = parse_mode(params.get('mode'))[1]
    if problem:
        return problem
    content = params.get('content')
    if content is not None:
        problem = content_problem(content)
        if problem:
            return problem
    elif params.get('state') == 'enabled':
        return 'content is required with state=enabled'
    return None


def resolve_binary(wanted, which):
    """(path of the nginx binary, None) or (None, one-line problem). WHICH(name) finds a command or returns None."""
    if wanted and '/' in wanted:
        if os.path.isfile(wanted) and os.access(wanted, os.X_OK):
            return wanted, None
        return None, 'nginx_binary: %s does not exist or is not executable; install nginx or fix nginx_binary' % wanted
    found = which(wanted or 'nginx')
    if found:
        return found, None
    return None, ('nginx_binary: %s is not installed (not found on PATH nor in /sbin, /usr/sbin, /usr/local/sbin); '
                  'install nginx first or set nginx_binary to its path' % (wanted or 'nginx'))


# ---------------------------------------------------------------- layouts and paths

def includes_sites_enabled(nginx_conf):
    """Whether the text of nginx.conf has an include directive (not commented out) below sites-enabled/."""
    text = '\n'.join(line.split('#', 1)[0] for line in (nginx_conf or '').splitlines())
    return bool(_SITES_INCLUDE_RE.search(text))


def choose_layout(requested, nginx_conf, sites_enabled_dir, debian_family):
    """The layout to use. For 'auto': sites-available when the sites-enabled directory exists and
    nginx.conf includes it; without nginx.conf (nginx not installed yet, as in check mode on a
    fresh host) the one the distribution's package brings (sites-available on the Debian family)."""
    if requested != 'auto':
        return requested
    if nginx_conf is None:
        return 'sites-available' if debian_family else 'conf.d'
    return 'sites-available' if sites_enabled_dir and includes_sites_enabled(nginx_conf) else 'conf.d'


def conf_d_file(name):
    """File name of a site in conf.d: NAME with '.conf' added unless it already ends with it."""
    return name if name.endswith('.conf') else name + '.conf'


def required_dirs(conf_dir, layout):
    if layout == 'sites-available':
        return [posixpath.join(conf_dir, 'sites-available'), posixpath.join(conf_dir, 'sites-enabled')]
    return [posixpath.join(conf_dir, 'conf.d')]


def site_paths(conf_dir, layout, name):
    """The paths of site NAME: 'available' (its file while it exists), 'enabled' (what nginx loads) and,
    in the conf.d layout, 'parked' (its file while disabled, which conf.d/*.conf does not match)."""
    conf_dir = posixpath.normpath(conf_dir)
    if layout == 'sites-available':
        available = posixpath.join(conf_dir, 'sites-available', name)
        return {'available': available, 'enabled': posixpath.join(conf_dir, 'sites-enabled', name), 'parked': None}
    active = posixpath.join(conf_dir, 'conf.d', conf_d_file(name))
    return {'available': active, 'enabled': active, 'parked': active + PARKED_SUFFIX}


def file_path(layout, paths, state):
    """The file that holds (or would hold) the site's text in STATE."""
    if layout == 'conf.d' and state == 'disabled':
        return paths['parked']
    return paths['available']


def managed_paths(paths):
    """Every path the module may change for a site, without duplicates, in a stable order."""
    found = []
    for key in ('available', 'enabled', 'parked'):
        if paths[key] and paths[key] not in found:
            found.append(paths[key])
    return found


# ---------------------------------------------------------------- entries and changes

class Entry:
    """What is at a path: nothing, a regular file (data, mode, owner), a symbolic link (target), or
    something else the module does not replace (a directory, a device...)."""

    def __init__(self, kind, data=None, mode=None, uid=None, gid=None, target=None):
        self.kind = kind
        self.data = data
        self.mode = mode
        self.uid = uid
        self.gid = gid
        self.target = target

    def __repr__(self):
        if self.kind == 'file':
            return 'Entry(file, %d bytes, %04o, %s:%s)' % (len(self.data), self.mode, self.uid, self.gid)
        if self.kind == 'link':
            return 'Entry(link -> %s)' % self.target
        return 'Entry(%s)' % self.kind


ABSENT = Entry('absent')


def regular_file(data, mode, uid, gid):
    return Entry('file', data=data, mode=mode, uid=uid, gid=gid)


def symlink(target):
    return Entry('link', target=target)


def _file_key(entry):
    return entry.data, entry.mode, entry.uid, entry.gid


def _link_points_to(path, target):
    return posixpath.normpath(posixpath.join(posixpath.dirname(path), target))


def same(path, current, wanted):
    """Whether CURRENT already is WANTED at PATH (a relative link to the same file counts as the same)."""
    if current.kind != wanted.kind:
        return False
    if current.kind == 'file':
        return _file_key(current) == _file_key(wanted)
    if current.kind == 'link':
        return _link_points_to(path, current.target) == _link_points_to(path, wanted.target)
    return current.kind == 'absent'


def kept_data(layout, paths, current):
    """The site's text already on disk, for state=disabled without content (bytes), or None."""
    candidates = [paths['parked'], paths['available']] if layout == 'conf.d' else [paths['available']]
    for path in candidates:
        if path and current[path].kind == 'file':
            return current[path].data
    return None


def wanted_entries(layout, paths, state, data, mode, uid, gid):
    """[(path, Entry)] the STATE wants, in the order they are applied (the file before the link that
    activates it; the deactivation before the file goes)."""
    available, enabled, parked = paths['available'], paths['enabled'], paths['parked']
    if state == 'absent':
        if layout == 'sites-available':
            return [(enabled, ABSENT), (available, ABSENT)]
        return [(available, ABSENT), (parked, ABSENT)]
    site = regular_file(data, mode, uid, gid)
    if layout == 'sites-available':
        if state == 'enabled':
            return [(available, site), (enabled, symlink(available))]
        return [(enabled, ABSENT), (available, site)]
    if state == 'enabled':
        return [(available, site), (parked, ABSENT)]
    return [(available, ABSENT), (parked, site)]


def plan(current, wanted):
    """[(path, before, after)] for each wanted entry that differs from the CURRENT one (a dict by path)."""
    return [(path, current[path], entry) for path, entry in wanted if not same(path, current[path], entry)]


def shown(entry):
    """The text of an entry in a diff."""
    if entry.kind == 'file':
        return entry.data.decode('utf-8', 'replace')
    if entry.kind == 'link':
        return 'symbolic link to %s\n' % entry.target
    return ''


def _header(path, entry, other):
    if entry.kind == 'file' and other.kind == 'file' and _file_key(entry)[1:] != _file_key(other)[1:]:
        return '%s (mode %04o, owner %s:%s)' % (path, entry.mode, entry.uid, entry.gid)
    if entry.kind == 'absent':
        return '%s (absent)' % path
    return path


def diff_of(changes):
    """Ansible's diff, one before/after text per changed path."""
    return [{'before_header': _header(path, before, after), 'after_header': _header(path, after, before),
             'before': shown(before), 'after': shown(after)} for path, before, after in changes]


# ---------------------------------------------------------------- what nginx printed

def _lines(output):
    found = []
    for line in (output or '').splitlines():
        line = _LOG_PREFIX_RE.sub(lambda match: (match.group(1) + ' ') if match.group(1) else '', line.strip())
        if line:
            found.append(line)
    return found


def error_line(output):
    """nginx's own error text of a failed test or signal, as one line."""
    lines = _lines(output)
    errors = [line for line in lines if _ERROR_LEVEL_RE.search(line)]
    chosen = errors or [line for line in lines if not line.endswith('test failed')] or lines
    return '; '.join(chosen) or 'nginx printed nothing'


def warning_lines(output):
    """The [warn] lines of nginx's output (for example a conflicting server name), each one line."""
    return [line for line in _lines(output) if '[warn]' in line]


def loaded_files(dump):
    """The files of the configuration `nginx -T` dumped, normalised."""
    return [posixpath.normpath(path) for path in _LOADED_RE.findall(dump or '')]


def pid_file_of(dump, version_output=None):
    """The pid file: the pid directive of the dumped configuration, else nginx -V's --pid-path, else None."""
    text = '\n'.join(line.split('#', 1)[0] for line in (dump or '').splitlines())
    for path in _PID_RE.findall(text):
        if posixpath.isabs(path):
            return path
    match = _COMPILED_PID_RE.search(version_output or '')
    return match.group(1) if match else None


# ---------------------------------------------------------------- one module call

class SiteRun:
    """Brings one site to its state: stage in place, `nginx -T`, keep and reload, or put everything back.

    run_command(argv) -> (rc, stdout, stderr). binary: the nginx binary, or None with BINARY_PROBLEM
    saying why (check mode then only warns). In check mode everything is computed and reported
    and nothing is written, tested or reloaded. Failures raise SiteFailure with a one-line message.
    """

    def __init__(self, params, run_command, binary, binary_problem=None, check_mode=False, uid=None, gid=None,
                 debian_family=None, proc_dir='/proc'):
        self.params = params
        self.run_command = run_command
        self.binary = binary
        self.binary_problem = binary_problem
        self.check_mode = check_mode
        self.uid = os.geteuid() if uid is None else uid
        self.gid = os.getegid() if gid is None else gid
        self.debian_family = os.path.exists('/etc/debian_version') if debian_family is None else debian_family
        self.proc_dir = proc_dir
        self.warnings = []
        self.conf_dir = posixpath.normpath(params['conf_dir'])
        self.state = params['state']
        self.layout = None
        self.paths = None

    # -------------------------------------------------------- reading

    def _fail(self, msg, changed=False, **details):
        details.setdefault('path', self.paths and file_path(self.layout, self.paths, self.state))
        details.setdefault('enabled_path', self.paths and self.paths['enabled'])
        raise SiteFailure(msg, changed=changed, reloaded=False, **details)

    def _choose_layout(self):
        nginx_conf = None
        try:
            with open(posixpath.join(self.conf_dir, 'nginx.conf'), encoding='utf-8', errors='replace') as handle:
                nginx_conf = handle.read()
        except OSError:
            pass
        sites_enabled = os.path.isdir(posixpath.join(self.conf_dir, 'sites-enabled'))
        return choose_layout(self.params['layout'], nginx_conf, sites_enabled, self.debian_family)

    def _read(self, path):
        try:
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                return symlink(os.readlink(path))
            if stat.S_ISREG(info.st_mode):
                with open(path, 'rb') as handle:
                    data = handle.read()
                return regular_file(data, stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)
        except (FileNotFoundError, NotADirectoryError):
            return ABSENT
        except OSError as exc:
            self._fail('reading %s failed: %s' % (path, exc))
        self._fail('%s is neither a file nor a symbolic link: remove it or choose another name' % path)

    # -------------------------------------------------------- the call

    def run(self):
        if self.binary is None and self.state != 'absent':
            self._missing_binary()
        self.layout = self._choose_layout()
        self.paths = site_paths(self.conf_dir, self.layout, self.params['name'])
        missing = [path for path in required_dirs(self.conf_dir, self.layout) if not os.path.isdir(path)]
        if missing and self.state != 'absent':
            problem = 'conf_dir: %s does not exist (layout %s)' % (missing[0], self.layout)
            if not self.check_mode:
                self._fail(problem + '; install nginx first, or choose the layout its configuration includes')
            self.warnings.append(problem + ': check mode reports what would be written')

        current = dict((path, self._read(path)) for path in managed_paths(self.paths))
        if self.params['content'] is not None:
            data = self.params['content'].encode('utf-8')
        else:
            data = kept_data(self.layout, self.paths, current)
            if data is None and self.state == 'disabled':
                problem = ('content is required with state=disabled: the site has no file %s yet'
                           % file_path(self.layout, self.paths, 'enabled'))
                if not (self.check_mode and (self.binary is None or missing)):
                    self._fail(problem)
                # nginx is not installed yet: its package may bring the file.
                self.warnings.append(problem + ': check mode cannot tell whether installing nginx brings it')
                return self._result([])
        mode = parse_mode(self.params['mode'])[0]
        changes = plan(current, wanted_entries(self.layout, self.paths, self.state, data, mode, self.uid, self.gid))
        result = self._result(changes)
        if not changes or self.check_mode:
            return result
        if self.binary is None:
            self._missing_binary()

        self._apply(changes)
        dump = self._test(changes)
        self._check_loaded(changes, dump)
        result['reloaded'], running = self._reload(changes, dump)
        if running is not None:
            result['nginx_running'] = running
        return result

    def _result(self, changes):
        return dict(changed=bool(changes), path=file_path(self.layout, self.paths, self.state),
                    enabled_path=self.paths['enabled'], layout=self.layout, reloaded=False, diff=diff_of(changes),
                    warnings=self.warnings)

    def _missing_binary(self):
        if not self.check_mode:
            self._fail(self.binary_problem)
        self.warnings.append(self.binary_problem + ': check mode reports what would change without testing it')

    # -------------------------------------------------------- effects

    def _apply(self, changes):
        done = []
        for path, before, after in changes:
            try:
                self._put(path, after)
            except OSError as exc:
                done.append((path, before, after))  # may be half done: put it back too
                self._put_back(done, 'writing %s failed: %s' % (path, exc))
            done.append((path, before, after))

    def _put(self, path, entry):
        """Make PATH hold ENTRY; a file or link is prepared beside it and renamed over it (atomic)."""
        directory = posixpath.dirname(path)
        if entry.kind == 'absent':
            if os.path.lexists(path):
                os.unlink(path)
                fsync_dir(directory)
            return
        if entry.kind != 'link':
            write_atomically(path, entry.data, entry.mode, entry.uid, entry.gid)
            return
        temporary = posixpath.join(directory, '.%s.docops-%d.tmp' % (posixpath.basename(path), os.getpid()))
        try:
            os.symlink(entry.target, temporary)
            os.rename(temporary, path)
            fsync_dir(directory)
        finally:
            if os.path.lexists(temporary):
                os.unlink(temporary)

    def _restore(self, done):
        """Put the entries of DONE back as they were, last first; returns the paths that failed, with why."""
        failed = []
        for path, before, _after in reversed(done):
            try:
                self._put(path, before)
            except OSError as exc:
                failed.append('%s (%s)' % (path, exc))
        return failed

    def _put_back(self, done, msg, **details):
        """Put the entries of DONE back, then fail with MSG (which says so, unless that failed too)."""
        failed = self._restore(done)
        if failed:
            self._fail('%s; putting the previous files back failed too: %s; fix them by hand before nginx reloads'
                       % (msg, ', '.join(failed)), changed=True, **details)
        self._fail('%s; site %s is back as it was' % (msg, self.params['name']), **details)

    def _nginx(self, *args):
        rc, out, err = self.run_command([self.binary] + list(args))
        return rc, out or '', err or ''

    def _test(self, changes):
        """nginx -T on the whole configuration with the changes staged; returns its dump."""
        rc, dump, err = self._nginx('-T')
        if rc == 0:
            self.warnings.extend('nginx -t: %s' % line for line in warning_lines(err))
            return dump
        output = (err or dump).strip()
        name = self.params['name']
        failed = self._restore(changes)
        if failed:
            self._fail('nginx -t failed with site %s: %s; putting the previous files back failed too: %s; fix them '
                       'by hand before nginx reloads' % (name, error_line(output), ', '.join(failed)),
                       changed=True, test_output=output)
        if self._nginx('-t')[0] != 0:
            self._fail('nginx -t fails even without the change to site %s, so the change cannot be tested: %s; '
                       'site %s is back as it was and nginx was not reloaded' % (name, error_line(output), name),
                       test_output=output)
        self._fail('nginx -t failed with site %s: %s; site %s is back as it was and nginx was not reloaded'
                   % (name, error_line(output), name), test_output=output)

    def _check_loaded(self, changes, dump):
        """The site is active when enabled and inactive otherwise, by the files nginx really loaded."""
        loaded = set(self._real(path) for path in loaded_files(dump))
        name, enabled = self.params['name'], self.paths['enabled']
        kept = file_path(self.layout, self.paths, self.state)
        if self.state == 'enabled' and self._real(enabled) not in loaded:
            self._put_back(changes, 'nginx does not load %s: no include of its configuration matches it (layout %s); '
                                    'choose the layout that nginx.conf includes' % (enabled, self.layout))
        if self.state == 'disabled' and self._real(kept) in loaded:
            self._put_back(changes, 'nginx still loads %s, so site %s cannot be disabled there: an include of its '
                                    'configuration matches that file' % (kept, name))

    def _real(self, path):
        """PATH with its directory resolved, so that both sides of a comparison name files alike."""
        return posixpath.join(os.path.realpath(posixpath.dirname(path)), posixpath.basename(path))

    def _master_pid(self, dump):
        """The pid of the running nginx master process, or None when nginx is not running."""
        pid_file = pid_file_of(dump)
        if pid_file is None:
            pid_file = pid_file_of('', ''.join(self._nginx('-V')[1:]))
        if pid_file is None:
            return None
        try:
            with open(pid_file) as handle:
                pid = int(handle.read().strip())
            with open(posixpath.join(self.proc_dir, str(pid), 'cmdline'), 'rb') as handle:
                title = handle.read()
        except (OSError, ValueError):
            return None
        return pid if title.startswith(MASTER_TITLE) else None

    def _reload(self, changes, dump):
        """(reloaded, nginx running or None when not looked at)."""
        if not self.params['reload']:
            return False, None
        if self._master_pid(dump) is None:
            self.warnings.append('nginx is not running: site %s is written and tested but not served; the module '
                                 'does not start nginx' % self.params['name'])
            return False, False
        rc, out, err = self._nginx('-s', 'reload')
        if rc != 0:
            self._put_back(changes, 'reloading nginx failed: %s; nginx keeps the old configuration'
                           % error_line(err or out))
        return True, True
