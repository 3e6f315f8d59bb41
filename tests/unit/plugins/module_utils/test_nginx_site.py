# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""nginx_site without nginx: parameter checks, layouts, paths, plans, nginx's output read, and
SiteRun over a configuration directory under tmp_path with a fake nginx that really reads it.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os
import stat

import pytest

from ansible_collections.docops.onlyoffice.plugins.module_utils import _nginx_site as site
from ansible_collections.docops.onlyoffice.plugins.module_utils._nginx_site import SiteFailure, SiteRun

UID, GID = os.geteuid(), os.getegid()
DEBIAN_CONF = '''user www-data;
pid {pid};
http {{
\tinclude /etc/nginx/mime.types;
\tinclude {conf_dir}/conf.d/*.conf;
\tinclude {conf_dir}/sites-enabled/*;
}}
'''
GOOD = 'server {\n    listen 80;\n    server_name demo.test;\n    return 200 "v1\\n";\n}\n'
BETTER = GOOD.replace('v1', 'v2')
BROKEN = GOOD.replace('listen 80;', 'listen 80;\n    bogus_directive on;')


def params(**overrides):
    values = dict(name='demo', content=GOOD, state='enabled', layout='auto', nginx_binary=None,
                  conf_dir='/etc/nginx', reload=True, mode='0644')
    values.update(overrides)
    return values


# ---------------------------------------------------------------- parameters

@pytest.mark.parametrize('overrides', [
    {}, dict(name='onlyoffice.conf'), dict(name='_gateway-2'), dict(name='x' * 200), dict(mode='640'),
    dict(mode='0600'), dict(state='disabled', content=None), dict(state='absent', content=None),
    dict(nginx_binary='/usr/sbin/nginx'), dict(nginx_binary='openresty'), dict(content=''),
    dict(content='# ünïcode comment\n'),
])
def test_valid_parameters(overrides):
    assert site.parameter_problem(params(**overrides)) is None


@pytest.mark.parametrize('overrides, message', [
    (dict(name='a/b'), 'name must be a file name of letters, digits'),
    (dict(name='../etc/passwd'), 'name must be a file name'),
    (dict(name='.hidden'), 'does not start with "."'),
    (dict(name='..'), 'name must be a file name'),
    (dict(name='sp ace'), 'name must be a file name'),
    (dict(name=''), "name must be a non-empty file name, got ''"),
    (dict(name='x' * 201), 'name must be at most 200 characters, got 201'),
    (dict(conf_dir='etc/nginx'), "conf_dir must be an absolute path, got 'etc/nginx'"),
    (dict(conf_dir='/etc/\0nginx'), 'conf_dir must be an absolute path'),
    (dict(nginx_binary='sbin/nginx'), "nginx_binary must be a command name or an absolute path, got the relative"),
    (dict(nginx_binary=''), 'nginx_binary must be a command name or an absolute path'),
    (dict(mode=420), "mode must be a quoted octal string such as '0644', got 420"),
    (dict(mode=True), 'mode must be a quoted octal string'),
    (dict(mode='0o644'), "mode must be an octal string of permission bits such as '0644', got '0o644'"),
    (dict(mode='4755'), 'mode must be an octal string of permission bits'),
    (dict(mode='rw-r--r--'), 'mode must be an octal string of permission bits'),
    (dict(content=None), 'content is required with state=enabled'),
    (dict(content=12), 'content must be text (a string), got int'),
    (dict(content={'server': 1}), 'content must be text (a string), got dict'),
    (dict(content='server {}\0'), 'content contains a NUL character (at offset 9)'),
    (dict(content='bad \udce9 byte'), 'content is not valid Unicode text (at offset 4)'),
])
def test_invalid_parameters_are_named_in_one_line(overrides, message):
    problem = site.parameter_problem(params(**overrides))
    assert message in problem
    assert '\n' not in problem


