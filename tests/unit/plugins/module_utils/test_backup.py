# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Backup ids, pruning, mount plans, manifests, archive member checks, archives on disk, and
one BackupRun over a small in-memory engine whose volumes live under tmp_path. No Docker.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import io
import json
import os
import shutil
import stat
import tarfile

import pytest
from docker.errors import APIError, NotFound

from ansible_collections.docops.onlyoffice.plugins.module_utils import _backup as backup
from ansible_collections.docops.onlyoffice.plugins.module_utils._docker import ModuleFailure

AS_ROOT = os.geteuid() == 0
NOW = datetime.datetime(2026, 11, 22, 4, 35, 0, tzinfo=datetime.timezone.utc)
ANONYMOUS = 'a' * 64


def params(**overrides):
    values = dict(container='onlyoffice-documentserver', state='present', dest='/var/backups/docops-onlyoffice',
                  keep=3, backup=None, exclude=[], stop_timeout=60, docker_host='unix:///var/run/docker.sock')
    values.update(overrides)
    return values


# ---------------------------------------------------------------- parameters

def test_default_parameters_are_valid():
    assert backup.parameter_problem(params()) is None
    assert backup.parameter_problem(params(state='restored', backup='20261122T043500Z-2')) is None


@pytest.mark.parametrize('overrides, message', [
    (dict(keep=0), 'keep must be >= 1 and <= 100, got 0'),
    (dict(keep=101), 'keep must be >= 1 and <= 100, got 101'),
    (dict(keep=10 ** 30), 'keep must be >= 1 and <= 100, got 1000000000000000000000000000000'),
    (dict(keep=float('nan')), 'keep must be a finite number, got nan'),
    (dict(stop_timeout=0), 'stop_timeout must be >= 1 and <= 3600, got 0'),
    (dict(stop_timeout=3601), 'stop_timeout must be >= 1 and <= 3600, got 3601'),
    (dict(dest='backups'), "dest must be an absolute path, got 'backups'"),
    (dict(dest=''), "dest must be an absolute path, got ''"),
    (dict(container='../etc'), "container must be the name or id of a container, got '../etc'"),
    (dict(container=''), "container must be the name or id of a container, got ''"),
    (dict(backup='20261122T043500Z'), 'backup names the backup to restore: use it with state=restored only'),
    (dict(state='restored', backup='../20261122T043500Z'),
     "backup must be a backup id such as 20261122T043500Z, got '../20261122T043500Z'"),
    (dict(state='restored', backup='20261122T043500Z.partial'),
     "backup must be a backup id such as 20261122T043500Z, got '20261122T043500Z.partial'"),
    (dict(exclude=['/var/log/onlyoffice', 'logs/x']),
     "exclude[1] must be a volume name or an absolute path in the container, got 'logs/x'"),
])
def test_invalid_parameters_are_named_in_one_line(overrides, message):
    assert backup.parameter_problem(params(**overrides)) == message


# ---------------------------------------------------------------- ids and pruning

def test_id_is_the_utc_timestamp():
    assert backup.next_id(NOW, []) == '20261122T043500Z'
    assert backup.next_id(NOW, ['20261121T000000Z', 'notes', 'lost+found']) == '20261122T043500Z'


def test_id_taken_in_the_same_second_gets_a_number():
    assert backup.next_id(NOW, ['20261122T043500Z']) == '20261122T043500Z-2'
    assert backup.next_id(NOW, ['20261122T043500Z', '20261122T043500Z-2']) == '20261122T043500Z-3'


def test_id_sorts_last_even_when_the_clock_went_back():
    assert backup.next_id(NOW, ['20271231T235959Z']) == '20271231T235959Z-2'


def test_partial_directories_are_taken_ids():
    names = ['20261122T043500Z.partial']
    assert backup.taken_ids(names) == ['20261122T043500Z']
    assert backup.next_id(NOW, backup.taken_ids(names)) == '20261122T043500Z-2'


def test_ids_sort_by_time_then_number():
    ids = ['20261122T043500Z-10', '20261122T043500Z', 'x', '20261122T043500Z-2', '20261121T043500Z']
    assert backup.sort_ids(ids) == ['20261121T043500Z', '20261122T043500Z', '20261122T043500Z-2',
                                    '20261122T043500Z-10']


