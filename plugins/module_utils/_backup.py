# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Backups of a container's named volumes, and their restore (module container_backup).

Three parts, from pure to effectful:

- pure logic: parameter checks, backup ids, which backups to prune, which mounts are
  backed up, manifest checks, which archive members are safe (unit-tested without Docker);
- files: archives written and checked with tarfile, backups listed and removed (no Docker);
- ``BackupRun``: one module call, driving the Docker engine and the files.

A backup is the directory ``<dest>/<container>/<id>/`` holding ``manifest.json`` and one
``<volume>.tar.gz`` per volume. It is written as ``<id>.partial`` and renamed when complete,
so only a directory named like an id that holds a manifest counts as a backup.
Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import datetime
import gzip
import json
import os
import posixpath
import re
import shutil
import tarfile
import zlib

from ansible_collections.docops.onlyoffice.plugins.module_utils._container_spec import (
    ANONYMOUS_VOLUME_RE,
    NAME_RE,
)
from ansible_collections.docops.onlyoffice.plugins.module_utils._docker import (
    DockerException,
    ModuleFailure,
    NotFound,
    RequestException,
    docker_errors,
    drain as drain_container,
    inspect_container,
    one_line,
)
from ansible_collections.docops.onlyoffice.plugins.module_utils._documentserver_spec import PREPARE_FOR_SHUTDOWN
from ansible_collections.docops.onlyoffice.plugins.module_utils._files import fsync_dir
from ansible_collections.docops.onlyoffice.plugins.module_utils._validate import Range, first_number_problem

DEFAULT_DEST = '/var/backups/docops-onlyoffice'
MANIFEST = 'manifest.json'
MANIFEST_FORMAT = 1
ARCHIVE_SUFFIX = '.tar.gz'
PARTIAL_SUFFIX = '.partial'
DIR_MODE = 0o700
FILE_MODE = 0o600
RANGES = {'keep': Range(1, 100), 'stop_timeout': Range(1, 3600)}

# A sortable UTC timestamp, with -2, -3... when one was taken in the same second.
_ID_RE = re.compile(r'^(\d{8}T\d{6}Z)(?:-([1-9][0-9]*))?$')
_STAMP_FORMAT = '%Y%m%dT%H%M%SZ'
_CREATED_FORMAT = '%Y-%m-%dT%H:%M:%SZ'
_EXAMPLE_ID = '20261122T043500Z'


class ArchiveError(Exception):
    """An archive member that is refused, or a damaged archive; the message names it."""


# ---------------------------------------------------------------- pure logic

def parameter_problem(params):
    """One line naming the first invalid module parameter, or None. Runs before anything changes."""
    problem = first_number_problem(params, RANGES)
    if problem:
        return problem
    container = params.get('container') or ''
    if not NAME_RE.match(container):
        return 'container must be the name or id of a container, got %r' % container
    dest = params.get('dest') or ''
    if not posixpath.isabs(dest):
        return 'dest must be an absolute path, got %r' % dest
    backup = params.get('backup')
    if backup is not None:
        if params.get('state') != 'restored':
            return 'backup names the backup to restore: use it with state=restored only'
        if not _ID_RE.match(backup):
            return 'backup must be a backup id such as %s, got %r' % (_EXAMPLE_ID, backup)
    for index, entry in enumerate(params.get('exclude') or []):
        if not (posixpath.isabs(entry) or NAME_RE.match(entry)):
            return 'exclude[%d] must be a volume name or an absolute path in the container, got %r' % (index, entry)
    return None


def is_backup_id(name):
    return bool(_ID_RE.match(name))


def id_key(backup_id):
    """Sort key of a backup id: its timestamp, then its number (1 without a suffix)."""
    match = _ID_RE.match(backup_id)
    return match.group(1), int(match.group(2) or 1)


def sort_ids(names):
    """The names that are backup ids, oldest first."""
    return sorted((name for name in names if is_backup_id(name)), key=id_key)


def next_id(now, taken):
    """The id of a backup taken at NOW (a UTC datetime): its timestamp, made to sort after
    every id in TAKEN, so that the newest backup is always the last one taken, even after
    the clock went back (pruning then never removes the backup just taken)."""
    stamp = now.strftime(_STAMP_FORMAT)
    ids = sort_ids(taken)
    if not ids or (stamp, 1) > id_key(ids[-1]):
        return stamp
    last_stamp, number = id_key(ids[-1])
    return '%s-%d' % (last_stamp, number + 1)