def test_binary_is_found_or_named(tmp_path):
    assert site.resolve_binary(None, lambda name: '/usr/sbin/' + name) == ('/usr/sbin/nginx', None)
    path, problem = site.resolve_binary(None, lambda name: None)
    assert path is None
    assert problem.startswith('nginx_binary: nginx is not installed (not found on PATH')
    path, problem = site.resolve_binary('/opt/nginx/sbin/nginx', lambda name: None)
    assert problem == ('nginx_binary: /opt/nginx/sbin/nginx does not exist or is not executable; install nginx or '
                       'fix nginx_binary')
    binary = tmp_path / 'nginx'
    binary.write_text('#!/bin/sh\n')
    binary.chmod(0o755)
    assert site.resolve_binary(str(binary), lambda name: None) == (str(binary), None)


# ---------------------------------------------------------------- layouts and paths

@pytest.mark.parametrize('text, included', [
    (DEBIAN_CONF.format(pid='/run/nginx.pid', conf_dir='/etc/nginx'), True),
    ('http {\n  include sites-enabled/*.conf;\n}\n', True),
    ('http { include "/etc/nginx/sites-enabled/*"; }', True),
    ('http {\n  # include /etc/nginx/sites-enabled/*;\n  include conf.d/*.conf;\n}\n', False),
    ('http {\n  include conf.d/*.conf;\n}\n', False),
    ('', False),
])
def test_sites_enabled_include_is_recognised(text, included):
    assert site.includes_sites_enabled(text) is included


@pytest.mark.parametrize('requested, nginx_conf, sites_enabled, debian, chosen', [
    ('auto', 'include /etc/nginx/sites-enabled/*;', True, True, 'sites-available'),
    ('auto', 'include /etc/nginx/sites-enabled/*;', False, True, 'conf.d'),
    ('auto', 'include /etc/nginx/conf.d/*.conf;', True, True, 'conf.d'),
    ('auto', None, False, True, 'sites-available'),
    ('auto', None, False, False, 'conf.d'),
    ('conf.d', 'include /etc/nginx/sites-enabled/*;', True, True, 'conf.d'),
    ('sites-available', '', False, False, 'sites-available'),
])
def test_layout_choice(requested, nginx_conf, sites_enabled, debian, chosen):
    assert site.choose_layout(requested, nginx_conf, sites_enabled, debian) == chosen


def test_paths_per_layout():
    assert site.site_paths('/etc/nginx/', 'sites-available', 'demo') == {
        'available': '/etc/nginx/sites-available/demo', 'enabled': '/etc/nginx/sites-enabled/demo', 'parked': None}
    assert site.site_paths('/etc/nginx', 'conf.d', 'demo') == {
        'available': '/etc/nginx/conf.d/demo.conf', 'enabled': '/etc/nginx/conf.d/demo.conf',
        'parked': '/etc/nginx/conf.d/demo.conf.disabled'}
    assert site.site_paths('/etc/nginx', 'conf.d', 'demo.conf')['enabled'] == '/etc/nginx/conf.d/demo.conf'
    paths = site.site_paths('/etc/nginx', 'conf.d', 'demo')
    assert site.managed_paths(paths) == ['/etc/nginx/conf.d/demo.conf', '/etc/nginx/conf.d/demo.conf.disabled']
    assert site.file_path('conf.d', paths, 'disabled') == '/etc/nginx/conf.d/demo.conf.disabled'
    assert site.file_path('conf.d', paths, 'enabled') == '/etc/nginx/conf.d/demo.conf'


def test_plan_compares_text_mode_owner_and_resolved_links():
    paths = site.site_paths('/etc/nginx', 'sites-available', 'demo')
    wanted = site.wanted_entries('sites-available', paths, 'enabled', b'x', 0o644, 0, 0)
    current = {paths['available']: site.regular_file(b'x', 0o644, 0, 0),
               paths['enabled']: site.symlink('../sites-available/demo')}
    assert site.plan(current, wanted) == []
    current[paths['available']] = site.regular_file(b'x', 0o600, 0, 0)
    current[paths['enabled']] = site.symlink('/etc/nginx/sites-available/other')
    changes = site.plan(current, wanted)
    assert [path for path, _before, _after in changes] == [paths['available'], paths['enabled']]
    diff = site.diff_of(changes)
    assert diff[0]['before_header'] == '/etc/nginx/sites-available/demo (mode 0600, owner 0:0)'
    assert diff[0]['after_header'] == '/etc/nginx/sites-available/demo (mode 0644, owner 0:0)'
    assert diff[1] == {'before_header': '/etc/nginx/sites-enabled/demo', 'after_header': '/etc/nginx/sites-enabled/demo',
                       'before': 'symbolic link to /etc/nginx/sites-available/other\n',
                       'after': 'symbolic link to /etc/nginx/sites-available/demo\n'}