@pytest.mark.parametrize('keep, pruned', [
    (1, ['20261120T000000Z', '20261121T000000Z', '20261122T000000Z']),
    (2, ['20261120T000000Z', '20261121T000000Z']),
    (4, []),
    (100, []),
])
def test_pruning_keeps_the_newest(keep, pruned):
    ids = ['20261123T000000Z', '20261121T000000Z', '20261120T000000Z', '20261122T000000Z']
    assert backup.choose_pruned(ids, keep) == pruned


# ---------------------------------------------------------------- mounts, volumes, manifests

MOUNTS = [
    {'Type': 'volume', 'Name': 'ds_logs', 'Destination': '/var/log/onlyoffice', 'Driver': 'local'},
    {'Type': 'volume', 'Name': 'ds_data', 'Destination': '/var/www/onlyoffice/Data', 'Driver': 'local'},
    {'Type': 'bind', 'Source': '/srv/fonts', 'Destination': '/usr/share/fonts/truetype/custom'},
    {'Type': 'volume', 'Name': ANONYMOUS, 'Destination': '/var/lib/redis', 'Driver': 'local'},
    {'Type': 'tmpfs', 'Source': '', 'Destination': '/tmp'},
    {'Type': 'volume', 'Name': 'ds_lib', 'Destination': '/var/lib/onlyoffice', 'Driver': 'local'},
]


def test_only_named_volumes_are_backed_up_and_the_rest_is_listed():
    volumes, not_included, unused = backup.plan_mounts(MOUNTS)
    assert volumes == [{'name': 'ds_lib', 'target': '/var/lib/onlyoffice'},
                       {'name': 'ds_logs', 'target': '/var/log/onlyoffice'},
                       {'name': 'ds_data', 'target': '/var/www/onlyoffice/Data'}]
    assert [(mount['type'], mount['source'], mount['target']) for mount in not_included] == [
        ('tmpfs', '', '/tmp'),
        ('bind', '/srv/fonts', '/usr/share/fonts/truetype/custom'),
        ('volume', ANONYMOUS, '/var/lib/redis'),
    ]
    assert not_included[1]['reason'] == 'bind mount: only named volumes are backed up'
    assert not_included[2]['reason'].startswith('anonymous volume: a recreated container gets a new empty one')
    assert unused == []


def test_exclude_matches_a_container_path_or_a_volume_name():
    exclude = ['/var/log/onlyoffice/', 'ds_lib', '/nowhere', 'nothing']
    volumes, not_included, unused = backup.plan_mounts(MOUNTS, exclude)
    assert volumes == [{'name': 'ds_data', 'target': '/var/www/onlyoffice/Data'}]
    assert [(mount['source'], mount['reason']) for mount in not_included if mount['reason'] == 'excluded'] == [
        ('ds_lib', 'excluded'), ('ds_logs', 'excluded')]
    assert unused == ['/nowhere', 'nothing']


@pytest.mark.parametrize('volume, fragment', [
    ({'Name': 'v', 'Driver': 'local', 'Options': None}, None),
    ({'Name': 'v', 'Driver': 'local', 'Options': {}}, None),
    ({'Name': 'v', 'Driver': 'rexray'}, 'volume v uses the volume driver rexray'),
    ({'Name': 'v', 'Driver': 'local', 'Options': {'type': 'nfs', 'o': 'addr=10.0.0.1', 'device': ':/export'}},
     'volume v is mounted from :/export only while a container uses it'),
    ({'Name': 'v', 'Driver': 'local', 'Options': {'type': 'none', 'o': 'bind', 'device': '/srv/v'}},
     'volume v is mounted from /srv/v'),
])
def test_volumes_that_cannot_be_read_from_their_mountpoint_are_refused(volume, fragment):
    problem = backup.volume_problem(volume)
    assert problem == fragment if fragment is None else fragment in problem


def manifest(**overrides):
    volumes = [{'name': 'ds_data', 'target': '/var/www/onlyoffice/Data', 'labels': {'app': 'docs'}},
               {'name': 'ds_logs', 'target': '/var/log/onlyoffice'}]
    value = backup.build_manifest('onlyoffice-documentserver', 'onlyoffice/documentserver:9.3', 'sha256:' + '1' * 64,
                                  NOW, volumes)
    value.update(overrides)
    return value