def choose_pruned(ids, keep):
    """The backups to remove so that the KEEP newest of IDS remain, oldest first."""
    ordered = sort_ids(ids)
    return ordered[:max(len(ordered) - keep, 0)]


def _excluded(exclude, name, target):
    """Whether an entry of EXCLUDE names the volume NAME or, as an absolute path, its container path TARGET."""
    target = posixpath.normpath(target)
    return any(entry == name or (posixpath.isabs(entry) and posixpath.normpath(entry) == target) for entry in exclude)


def plan_mounts(mounts, exclude=()):
    """Split the Mounts of `docker inspect` into (volumes, not_included, unused excludes).

    volumes: [{'name', 'target'}] for the named volumes to back up, by container path;
    not_included: [{'type', 'source', 'target', 'reason'}] for every other mount;
    exclude: volume names, or absolute container paths (which match whatever is mounted there).
    """
    volumes, not_included, used = [], [], set()
    for mount in sorted(mounts or [], key=lambda mount: mount.get('Destination') or ''):
        kind, target, name = mount.get('Type'), mount.get('Destination') or '', mount.get('Name') or ''
        matches = [entry for entry in exclude if _excluded([entry], name, target)]
        used.update(matches)
        if kind != 'volume':
            reason = '%s mount: only named volumes are backed up' % kind
        elif ANONYMOUS_VOLUME_RE.match(name):
            reason = 'anonymous volume: a recreated container gets a new empty one; give it a name to keep its data'
        elif matches:
            reason = 'excluded'
        else:
            volumes.append({'name': name, 'target': target})
            continue
        source = name if kind == 'volume' else mount.get('Source')
        not_included.append({'type': kind, 'source': source, 'target': target, 'reason': reason})
    return volumes, not_included, [entry for entry in exclude if entry not in used]


def volume_problem(volume):
    """One line when the data of VOLUME (`docker volume inspect`) cannot be read from its Mountpoint."""
    name, driver = volume.get('Name'), volume.get('Driver')
    if driver != 'local':
        return ('volume %s uses the volume driver %s: only local volumes can be read from their mountpoint; '
                'exclude it and back it up where it is stored' % (name, driver))
    options = volume.get('Options') or {}
    if options.get('device') or options.get('type'):
        return ('volume %s is mounted from %s only while a container uses it: exclude it and back it up where '
                'it is stored' % (name, options.get('device') or options.get('type')))
    return None


def build_manifest(container, image, image_id, created, volumes):
    """The manifest of a backup of CONTAINER; VOLUMES: [{'name', 'target', 'labels'}]."""
    return {
        'format': MANIFEST_FORMAT,
        'container': container,
        'image': image,
        'image_id': image_id,
        'created': created.strftime(_CREATED_FORMAT),
        'volumes': dict((volume['name'], volume['target']) for volume in volumes),
        'volume_labels': dict((volume['name'], volume.get('labels') or {}) for volume in volumes),
    }


def manifest_problem(manifest, container, backup_id):
    """One line when MANIFEST cannot be restored into CONTAINER, else None."""
    where = 'backup %s' % backup_id
    if not isinstance(manifest, dict) or manifest.get('format') != MANIFEST_FORMAT:
        return '%s: %s is not a manifest of format %d' % (where, MANIFEST, MANIFEST_FORMAT)
    if manifest.get('container') != container:
        return '%s is a backup of container %r, not of %s' % (where, manifest.get('container'), container)
    volumes = manifest.get('volumes')
    if not isinstance(volumes, dict) or not volumes:
        return '%s: the manifest lists no volumes' % where
    for name, target in volumes.items():
        if not NAME_RE.match(name) or not isinstance(target, str) or not posixpath.isabs(target):
            return '%s: the manifest has an invalid volume entry %r: %r' % (where, name, target)
    return None


def restore_plan(manifest, exclude=()):
    """(volumes, not_included) of a checked MANIFEST: [{'name', 'target', 'labels'}], excluded ones apart."""
    volumes, not_included = [], []
    labels = manifest.get('volume_labels') or {}
    for name, target in sorted(manifest['volumes'].items(), key=lambda item: item[1]):
        if _excluded(exclude, name, target):
            not_included.append({'type': 'volume', 'source': name, 'target': target, 'reason': 'excluded'})
        else:
            volumes.append({'name': name, 'target': target, 'labels': labels.get(name) or {}})
    return volumes, not_included