@pytest.mark.parametrize('layout, state, order', [
    ('sites-available', 'enabled', [('available', 'file'), ('enabled', 'link')]),
    ('sites-available', 'disabled', [('enabled', 'absent'), ('available', 'file')]),
    ('sites-available', 'absent', [('enabled', 'absent'), ('available', 'absent')]),
    ('conf.d', 'enabled', [('available', 'file'), ('parked', 'absent')]),
    ('conf.d', 'disabled', [('available', 'absent'), ('parked', 'file')]),
    ('conf.d', 'absent', [('available', 'absent'), ('parked', 'absent')]),
])
def test_wanted_entries_per_state(layout, state, order):
    paths = site.site_paths('/etc/nginx', layout, 'demo')
    wanted = site.wanted_entries(layout, paths, state, b'x', 0o644, 0, 0)
    assert [(path, entry.kind) for path, entry in wanted] == [(paths[key], kind) for key, kind in order]


# ---------------------------------------------------------------- nginx output

FAILED = '''nginx: [warn] conflicting server name "demo.test" on 0.0.0.0:80, ignored
nginx: [emerg] unknown directive "bogus_directive" in /etc/nginx/sites-enabled/demo:3
nginx: configuration file /etc/nginx/nginx.conf test failed
'''


def test_error_line_keeps_nginx_errors_on_one_line():
    assert site.error_line(FAILED) == '[emerg] unknown directive "bogus_directive" in /etc/nginx/sites-enabled/demo:3'
    assert site.error_line('nginx: [emerg] a\nnginx: [alert] b\n') == '[emerg] a; [alert] b'
    assert site.error_line('nginx: invalid option: "T"\n') == 'invalid option: "T"'
    assert site.error_line('') == 'nginx printed nothing'
    # Debian's nginx prints them in the error log's format.
    assert site.error_line('2026/11/22 05:40:46 [emerg] 245#245: unknown directive "bogus" in /etc/nginx/x:3\n'
                           'nginx: configuration file /etc/nginx/nginx.conf test failed\n') == \
        '[emerg] unknown directive "bogus" in /etc/nginx/x:3'
    assert site.warning_lines('2026/11/22 05:40:46 [warn] 245#245: conflicting server name "a" on 0.0.0.0:80\n') == \
        ['[warn] conflicting server name "a" on 0.0.0.0:80']
    assert site.warning_lines(FAILED) == ['[warn] conflicting server name "demo.test" on 0.0.0.0:80, ignored']


def test_loaded_files_and_pid_file_from_the_dump():
    dump = ('# configuration file /etc/nginx/nginx.conf:\nuser www-data;\n# pid /old.pid;\npid /run/nginx.pid;\n\n'
            '# configuration file /etc/nginx//sites-enabled/demo:\nserver {}\n')
    assert site.loaded_files(dump) == ['/etc/nginx/nginx.conf', '/etc/nginx/sites-enabled/demo']
    assert site.pid_file_of(dump) == '/run/nginx.pid'
    assert site.pid_file_of('pid "/var/run/n.pid";') == '/var/run/n.pid'
    assert site.pid_file_of('user nginx;', 'configure arguments: --prefix=/x --pid-path=/run/nginx.pid --x') == \
        '/run/nginx.pid'
    assert site.pid_file_of('user nginx;', '') is None


# ---------------------------------------------------------------- SiteRun over a fake nginx