def test_manifest_records_the_container_image_time_and_volumes():
    assert manifest() == {
        'format': 1, 'container': 'onlyoffice-documentserver', 'image': 'onlyoffice/documentserver:9.3',
        'image_id': 'sha256:' + '1' * 64, 'created': '2026-11-22T04:35:00Z',
        'volumes': {'ds_data': '/var/www/onlyoffice/Data', 'ds_logs': '/var/log/onlyoffice'},
        'volume_labels': {'ds_data': {'app': 'docs'}, 'ds_logs': {}},
    }
    assert backup.manifest_problem(json.loads(json.dumps(manifest())), 'onlyoffice-documentserver', 'X') is None


@pytest.mark.parametrize('value, message', [
    (manifest(container='other'), "backup X is a backup of container 'other', not of onlyoffice-documentserver"),
    (manifest(format=2), 'backup X: manifest.json is not a manifest of format 1'),
    ([], 'backup X: manifest.json is not a manifest of format 1'),
    (manifest(volumes={}), 'backup X: the manifest lists no volumes'),
    (manifest(volumes={'../etc': '/etc'}), "backup X: the manifest has an invalid volume entry '../etc': '/etc'"),
    (manifest(volumes={'v': 'relative'}), "backup X: the manifest has an invalid volume entry 'v': 'relative'"),
])
def test_manifest_problems_are_named(value, message):
    assert backup.manifest_problem(value, 'onlyoffice-documentserver', 'X') == message


def test_restore_plan_follows_the_manifest_minus_the_excluded():
    volumes, not_included = backup.restore_plan(manifest(), ['/var/log/onlyoffice'])
    assert volumes == [{'name': 'ds_data', 'target': '/var/www/onlyoffice/Data', 'labels': {'app': 'docs'}}]
    assert not_included == [{'type': 'volume', 'source': 'ds_logs', 'target': '/var/log/onlyoffice',
                             'reason': 'excluded'}]


# ---------------------------------------------------------------- archive members

def member(name, kind=tarfile.REGTYPE, linkname=''):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


def first_problem(members):
    check = backup.MemberCheck()
    for item in members:
        problem = check.problem(item)
        if problem:
            return problem
    return None


def test_ordinary_members_pass():
    assert first_problem([member('.', tarfile.DIRTYPE), member('./a', tarfile.DIRTYPE), member('./a/f'),
                          member('./a/abs-link', tarfile.SYMTYPE, '/var/lib/onlyoffice/f'),
                          member('./a/up-link', tarfile.SYMTYPE, '../../elsewhere'),
                          member('./a/hard', tarfile.LNKTYPE, './a/f'), member('./fifo', tarfile.FIFOTYPE)]) is None


@pytest.mark.parametrize('members, message', [
    ([member('/etc/passwd')], "member '/etc/passwd' has an absolute or empty name"),
    ([member('./a/../../etc/passwd')], "member './a/../../etc/passwd' has .. in its name"),
    ([member('..')], "member '..' has .. in its name"),
    ([member('./f'), member('f')], "member 'f' is in the archive twice"),
    ([member('./l', tarfile.SYMTYPE, '/etc'), member('./l/passwd')],
     "member './l/passwd' is below the symbolic link 'l'"),
    ([member('./d', tarfile.DIRTYPE), member('./d/l', tarfile.SYMTYPE, '/'), member('./d/l/x/y', tarfile.DIRTYPE)],
     "member './d/l/x/y' is below the symbolic link 'd/l'"),
    ([member('./h', tarfile.LNKTYPE, '/etc/shadow')], "member './h' is a hard link to '/etc/shadow'"),
    ([member('./h', tarfile.LNKTYPE, '../x')], "member './h' is a hard link to '../x'"),
    ([member('./l', tarfile.SYMTYPE, '/etc/shadow'), member('./h', tarfile.LNKTYPE, './l')],
     "member './h' is a hard link to './l'"),
    ([member('./h', tarfile.LNKTYPE, './later'), member('./later')], "member './h' is a hard link to './later'"),
    ([member('./sda', tarfile.BLKTYPE)], "member './sda' is a device file"),
    ([member('./null', tarfile.CHRTYPE)], "member './null' is a device file"),
    ([member('.', tarfile.SYMTYPE, '/')], 'the top of the archive is not a directory'),
])
def test_unsafe_members_are_refused(members, message):
    assert first_problem(members).startswith(message)