class MemberCheck:
    """Refuses the archive members that could write outside the volume when extracted.

    Refused: absolute names, names with `..`, duplicates, members below a symbolic link
    of the archive (extracting them would write through the link), hard links that are
    not to an earlier regular file of the archive, device files, and unknown types.
    Symbolic links themselves are kept as they are: the container resolves them, so an
    absolute target is normal in a volume, and the extraction never writes through them.
    Feed the members in archive order.
    """

    def __init__(self):
        self.names = set()
        self.symlinks = set()
        self.files = set()

    def problem(self, member):
        name = member.name
        parts = name.split('/')
        if not name or name.startswith('/'):
            return 'member %r has an absolute or empty name' % name
        if '..' in parts:
            return 'member %r has .. in its name' % name
        normal = posixpath.normpath(name)
        if normal in self.names:
            return 'member %r is in the archive twice' % name
        below = [prefix for prefix in ('/'.join(normal.split('/')[:end]) for end in range(1, normal.count('/') + 1))
                 if prefix in self.symlinks]
        if below:
            return 'member %r is below the symbolic link %r' % (name, below[0])
        if normal == '.' and not member.isdir():
            return 'the top of the archive is not a directory'
        if member.ischr() or member.isblk():
            return 'member %r is a device file' % name
        if member.islnk():
            target = posixpath.normpath(member.linkname)
            if member.linkname.startswith('/') or '..' in member.linkname.split('/') or target not in self.files:
                return 'member %r is a hard link to %r, outside the earlier files of the archive' % (
                    name, member.linkname)
        elif not (member.isfile() or member.isdir() or member.issym() or member.isfifo()):
            return 'member %r has an unsupported type %r' % (name, member.type)
        self.names.add(normal)
        if member.issym():
            self.symlinks.add(normal)
        elif member.isfile():
            self.files.add(normal)
        return None


# ---------------------------------------------------------------- files

def make_private_dir(path):
    os.mkdir(path, DIR_MODE)
    os.chmod(path, DIR_MODE)


def ensure_private_dir(path):
    """Create PATH and its missing parents with mode 0700; an existing directory is left as it is."""
    if not os.path.isdir(path):
        ensure_private_dir(os.path.dirname(path))
        make_private_dir(path)