class FakeNginx:
    """An nginx that reads the configuration under CONF_DIR the way nginx does: nginx.conf, then
    the files its include lines match; a file containing "bogus_directive" fails the test."""

    def __init__(self, conf_dir, pid_file):
        self.conf_dir = conf_dir
        self.pid_file = pid_file
        self.calls = []
        self.reload_rc = 0
        self.broken_elsewhere = False

    def loaded(self):
        main = os.path.join(self.conf_dir, 'nginx.conf')
        files = [main]
        with open(main) as handle:
            for line in handle:
                line = line.split('#', 1)[0].strip()
                if line.startswith('include ') and self.conf_dir in line:
                    files.extend(sorted(glob.glob(line[len('include '):].rstrip(';').strip())))
        return files

    def __call__(self, argv):
        self.calls.append(argv[1:])
        main = os.path.join(self.conf_dir, 'nginx.conf')
        if argv[1:] == ['-s', 'reload']:
            return self.reload_rc, '', '' if self.reload_rc == 0 else 'nginx: [alert] kill(1, 1) failed\n'
        if argv[1:] == ['-V']:
            return 0, '', 'nginx version: nginx/1.22.1\nconfigure arguments: --pid-path=%s\n' % self.pid_file
        dump, errors = '', []
        for path in self.loaded():
            with open(path) as handle:
                text = handle.read()
            dump += '# configuration file %s:\n%s\n' % (path, text)
            if 'bogus_directive' in text:
                errors.append('nginx: [emerg] unknown directive "bogus_directive" in %s:3\n' % path)
        if self.broken_elsewhere:
            errors.append('nginx: [emerg] host not found in upstream "gone" in %s/conf.d/other.conf:2\n'
                          % self.conf_dir)
        if errors:
            return 1, '', ''.join(errors) + 'nginx: configuration file %s test failed\n' % main
        ok = 'nginx: the configuration file %s syntax is ok\nnginx: configuration file %s test is successful\n' % (
            main, main)
        return 0, dump if argv[1:] == ['-T'] else '', ok


@pytest.fixture
def bed(tmp_path):
    """A Debian-like /etc/nginx under tmp_path, a running master (pid file and /proc entry) and a fake nginx."""
    conf_dir = tmp_path / 'nginx'
    for folder in ('sites-available', 'sites-enabled', 'conf.d'):
        (conf_dir / folder).mkdir(parents=True)
    pid_file = tmp_path / 'nginx.pid'
    (conf_dir / 'nginx.conf').write_text(DEBIAN_CONF.format(pid=pid_file, conf_dir=conf_dir))
    (conf_dir / 'sites-available' / 'default').write_text('server { listen 80 default_server; }\n')
    (conf_dir / 'sites-enabled' / 'default').symlink_to(conf_dir / 'sites-available' / 'default')
    proc = tmp_path / 'proc'
    (proc / '4242').mkdir(parents=True)
    (proc / '4242' / 'cmdline').write_bytes(b'nginx: master process /usr/sbin/nginx -g daemon on;\0')
    pid_file.write_text('4242\n')

    class Bed:
        pass

    bed = Bed()
    bed.conf_dir, bed.pid_file, bed.proc = conf_dir, pid_file, proc
    bed.nginx = FakeNginx(str(conf_dir), str(pid_file))
    bed.available = conf_dir / 'sites-available' / 'demo'
    bed.enabled = conf_dir / 'sites-enabled' / 'demo'
    bed.active = conf_dir / 'conf.d' / 'demo.conf'
    bed.parked = conf_dir / 'conf.d' / 'demo.conf.disabled'

    def run(check_mode=False, binary='/usr/sbin/nginx', **overrides):
        overrides.setdefault('conf_dir', str(conf_dir))
        bed.nginx.calls = []
        return SiteRun(params(**overrides), bed.nginx, binary, 'nginx_binary: nginx is not installed',
                       check_mode=check_mode, debian_family=True, proc_dir=str(proc)).run()

    def fails(**overrides):
        with pytest.raises(SiteFailure) as info:
            run(**overrides)
        assert '\n' not in info.value.msg
        return info.value

    def snapshot():
        found = {}
        for path in sorted(conf_dir.rglob('*')):
            if path.is_symlink():
                found[str(path)] = ('link', os.readlink(path))
            elif path.is_file():
                found[str(path)] = ('file', path.read_text(), oct(stat.S_IMODE(path.stat().st_mode)))
        return found

    bed.run, bed.fails, bed.snapshot = run, fails, snapshot
    return bed


