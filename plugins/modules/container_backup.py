#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
module: container_backup
short_description: Back up the named volumes of a stopped container, or restore them
version_added: 0.1.0
description:
  - Takes a backup of the named volumes of a container, such as the Document Server's, before an upgrade, and
    restores it when the new release has to be rolled back (it may already have migrated the data).
  - With O(state=present), a running container is drained first (C(documentserver-prepare4shutdown.sh) runs in it
    when the image has it) and stopped, because only a stopped writer gives a consistent copy. The container is
    B(left stopped); the caller recreates or starts it. If the backup fails, the container is started again.
  - Each named volume is archived from its mountpoint on the host to C(<dest>/<container>/<id>/<volume>.tar.gz),
    with numeric owners, modes, times and symbolic links; C(manifest.json) records the container, its image and
    image id, the time of the backup and each volume with its path in the container. Bind mounts, tmpfs mounts
    and anonymous volumes are not backed up; they are listed in RV(not_included).
  - The backup is written to C(<id>.partial) and renamed when complete, so an interrupted backup never counts as
    one; a failed backup removes its directory and leaves the earlier backups untouched. After a successful
    backup the older ones beyond O(keep) and leftovers of interrupted runs are removed.
  - With O(state=restored), the manifest and every archive (checksum and members) are checked before anything
    changes. Then the container is stopped (without draining, as its data is being replaced), and each volume is
    created when missing, emptied and extracted from its archive. The container is B(left stopped).
  - The module is not idempotent by design. O(state=present) takes a new backup on every run and
    O(state=restored) restores on every run; both report a change.
author:
  - docops.onlyoffice maintainers (@docops)
extends_documentation_fragment:
  - docops.onlyoffice.docker
attributes:
  check_mode:
    description: Reports the backup it would write or restore, its volumes and what would be pruned; changes nothing.
    support: full
  diff_mode:
    description: Shows the complete backups of the container before and after (and with O(state=restored) which
      volumes are replaced), never the content of a file.
    support: full
options:
  container:
    description:
      - Name or id of the container. It must exist; its backups are kept under its name.
    type: str
    required: true
  state:
    description:
      - V(present) takes a new backup now.
      - V(restored) restores a backup (O(backup), by default the newest) into the volumes.
    type: str
    choices: [present, restored]
    default: present
  dest:
    description:
      - Absolute directory that holds the backups, in a subdirectory per container. Directories are created with
        mode 0700, files with mode 0600.
    type: path
    default: /var/backups/docops-onlyoffice
  keep:
    description:
      - How many backups of the container to keep, the new one included (1 to 100). The older ones are removed
        after a successful backup.
    type: int
    default: 3
  backup:
    description:
      - With O(state=restored), the id of the backup to restore, as returned in RV(backup.id) (for example
        V(20261122T043500Z)). By default the newest complete backup of the container.
    type: str
  exclude:
    description:
      - Volumes to skip, each given by its name or by its absolute path in the container (for example
        V(/var/log/onlyoffice)). Applies to both states; an entry that matches no volume gives a warning.
    type: list
    elements: str
    default: []
  stop_timeout:
    description:
      - Seconds C(docker stop) waits for the container to end before killing it (1 to 3600). The drain script
        gets the same time. The Document Server needs at least 60.
    type: int
    default: 60
notes:
  - Run it as root on the Docker host itself. The volumes are read and written through their mountpoints
    (C(docker volume inspect)), so a remote O(docker_host) does not work. Only volumes of the C(local) driver
    without mount options (not NFS or bind-style volumes) can be backed up; exclude the others.
  - Extended attributes and ACLs are not kept.
  - The restore refuses archive members with an absolute name or C(..), members below a symbolic link of the
    archive, hard links to anything but an earlier file of the archive, and device files. Symbolic links are
    restored as they were, whatever their target, because the container resolves them and the restore never
    writes through them. A backup refuses such members too, so every backup can be restored.
  - A restore that fails half-way names the volumes already restored and leaves the container stopped; run it
    again.
seealso:
  - module: docops.onlyoffice.documentserver_container