def private_file(path):
    """A new file opened for binary writing, mode 0600 from the start."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), 'wb')


def list_backups(container_dir):
    """(complete backup ids oldest first, leftover partial directory names, every name) in CONTAINER_DIR."""
    names = sorted(os.listdir(container_dir)) if os.path.isdir(container_dir) else []
    complete = sort_ids(name for name in names if os.path.isfile(os.path.join(container_dir, name, MANIFEST)))
    partial = [name for name in names if name.endswith(PARTIAL_SUFFIX) and is_backup_id(name[:-len(PARTIAL_SUFFIX)])]
    return complete, partial, names


def taken_ids(names):
    return [name[:-len(PARTIAL_SUFFIX)] if name.endswith(PARTIAL_SUFFIX) else name for name in names]


def write_archive(source, path):
    """Archive the directory SOURCE to the new file PATH (tar.gz, numeric owners, modes, links).

    Raises ArchiveError for a member the restore would refuse, so every backup restores.
    """
    check = MemberCheck()

    def refuse_unsafe(member):
        problem = check.problem(member)
        if problem:
            raise ArchiveError(problem)
        return member

    with private_file(path) as raw:
        with tarfile.open(fileobj=raw, mode='w:gz', format=tarfile.PAX_FORMAT) as tar:
            tar.add(source, arcname='.', recursive=True, filter=refuse_unsafe)
        raw.flush()
        os.fsync(raw.fileno())
    return os.path.getsize(path)


def write_manifest(path, manifest):
    with private_file(path) as handle:
        handle.write(json.dumps(manifest, indent=2, sort_keys=True).encode('utf-8') + b'\n')
        handle.flush()
        os.fsync(handle.fileno())


def read_manifest(path):
    with open(path, encoding='utf-8') as handle:
        return json.load(handle)


def check_archive(path):
    """Read the whole archive (gzip checksum included) and check every member; return the member count."""
    check = MemberCheck()
    count = 0
    with gzip.open(path, 'rb') as stream:
        with tarfile.open(fileobj=stream, mode='r|') as tar:
            for member in tar:
                problem = check.problem(member)
                if problem:
                    raise ArchiveError(problem)
                count += 1
        while stream.read(1 << 20):
            pass
    if not count:
        raise ArchiveError('the archive is empty')
    return count


ARCHIVE_ERRORS = (OSError, EOFError, zlib.error, tarfile.TarError, ArchiveError)


def empty_dir(path):
    """Remove everything inside PATH, never following a link."""
    for entry in os.listdir(path):
        entry_path = os.path.join(path, entry)
        if os.path.isdir(entry_path) and not os.path.islink(entry_path):
            shutil.rmtree(entry_path)
        else:
            os.unlink(entry_path)


def extract_archive(path, destination):
    """Extract the archive into the empty directory DESTINATION with numeric owners, modes and links."""
    check = MemberCheck()
    with tarfile.open(path, 'r:gz') as tar:
        tar.errorlevel = 2  # a failed chown or chmod is an error, not a debug message
        members = []
        for member in tar:
            problem = check.problem(member)
            if problem:
                raise ArchiveError(problem)
            members.append(member)
        # Pythons with extraction filters: the members are checked above; keep owners and modes.
        trusted = {'filter': 'fully_trusted'} if hasattr(tarfile, 'fully_trusted_filter') else {}
        tar.extractall(destination, members=members, numeric_owner=True, **trusted)


def remove_backup(path):
    """Remove a backup directory; its manifest goes first so that a half-removed one is not complete."""
    manifest = os.path.join(path, MANIFEST)
    if os.path.exists(manifest):
        os.unlink(manifest)
    shutil.rmtree(path)


# ---------------------------------------------------------------- one module call

class BackupRun:
    """Takes (state=present) or restores (state=restored) a backup of one container's named volumes.

    params: the module parameters. In check mode everything is computed and reported and
    nothing is changed. Failures raise ModuleFailure with a one-line message.
    """

    def __init__(self, client, params, check_mode=False, now=None):
        self.client = client
        self.params = params
        self.check_mode = check_mode
        self.now = now or (lambda: datetime.datetime.now(datetime.timezone.utc))
        self.exclude = params.get('exclude') or []
        self.actions = []
        self.warnings = []
        self.mutated = False  # something on the host changed: a failure then still reports changed

    def _docker(self, operation):
        return docker_errors(self.params.get('docker_host'), operation)

    def _fail(self, msg, **details):
        raise ModuleFailure(msg, changed=self.mutated, actions=self.actions, **details)

    # -------------------------------------------------------- shared steps

    def _backups(self, container_dir):
        try:
            return list_backups(container_dir)
        except OSError as exc:
            self._fail('listing the backups in %s failed: %s' % (container_dir, exc))

    def _container(self):
        name = self.params['container']
        with self._docker('inspect container %s' % name):
            attrs = inspect_container(self.client, name)
        if attrs is None:
            self._fail('container %s does not exist' % name)
        return attrs

    def _inspect_volume(self, name):
        with self._docker('inspect volume %s' % name):
            try:
                return self.client.inspect_volume(name)
            except NotFound:
                return None

    def _readable_mountpoint(self, volume):
        problem = volume_problem(volume)
        if problem:
            self._fail(problem)
        mountpoint = volume.get('Mountpoint') or ''
        if not os.path.isdir(mountpoint):
            self._fail('volume %s: its mountpoint %r is not a directory on this host; run the task on the Docker '
                       'host itself, as root' % (volume.get('Name'), mountpoint))
        return mountpoint

    def _running_users(self, volume_name, container_id):
        """Names of the running containers other than ours that mount the volume."""
        with self._docker('list the containers using volume %s' % volume_name):
            users = self.client.containers(all=True, filters={'volume': volume_name})
        return sorted((user.get('Names') or ['?'])[0].lstrip('/') for user in users
                      if user.get('Id') != container_id and user.get('State') == 'running')

    def _stop(self, name, drain):
        """Stop the running container within stop_timeout, draining it first when DRAIN."""
        timeout = self.params['stop_timeout']
        if drain:
            drain_container(self.client, name, PREPARE_FOR_SHUTDOWN, timeout, self.actions, self.warnings)
        self.actions.append('stop container')
        self.mutated = True
        with self._docker('stop container %s' % name):
            self.client.stop(name, timeout=timeout)

    def _result(self, backup, volumes, not_included, stopped, backups_before, backups_after, diff_volumes=None,
                **extra):
        shown = [dict((key, value) for key, value in volume.items() if key in ('name', 'target', 'archive', 'size'))
                 for volume in volumes]
        before, after = {'backups': backups_before}, {'backups': backups_after}
        if stopped:
            before['container'], after['container'] = 'running', 'stopped'
        if diff_volumes:
            before['volumes'], after['volumes'] = diff_volumes
        return dict(changed=True, backup=backup, volumes=shown, not_included=not_included, stopped=stopped,
                    backups=backups_after, actions=self.actions, warnings=self.warnings,
                    diff={'before': before, 'after': after}, **extra)

    # -------------------------------------------------------- state=present

    def present(self):
        attrs = self._container()
        name = attrs['Name'].lstrip('/')
        volumes, not_included, unused = plan_mounts(attrs.get('Mounts'), self.exclude)
        for entry in unused:
            self.warnings.append('exclude: %s is not a volume of container %s' % (entry, name))
        if not volumes:
            others = '; '.join('%s: %s' % (mount['target'], mount['reason']) for mount in not_included)
            self._fail('container %s has no named volume to back up (%d other mounts: %s)' % (
                name, len(not_included), others or 'none'), not_included=not_included)
        for volume in volumes:
            info = self._inspect_volume(volume['name'])
            if info is None:
                self._fail('volume %s of container %s does not exist' % (volume['name'], name))
            volume['mountpoint'] = self._readable_mountpoint(info)
            volume['labels'] = info.get('Labels') or {}
            users = self._running_users(volume['name'], attrs['Id'])
            if users:
                self.warnings.append('volume %s is also used by the running container(s) %s: their writes during '
                                     'the backup may be inconsistent' % (volume['name'], ', '.join(users)))

        dest = self.params['dest']
        if os.path.exists(dest) and not os.path.isdir(dest):
            self._fail('dest %s exists and is not a directory' % dest)
        container_dir = os.path.join(dest, name)
        complete, partial, names = self._backups(container_dir)
        created = self.now()
        backup_id = next_id(created, taken_ids(names))
        path = os.path.join(container_dir, backup_id)
        pruned = choose_pruned(complete + [backup_id], self.params['keep'])
        after = [kept for kept in complete + [backup_id] if kept not in pruned]
        for volume in volumes:
            volume['archive'] = os.path.join(path, volume['name'] + ARCHIVE_SUFFIX)
        running = bool(attrs['State'].get('Running'))
        manifest = build_manifest(name, attrs['Config'].get('Image'), attrs.get('Image'), created, volumes)
        backup = {'id': backup_id, 'path': path, 'created': manifest['created'], 'image': manifest['image'],
                  'image_id': manifest['image_id']}

        if not self.check_mode:
            self._take(name, running, volumes, manifest, container_dir, path)
            self._prune(container_dir, pruned, partial)
        else:
            self.actions.extend((['stop container'] if running else []) + ['archive %s' % volume['name']
                                                                           for volume in volumes])
            self.actions.extend('remove backup %s' % old for old in pruned)
        return self._result(backup, volumes, not_included, running, complete, after, removed=pruned)

    def _take(self, name, running, volumes, manifest, container_dir, path):
        partial = path + PARTIAL_SUFFIX
        try:
            ensure_private_dir(container_dir)
            make_private_dir(partial)
        except OSError as exc:
            self._fail('creating the backup directory %s failed: %s' % (partial, exc))
        stopped = False
        operation = 'stopping container %s' % name
        try:
            if running:
                self._stop(name, drain=True)
                stopped = True
            for volume in volumes:
                archive = os.path.join(partial, os.path.basename(volume['archive']))
                operation = 'archiving volume %s to %s' % (volume['name'], archive)
                self.actions.append('archive %s' % volume['name'])
                volume['size'] = write_archive(volume['mountpoint'], archive)
            operation = 'writing the manifest of backup %s' % path
            write_manifest(os.path.join(partial, MANIFEST), manifest)
            fsync_dir(partial)
            os.rename(partial, path)
            fsync_dir(container_dir)
        except (ModuleFailure, OSError, EOFError, zlib.error, tarfile.TarError, ArchiveError) as exc:
            shutil.rmtree(partial, ignore_errors=True)
            msg = exc.msg if isinstance(exc, ModuleFailure) else '%s failed: %s' % (operation, one_line(exc))
            if stopped:
                msg, stopped = self._start_again(name, msg)
            self._fail(msg, stopped=stopped)

    def _start_again(self, name, msg):
        """A failed backup leaves the container as it found it: start it again. Returns (msg, still stopped)."""
        self.actions.append('start container')
        try:
            self.client.start(name)
        except (DockerException, RequestException) as exc:
            return '%s; starting container %s again failed too: %s' % (msg, name, one_line(exc)), True
        return '%s; container %s was started again' % (msg, name), False

    def _prune(self, container_dir, pruned, partial):
        """Remove the older backups and leftovers of interrupted runs; the new backup stands either way."""
        for old in pruned + partial:
            self.actions.append('remove %s %s' % ('leftover' if old in partial else 'backup', old))
            try:
                remove_backup(os.path.join(container_dir, old))
            except OSError as exc:
                self.warnings.append('removing the old backup %s failed: %s' % (os.path.join(container_dir, old), exc))

    # -------------------------------------------------------- state=restored

    def restored(self):
        attrs = self._container()
        name = attrs['Name'].lstrip('/')
        container_dir = os.path.join(self.params['dest'], name)
        complete = self._backups(container_dir)[0]
        backup_id = self.params.get('backup') or (complete[-1] if complete else None)
        if backup_id is None:
            self._fail('no backup of container %s in %s' % (name, container_dir))
        if backup_id not in complete:
            self._fail('backup %s of container %s is not in %s (backups there: %s)' % (
                backup_id, name, container_dir, ', '.join(complete) or 'none'))
        path = os.path.join(container_dir, backup_id)
        try:
            manifest = read_manifest(os.path.join(path, MANIFEST))
        except (OSError, ValueError) as exc:
            self._fail('reading the manifest of backup %s failed: %s' % (path, one_line(exc)))
        problem = manifest_problem(manifest, name, backup_id)
        if problem:
            self._fail(problem)
        volumes, not_included = restore_plan(manifest, self.exclude)
        if not volumes:
            self._fail('backup %s: every volume is excluded, nothing to restore' % backup_id)
        for volume in volumes:
            volume['archive'] = os.path.join(path, volume['name'] + ARCHIVE_SUFFIX)
            try:
                check_archive(volume['archive'])
            except ARCHIVE_ERRORS as exc:
                self._fail('checking the archive %s of backup %s failed: %s' % (volume['archive'], backup_id,
                                                                                one_line(exc)))
            info = self._inspect_volume(volume['name'])
            if info is not None:
                self._readable_mountpoint(info)
            users = self._running_users(volume['name'], attrs['Id'])
            if users:
                self._fail('volume %s is in use by the running container(s) %s: stop them before restoring' % (
                    volume['name'], ', '.join(users)))
            volume['created'] = info is None
        mounted = dict((mount.get('Name'), mount.get('Destination')) for mount in attrs.get('Mounts') or [])
        for volume in volumes:
            if mounted.get(volume['name']) != volume['target']:
                self.warnings.append('container %s does not mount volume %s at %s: recreate it with that volume to '
                                     'use the restored data' % (name, volume['name'], volume['target']))

        running = bool(attrs['State'].get('Running'))
        backup = {'id': backup_id, 'path': path, 'created': manifest.get('created'), 'image': manifest.get('image'),
                  'image_id': manifest.get('image_id')}
        if not self.check_mode:
            self._restore(name, running, volumes)
        else:
            self.actions.extend((['stop container'] if running else []) + ['restore %s' % volume['name']
                                                                           for volume in volumes])
        diff_volumes = (dict((volume['name'], 'absent' if volume['created'] else 'current data') for volume in volumes),
                        dict((volume['name'], 'backup %s' % backup_id) for volume in volumes))
        return self._result(backup, volumes, not_included, running, complete, complete, diff_volumes)

    def _restore(self, name, running, volumes):
        if running:
            # No drain: the data it would save is about to be replaced.
            self._stop(name, drain=False)
        done = []
        self.mutated = True
        for volume in volumes:
            operation = 'restoring volume %s from %s' % (volume['name'], volume['archive'])
            try:
                if volume['created']:
                    self.actions.append('create volume %s' % volume['name'])
                    with self._docker('create volume %s' % volume['name']):
                        self.client.create_volume(volume['name'], labels=volume['labels'] or None)
                mountpoint = self._readable_mountpoint(self._inspect_volume(volume['name']) or {})
                self.actions.append('restore %s' % volume['name'])
                empty_dir(mountpoint)
                extract_archive(volume['archive'], mountpoint)
            except (ModuleFailure, OSError, EOFError, zlib.error, tarfile.TarError, ArchiveError) as exc:
                reason = exc.msg if isinstance(exc, ModuleFailure) else one_line(exc)
                self._fail('%s failed: %s; restored before it: %s; container %s is left stopped, restore again' % (
                    operation, reason, ', '.join(done) or 'none', name), stopped=running)
            done.append(volume['name'])