def test_new_site_is_written_linked_tested_and_reloaded(bed):
    result = bed.run()
    assert result['changed'] and result['reloaded'] and result['nginx_running']
    assert result['layout'] == 'sites-available'
    assert result['path'] == str(bed.available) and result['enabled_path'] == str(bed.enabled)
    assert bed.available.read_text() == GOOD
    assert stat.S_IMODE(bed.available.stat().st_mode) == 0o644
    assert os.readlink(bed.enabled) == str(bed.available)
    assert bed.nginx.calls == [['-T'], ['-s', 'reload']]
    assert result['diff'][0]['after'] == GOOD and result['diff'][0]['before'] == ''
    assert not [name for name in os.listdir(bed.conf_dir / 'sites-enabled') if name.startswith('.')]


def test_same_site_again_changes_nothing_and_runs_no_nginx(bed):
    bed.run()
    result = bed.run()
    assert not result['changed'] and not result['reloaded']
    assert result['diff'] == [] and bed.nginx.calls == []


def test_mode_change_is_a_change(bed):
    bed.run()
    result = bed.run(mode='0640')
    assert result['changed']
    assert stat.S_IMODE(bed.available.stat().st_mode) == 0o640
    assert result['diff'][0]['after_header'].endswith('(mode 0640, owner %d:%d)' % (UID, GID))


@pytest.mark.skipif(UID != 0, reason='changing a file owner needs root')
def test_owner_change_is_a_change(bed):
    bed.run()
    os.chown(str(bed.available), 1234, 1234)
    assert bed.run()['changed']
    assert (bed.available.stat().st_uid, bed.available.stat().st_gid) == (UID, GID)
    assert not bed.run()['changed']


def test_check_mode_writes_nothing_and_shows_the_diff(bed):
    bed.run()
    before = bed.snapshot()
    result = bed.run(check_mode=True, content=BETTER)
    assert result['changed'] and not result['reloaded']
    assert bed.snapshot() == before and bed.nginx.calls == []
    assert result['diff'] == [{'before_header': str(bed.available), 'after_header': str(bed.available),
                               'before': GOOD, 'after': BETTER}]


def test_rejected_change_puts_the_previous_file_back(bed):
    bed.run()
    before = bed.snapshot()
    failure = bed.fails(content=BROKEN)
    assert failure.msg == ('nginx -t failed with site demo: [emerg] unknown directive "bogus_directive" in %s:3; '
                           'site demo is back as it was and nginx was not reloaded' % bed.enabled)
    assert 'test failed' in failure.details['test_output']
    assert not failure.details['changed'] and not failure.details['reloaded']
    assert failure.details['path'] == str(bed.available)
    assert bed.snapshot() == before
    assert ['-s', 'reload'] not in bed.nginx.calls


def test_rejected_new_site_is_removed(bed):
    before = bed.snapshot()
    bed.fails(content=BROKEN)
    assert bed.snapshot() == before
    assert not os.path.lexists(str(bed.enabled)) and not bed.available.exists()


def test_configuration_broken_elsewhere_is_said(bed):
    before = bed.snapshot()
    bed.nginx.broken_elsewhere = True
    failure = bed.fails()
    assert failure.msg.startswith('nginx -t fails even without the change to site demo, so the change cannot be '
                                  'tested: [emerg] host not found in upstream "gone"')
    assert bed.snapshot() == before


def test_disabled_keeps_the_file_and_removes_the_link(bed):
    bed.run()
    result = bed.run(state='disabled', content=None)
    assert result['changed'] and result['reloaded']
    assert not os.path.lexists(str(bed.enabled)) and bed.available.read_text() == GOOD
    assert result['diff'] == [{'before_header': str(bed.enabled), 'after_header': '%s (absent)' % bed.enabled,
                               'before': 'symbolic link to %s\n' % bed.available, 'after': ''}]
    assert not bed.run(state='disabled', content=None)['changed']
    assert bed.run()['changed'] and os.path.islink(str(bed.enabled))


def test_disabled_without_content_needs_a_file(bed):
    failure = bed.fails(state='disabled', content=None)
    assert failure.msg == 'content is required with state=disabled: the site has no file %s yet' % bed.available
    assert not bed.available.exists()