# ---------------------------------------------------------------- archives on disk

def make_volume(root):
    """A volume's data: a directory with an owner and mode, a file, symlinks, a hard link."""
    os.makedirs(str(root / 'config'))
    (root / 'config' / 'local.json').write_text('{"secret": 1}\n')
    os.chmod(str(root / 'config' / 'local.json'), 0o640)
    os.chmod(str(root / 'config'), 0o750)
    os.symlink('config/local.json', str(root / 'relative-link'))
    os.symlink('/var/www/onlyoffice/Data/config', str(root / 'absolute-link'))
    os.link(str(root / 'config' / 'local.json'), str(root / 'hard-link'))
    os.chmod(str(root), 0o711)
    if AS_ROOT:
        os.chown(str(root / 'config' / 'local.json'), 1234, 2345)
        os.lchown(str(root / 'relative-link'), 1234, 2345)
        os.chown(str(root), 999, 999)


def snapshot(root):
    """Everything a restore must bring back, by relative path."""
    found = {}
    for folder, dirs, files in os.walk(str(root)):
        for name in [''] + dirs + files:
            path = os.path.join(folder, name) if name else folder
            if name == '' and folder != str(root):
                continue
            info = os.lstat(path)
            content = os.readlink(path) if stat.S_ISLNK(info.st_mode) else (
                open(path, 'rb').read() if stat.S_ISREG(info.st_mode) else None)
            found[os.path.relpath(path, str(root))] = (stat.S_IFMT(info.st_mode), stat.S_IMODE(info.st_mode),
                                                       info.st_uid, info.st_gid, content)
    return found


def test_archive_round_trip_keeps_owners_modes_and_links(tmp_path):
    source, target = tmp_path / 'source', tmp_path / 'target'
    source.mkdir()
    target.mkdir()
    make_volume(source)
    archive = str(tmp_path / 'v.tar.gz')
    size = backup.write_archive(str(source), archive)
    assert size == os.path.getsize(archive) and stat.S_IMODE(os.stat(archive).st_mode) == 0o600
    assert backup.check_archive(archive) == 6
    backup.extract_archive(archive, str(target))
    assert snapshot(target) == snapshot(source)
    assert os.stat(str(target / 'hard-link')).st_ino == os.stat(str(target / 'config' / 'local.json')).st_ino
    if AS_ROOT:
        assert os.stat(str(target / 'config' / 'local.json')).st_uid == 1234


def test_write_archive_never_replaces_a_file(tmp_path):
    (tmp_path / 'source').mkdir()
    (tmp_path / 'v.tar.gz').write_text('earlier')
    with pytest.raises(OSError):
        backup.write_archive(str(tmp_path / 'source'), str(tmp_path / 'v.tar.gz'))
    assert (tmp_path / 'v.tar.gz').read_text() == 'earlier'


@pytest.mark.skipif(not AS_ROOT, reason='creating a device file needs root')
def test_a_volume_with_a_device_file_is_not_backed_up(tmp_path):
    (tmp_path / 'source').mkdir()
    os.mknod(str(tmp_path / 'source' / 'null'), 0o600 | stat.S_IFCHR, os.makedev(1, 3))
    with pytest.raises(backup.ArchiveError, match="member './null' is a device file"):
        backup.write_archive(str(tmp_path / 'source'), str(tmp_path / 'v.tar.gz'))


def test_a_damaged_archive_is_noticed_before_extracting(tmp_path):
    (tmp_path / 'source').mkdir()
    (tmp_path / 'source' / 'big').write_bytes(os.urandom(200000))
    archive = str(tmp_path / 'v.tar.gz')
    backup.write_archive(str(tmp_path / 'source'), archive)
    with open(archive, 'rb') as handle:
        data = handle.read()
    with open(archive, 'wb') as handle:
        handle.write(data[:len(data) // 2])
    with pytest.raises(backup.ARCHIVE_ERRORS):
        backup.check_archive(archive)
    with open(archive, 'wb') as handle:
        handle.write(data[:-8] + bytes(8))  # checksum and length of the gzip trailer
    with pytest.raises(backup.ARCHIVE_ERRORS):
        backup.check_archive(archive)


def hostile_archive(path, outside):
    """A link to OUTSIDE, then a file written through it."""
    with tarfile.open(path, 'w:gz') as tar:
        tar.addfile(member('.', tarfile.DIRTYPE))
        tar.addfile(member('./escape', tarfile.SYMTYPE, outside))
        payload = b'owned\n'
        info = member('./escape/owned')
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))