'''

EXAMPLES = r'''
- name: Back up the Document Server's volumes before the upgrade (leaves it stopped)
  docops.onlyoffice.container_backup:
    container: onlyoffice-documentserver
    keep: 3
    exclude: [/var/log/onlyoffice]
    stop_timeout: 60
  become: true
  register: documentserver_backup

- name: Roll back the data when the new release did not become ready
  docops.onlyoffice.container_backup:
    container: onlyoffice-documentserver
    state: restored
    backup: "{{ documentserver_backup.backup.id }}"
  become: true
'''

RETURN = r'''
backup:
  description: The backup written (or that would be written, in check mode) or restored.
  returned: success
  type: dict
  contains:
    id:
      description: Backup id, a UTC timestamp that sorts in the order the backups were taken.
      type: str
      returned: success
      sample: 20261122T043500Z
    path:
      description: Directory of the backup.
      type: str
      returned: success
      sample: /var/backups/docops-onlyoffice/onlyoffice-documentserver/20261122T043500Z
    created:
      description: When the backup was taken (UTC, ISO 8601).
      type: str
      returned: success
      sample: "2026-11-22T04:35:00Z"
    image:
      description: Image of the container when the backup was taken, as it was created from; recreate the container
        with it after a restore.
      type: str
      returned: success
      sample: onlyoffice/documentserver:9.3
    image_id:
      description: Id of that image.
      type: str
      returned: success
volumes:
  description: The volumes backed up or restored, by path in the container.
  returned: success
  type: list
  elements: dict
  contains:
    name:
      description: Volume name.
      type: str
      returned: success
      sample: onlyoffice-documentserver_data
    target:
      description: Path of the volume in the container.
      type: str
      returned: success
      sample: /var/www/onlyoffice/Data
    archive:
      description: Archive of the volume.
      type: str
      returned: success
    size:
      description: Size of the archive in bytes, when one was written by this run.
      type: int
      returned: when O(state=present), not in check mode
not_included:
  description: Mounts of the container (or volumes of the backup) that were not backed up or restored, and why.
  returned: success
  type: list
  elements: dict
  sample: [{"type": "bind", "source": "/srv/fonts", "target": "/usr/share/fonts/truetype/custom",
            "reason": "bind mount: only named volumes are backed up"}]
stopped:
  description: Whether this run stopped the container and left it stopped (would, in check mode).
  returned: always
  type: bool
removed:
  description: Ids of the older backups removed (that would be removed, in check mode) to keep O(keep).
  returned: when O(state=present)
  type: list
  elements: str
backups:
  description: Ids of the complete backups of the container after the run, oldest first.
  returned: success
  type: list
  elements: str
actions:
  description: What was done (or would be done, in check mode), in order.
  returned: always
  type: list
  elements: str
  sample: ["run documentserver-prepare4shutdown.sh", "stop container", "archive onlyoffice-documentserver_data"]
'''

from ansible_collections.docops.onlyoffice.plugins.module_utils._ansible_module import ansible_module, exit_from_run

from ansible_collections.docops.onlyoffice.plugins.module_utils._backup import (
    DEFAULT_DEST,
    BackupRun,
    parameter_problem,
)
from ansible_collections.docops.onlyoffice.plugins.module_utils._docker import (
    ModuleFailure,
    client_for,
    docker_argument_spec,
)


def argument_spec():
    spec = docker_argument_spec()
    spec.update(
        container=dict(type='str', required=True),
        state=dict(type='str', default='present', choices=['present', 'restored']),
        dest=dict(type='path', default=DEFAULT_DEST),
        keep=dict(type='int', default=3),
        backup=dict(type='str'),
        exclude=dict(type='list', elements='str', default=[]),
        stop_timeout=dict(type='int', default=60),
    )
    return spec


def main():
    module = ansible_module(
        argument_spec(),
        supports_check_mode=True,
        required_together=[('client_cert', 'client_key')],
    )
    problem = parameter_problem(module.params)
    if problem:
        module.fail_json(msg=problem)
    run = BackupRun(client_for(module), module.params, check_mode=module.check_mode)
    exit_from_run(module, ModuleFailure, lambda: run,
                  lambda run: run.present() if module.params['state'] == 'present' else run.restored(),
                  diff_unchanged=True)


if __name__ == '__main__':
    main()