def test_absent_removes_link_and_file(bed):
    bed.run()
    result = bed.run(state='absent', content=None)
    assert result['changed'] and result['reloaded']
    assert not os.path.lexists(str(bed.enabled)) and not bed.available.exists()
    assert (bed.conf_dir / 'sites-enabled' / 'default').exists()
    assert not bed.run(state='absent', content=None)['changed']


def test_conf_d_layout_enables_parks_and_removes(bed):
    result = bed.run(layout='conf.d')
    assert result['path'] == result['enabled_path'] == str(bed.active)
    assert bed.active.read_text() == GOOD
    result = bed.run(layout='conf.d', state='disabled', content=None)
    assert result['changed'] and result['path'] == str(bed.parked)
    assert not bed.active.exists() and bed.parked.read_text() == GOOD
    assert not bed.run(layout='conf.d', state='disabled', content=None)['changed']
    assert bed.run(layout='conf.d', content=BETTER)['changed']
    assert bed.active.read_text() == BETTER and not bed.parked.exists()
    assert bed.run(layout='conf.d', state='absent')['changed']
    assert not bed.active.exists() and not bed.parked.exists()


def test_auto_layout_is_conf_d_without_an_included_sites_enabled(bed):
    (bed.conf_dir / 'nginx.conf').write_text('pid %s;\nhttp {\n  include %s/conf.d/*.conf;\n}\n'
                                             % (bed.pid_file, bed.conf_dir))
    result = bed.run()
    assert result['layout'] == 'conf.d' and bed.active.read_text() == GOOD


def test_site_that_nginx_does_not_load_fails_and_is_put_back(bed):
    (bed.conf_dir / 'nginx.conf').write_text('pid %s;\nhttp {\n  include %s/conf.d/*.conf;\n}\n'
                                             % (bed.pid_file, bed.conf_dir))
    before = bed.snapshot()
    failure = bed.fails(layout='sites-available')
    assert failure.msg.startswith('nginx does not load %s: no include of its configuration matches it' % bed.enabled)
    assert bed.snapshot() == before


def test_disabled_file_that_nginx_still_loads_fails(bed):
    (bed.conf_dir / 'nginx.conf').write_text('pid %s;\nhttp {\n  include %s/conf.d/*;\n}\n'
                                             % (bed.pid_file, bed.conf_dir))
    bed.run(layout='conf.d')
    before = bed.snapshot()
    failure = bed.fails(layout='conf.d', state='disabled', content=None)
    assert failure.msg.startswith('nginx still loads %s, so site demo cannot be disabled there' % bed.parked)
    assert bed.snapshot() == before


def test_nginx_not_running_is_reported_and_not_started(bed):
    bed.pid_file.unlink()
    result = bed.run()
    assert result['changed'] and not result['reloaded'] and result['nginx_running'] is False
    assert result['warnings'] == ['nginx is not running: site demo is written and tested but not served; the '
                                  'module does not start nginx']
    assert bed.nginx.calls == [['-T']]


def test_a_stale_pid_file_is_not_a_running_nginx(bed):
    (bed.proc / '4242' / 'cmdline').write_bytes(b'/usr/bin/python3\0-m\0http.server\0')
    result = bed.run()
    assert not result['reloaded'] and result['nginx_running'] is False
    assert ['-s', 'reload'] not in bed.nginx.calls


def test_pid_file_from_the_binary_when_the_configuration_has_none(bed):
    (bed.conf_dir / 'nginx.conf').write_text(DEBIAN_CONF.format(pid='', conf_dir=bed.conf_dir).replace('pid ;\n', ''))
    result = bed.run()
    assert result['reloaded'] and bed.nginx.calls == [['-T'], ['-V'], ['-s', 'reload']]


def test_reload_false_tests_but_does_not_reload(bed):
    result = bed.run(reload=False)
    assert result['changed'] and not result['reloaded'] and 'nginx_running' not in result
    assert bed.nginx.calls == [['-T']]