def test_extraction_never_writes_through_a_link(tmp_path):
    outside, target = tmp_path / 'outside', tmp_path / 'target'
    outside.mkdir()
    target.mkdir()
    archive = str(tmp_path / 'hostile.tar.gz')
    hostile_archive(archive, str(outside))
    with pytest.raises(backup.ArchiveError, match="below the symbolic link 'escape'"):
        backup.check_archive(archive)
    with pytest.raises(backup.ArchiveError):
        backup.extract_archive(archive, str(target))
    assert os.listdir(str(outside)) == [] and os.listdir(str(target)) == []


def test_empty_dir_removes_links_not_what_they_point_to(tmp_path):
    kept, volume = tmp_path / 'kept', tmp_path / 'volume'
    kept.mkdir()
    (kept / 'file').write_text('x')
    (volume / 'sub').mkdir(parents=True)
    (volume / 'sub' / 'f').write_text('x')
    os.symlink(str(kept), str(volume / 'dir-link'))
    os.symlink(str(kept / 'file'), str(volume / 'file-link'))
    backup.empty_dir(str(volume))
    assert os.listdir(str(volume)) == [] and (kept / 'file').read_text() == 'x'


def test_listing_tells_complete_backups_from_partial_ones(tmp_path):
    for name in ('20261120T000000Z', '20261121T000000Z', '20261122T000000Z.partial', '20261123T000000Z', 'notes'):
        (tmp_path / name).mkdir()
    for name in ('20261121T000000Z', '20261120T000000Z', 'notes'):
        (tmp_path / name / backup.MANIFEST).write_text('{}')
    complete, partial, names = backup.list_backups(str(tmp_path))
    assert complete == ['20261120T000000Z', '20261121T000000Z']
    assert partial == ['20261122T000000Z.partial']
    assert len(names) == 5
    assert backup.list_backups(str(tmp_path / 'missing')) == ([], [], [])


# ---------------------------------------------------------------- one run over an in-memory engine

class FakeEngine:
    """The docker.APIClient calls BackupRun makes; volumes are directories under ROOT."""

    def __init__(self, root, running=True):
        self.root = root
        self.volumes = {}
        self.running = running
        self.calls = []
        self.mounts = []
        self.users = []  # other containers, as `docker ps` entries

    def add_volume(self, name, target):
        mountpoint = self.root / name / '_data'
        mountpoint.mkdir(parents=True)
        self.volumes[name] = {'Name': name, 'Driver': 'local', 'Mountpoint': str(mountpoint), 'Labels': {'l': name},
                              'Options': None}
        self.mounts.append({'Type': 'volume', 'Name': name, 'Destination': target, 'Driver': 'local'})
        return mountpoint

    def inspect_container(self, name):
        if name != 'ds':
            raise NotFound('404 Client Error', explanation='No such container: %s' % name)
        return {'Id': 'c' * 64, 'Name': '/ds', 'Image': 'sha256:' + '1' * 64,
                'Config': {'Image': 'onlyoffice/documentserver:9.3'}, 'State': {'Running': self.running},
                'Mounts': self.mounts}

    def inspect_volume(self, name):
        if name not in self.volumes:
            raise NotFound('404 Client Error', explanation='get %s: no such volume' % name)
        return self.volumes[name]

    def create_volume(self, name, labels=None):
        self.calls.append(('create_volume', name, labels))
        mountpoint = self.root / name / '_data'
        mountpoint.mkdir(parents=True)
        self.volumes[name] = {'Name': name, 'Driver': 'local', 'Mountpoint': str(mountpoint), 'Labels': labels}

    def containers(self, all=False, filters=None):
        return [user for user in self.users if filters['volume'] in user['volumes']]

    def exec_create(self, name, command):
        self.calls.append(('exec', name))
        return 'exec-id'

    def exec_start(self, exec_id):
        return b'absent\n'

    timeout = 60

    def stop(self, name, timeout=None):
        self.calls.append(('stop', name, timeout))
        self.running = False

    def start(self, name):
        self.calls.append(('start', name))
        self.running = True