def test_failed_reload_puts_the_previous_file_back(bed):
    bed.run()
    before = bed.snapshot()
    bed.nginx.reload_rc = 1
    failure = bed.fails(content=BETTER)
    assert failure.msg == ('reloading nginx failed: [alert] kill(1, 1) failed; nginx keeps the old configuration; '
                           'site demo is back as it was')
    assert bed.snapshot() == before


def test_nginx_warnings_become_module_warnings(bed):
    def warn(argv):
        rc, out, err = FakeNginx.__call__(bed.nginx, argv)
        return rc, out, 'nginx: [warn] conflicting server name "demo.test" on 0.0.0.0:80, ignored\n' + err

    result = SiteRun(params(conf_dir=str(bed.conf_dir)), warn, '/usr/sbin/nginx', check_mode=False,
                     debian_family=True, proc_dir=str(bed.proc)).run()
    assert result['warnings'] == ['nginx -t: [warn] conflicting server name "demo.test" on 0.0.0.0:80, ignored']


def test_missing_nginx_fails_before_anything_changes(bed):
    before = bed.snapshot()
    failure = bed.fails(binary=None)
    assert failure.msg == 'nginx_binary: nginx is not installed'
    assert bed.snapshot() == before and bed.nginx.calls == []
    # Nothing to remove: state=absent does not need nginx.
    assert not bed.run(binary=None, state='absent')['changed']


def test_check_mode_on_a_host_without_nginx_reports_what_it_would_write(tmp_path):
    conf_dir = tmp_path / 'nginx'
    result = SiteRun(params(conf_dir=str(conf_dir)), None, None, 'nginx_binary: nginx is not installed',
                     check_mode=True, debian_family=True).run()
    assert result['changed'] and result['layout'] == 'sites-available'
    assert result['warnings'][0] == ('nginx_binary: nginx is not installed: check mode reports what would change '
                                     'without testing it')
    assert 'sites-available does not exist (layout sites-available)' in result['warnings'][1]
    assert result['diff'][0]['after'] == GOOD
    assert not conf_dir.exists()


def test_check_mode_without_nginx_cannot_tell_whether_a_disabled_site_will_exist(tmp_path):
    result = SiteRun(params(conf_dir=str(tmp_path / 'nginx'), name='default', state='disabled', content=None), None,
                     None, 'nginx_binary: nginx is not installed', check_mode=True, debian_family=True).run()
    assert not result['changed'] and result['diff'] == []
    assert result['warnings'][-1].startswith('content is required with state=disabled: the site has no file ')


def test_missing_directory_is_named(bed):
    (bed.conf_dir / 'conf.d').rmdir()
    failure = bed.fails(layout='conf.d')
    assert failure.msg == ('conf_dir: %s/conf.d does not exist (layout conf.d); install nginx first, or choose the '
                           'layout its configuration includes' % bed.conf_dir)


def test_a_directory_in_the_way_is_named(bed):
    bed.available.mkdir()
    failure = bed.fails()
    assert failure.msg == '%s is neither a file nor a symbolic link: remove it or choose another name' % bed.available


def test_failed_write_puts_back_what_was_written(bed, monkeypatch):
    real_rename = os.rename

    def rename(source, target):
        if target == str(bed.enabled):
            raise OSError(28, 'No space left on device')
        return real_rename(source, target)

    before = bed.snapshot()
    monkeypatch.setattr(os, 'rename', rename)
    failure = bed.fails()
    assert failure.msg == ('writing %s failed: [Errno 28] No space left on device; site demo is back as it was'
                           % bed.enabled)
    assert bed.snapshot() == before
    assert not [name for name in os.listdir(bed.conf_dir / 'sites-enabled') if name.startswith('.')]


def test_failed_put_back_is_a_change_and_says_so(bed, monkeypatch):
    bed.run()
    real_rename = os.rename
    writes = []

    def rename(source, target):
        writes.append(target)
        if len(writes) > 1:
            raise OSError(5, 'Input/output error')
        return real_rename(source, target)

    monkeypatch.setattr(os, 'rename', rename)
    failure = bed.fails(content=BROKEN)
    assert failure.details['changed']
    assert failure.msg.endswith('putting the previous files back failed too: %s ([Errno 5] Input/output error); '
                                'fix them by hand before nginx reloads' % bed.available)