@pytest.fixture
def engine(tmp_path):
    engine = FakeEngine(tmp_path / 'volumes')
    data = engine.add_volume('ds_data', '/var/www/onlyoffice/Data')
    (data / 'file').write_text('v1')
    logs = engine.add_volume('ds_logs', '/var/log/onlyoffice')
    (logs / 'log').write_text('log1')
    return engine


def run(engine, tmp_path, check_mode=False, now=NOW, **overrides):
    values = params(container='ds', dest=str(tmp_path / 'backups'), **overrides)
    return backup.BackupRun(engine, values, check_mode=check_mode, now=lambda: now)


def test_check_mode_reports_the_backup_and_changes_nothing(engine, tmp_path):
    result = run(engine, tmp_path, check_mode=True).present()
    assert result['changed'] and result['stopped']
    assert result['backup']['id'] == '20261122T043500Z'
    assert [volume['name'] for volume in result['volumes']] == ['ds_logs', 'ds_data']
    assert result['diff'] == {'before': {'backups': [], 'container': 'running'},
                              'after': {'backups': ['20261122T043500Z'], 'container': 'stopped'}}
    assert engine.running and engine.calls == [] and not (tmp_path / 'backups').exists()


def test_backup_stops_the_container_writes_private_files_and_prunes(engine, tmp_path):
    first = run(engine, tmp_path, keep=2).present()
    assert first['stopped'] and not engine.running
    assert first['actions'] == ['stop container', 'archive ds_logs', 'archive ds_data']
    path = tmp_path / 'backups' / 'ds' / '20261122T043500Z'
    assert sorted(os.listdir(str(path))) == ['ds_data.tar.gz', 'ds_logs.tar.gz', 'manifest.json']
    assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(str(tmp_path / 'backups' / 'ds')).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(str(path / 'manifest.json')).st_mode) == 0o600
    assert json.loads((path / 'manifest.json').read_text())['volume_labels'] == {'ds_data': {'l': 'ds_data'},
                                                                                 'ds_logs': {'l': 'ds_logs'}}
    second = run(engine, tmp_path, keep=2).present()
    assert not second['stopped'] and second['backup']['id'] == '20261122T043500Z-2'
    (tmp_path / 'backups' / 'ds' / '20261122T043500Z-3.partial').mkdir()  # an interrupted run
    third = run(engine, tmp_path, keep=2).present()
    assert third['backup']['id'] == '20261122T043500Z-4'
    assert third['removed'] == ['20261122T043500Z']
    assert third['backups'] == ['20261122T043500Z-2', '20261122T043500Z-4']
    assert sorted(os.listdir(str(tmp_path / 'backups' / 'ds'))) == third['backups']


def test_failed_backup_removes_its_directory_and_starts_the_container_again(engine, tmp_path, monkeypatch):
    run(engine, tmp_path).present()
    engine.running = True

    def full_disk(source, path):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(backup, 'write_archive', full_disk)
    with pytest.raises(ModuleFailure) as failure:
        run(engine, tmp_path).present()
    archive = tmp_path / 'backups' / 'ds' / '20261122T043500Z-2.partial' / 'ds_logs.tar.gz'
    assert failure.value.msg == ('archiving volume ds_logs to %s failed: [Errno 28] No space left on device; '
                                 'container ds was started again' % archive)
    assert failure.value.details['stopped'] is False and failure.value.details['changed'] is True
    assert engine.running
    assert os.listdir(str(tmp_path / 'backups' / 'ds')) == ['20261122T043500Z']


def test_missing_container_and_nothing_to_back_up_fail_before_any_change(engine, tmp_path):
    with pytest.raises(ModuleFailure, match='^container nothere does not exist$'):
        backup.BackupRun(engine, params(container='nothere', dest=str(tmp_path))).present()
    with pytest.raises(ModuleFailure, match=r'^container ds has no named volume to back up \(2 other mounts'):
        run(engine, tmp_path, exclude=['ds_data', '/var/log/onlyoffice']).present()
    assert engine.calls == [] and engine.running and not (tmp_path / 'backups').exists()


def test_restore_replaces_the_data_and_creates_missing_volumes(engine, tmp_path):
    taken = run(engine, tmp_path).present()
    engine.running = True
    data = tmp_path / 'volumes' / 'ds_data' / '_data'
    (data / 'file').write_text('v2 migrated')
    (data / 'new').write_text('from the new release')
    del engine.volumes['ds_logs']
    shutil.rmtree(str(tmp_path / 'volumes' / 'ds_logs'))
    restored = run(engine, tmp_path, state='restored').restored()
    assert restored['backup']['id'] == taken['backup']['id'] and restored['stopped'] and not engine.running
    assert os.listdir(str(data)) == ['file'] and (data / 'file').read_text() == 'v1'
    assert ('create_volume', 'ds_logs', {'l': 'ds_logs'}) in engine.calls
    assert restored['diff']['after']['volumes'] == {'ds_data': 'backup 20261122T043500Z',
                                                    'ds_logs': 'backup 20261122T043500Z'}
    assert restored['diff']['before']['volumes'] == {'ds_data': 'current data', 'ds_logs': 'absent'}


def test_restore_in_check_mode_changes_nothing(engine, tmp_path):
    run(engine, tmp_path).present()
    engine.running, engine.calls = True, []
    (tmp_path / 'volumes' / 'ds_data' / '_data' / 'file').write_text('v2')
    checked = run(engine, tmp_path, check_mode=True, state='restored').restored()
    assert checked['changed'] and checked['stopped'] and checked['backup']['id'] == '20261122T043500Z'
    assert checked['actions'] == ['stop container', 'restore ds_logs', 'restore ds_data']
    assert engine.running and engine.calls == []
    assert (tmp_path / 'volumes' / 'ds_data' / '_data' / 'file').read_text() == 'v2'


def test_restore_checks_everything_before_changing_anything(engine, tmp_path):
    run(engine, tmp_path).present()
    engine.running, engine.calls = True, []
    path = tmp_path / 'backups' / 'ds' / '20261122T043500Z'
    with pytest.raises(ModuleFailure, match='^backup 20261122T043500Z-9 of container ds is not in'):
        run(engine, tmp_path, state='restored', backup='20261122T043500Z-9').restored()
    os.unlink(str(path / 'ds_logs.tar.gz'))
    with pytest.raises(ModuleFailure, match='^checking the archive .*ds_logs.tar.gz of backup 20261122T043500Z failed: '
                                            r'\[Errno 2\] No such file or directory'):
        run(engine, tmp_path, state='restored').restored()
    hostile_archive(str(path / 'ds_logs.tar.gz'), '/etc')
    with pytest.raises(ModuleFailure, match="member './escape/owned' is below the symbolic link 'escape'"):
        run(engine, tmp_path, state='restored').restored()
    assert engine.running and engine.calls == []


def test_restore_refuses_a_volume_used_by_another_running_container(engine, tmp_path):
    run(engine, tmp_path).present()
    engine.calls = []
    engine.users = [{'Id': 'd' * 64, 'Names': ['/reader'], 'State': 'running', 'volumes': ['ds_data']}]
    with pytest.raises(ModuleFailure, match=r'^volume ds_data is in use by the running container\(s\) reader'):
        run(engine, tmp_path, state='restored').restored()
    assert engine.calls == []


def test_restore_of_another_containers_backup_is_refused(engine, tmp_path):
    run(engine, tmp_path).present()
    manifest_path = tmp_path / 'backups' / 'ds' / '20261122T043500Z' / 'manifest.json'
    value = json.loads(manifest_path.read_text())
    value['container'] = 'other'
    manifest_path.write_text(json.dumps(value))
    with pytest.raises(ModuleFailure, match="^backup 20261122T043500Z is a backup of container 'other', not of ds$"):
        run(engine, tmp_path, state='restored').restored()


def test_stop_failure_is_one_line_naming_the_operation(engine, tmp_path):
    def refuse(name, timeout=None):
        raise APIError('500 Server Error', explanation='cannot stop container: permission denied')

    engine.stop = refuse
    with pytest.raises(ModuleFailure) as failure:
        run(engine, tmp_path).present()
    assert failure.value.msg == ('Cannot stop container ds: an unexpected Docker error occurred: cannot stop '
                                 'container: permission denied')
    assert os.listdir(str(tmp_path / 'backups' / 'ds')) == []
