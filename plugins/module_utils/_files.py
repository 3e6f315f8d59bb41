# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""File-system steps shared by the modules that write files. Private: not an API."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import os


def fsync_dir(path):
    """Flush a directory entry (a rename or a new file in it) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomically(path, data, mode, uid=None, gid=None):
    """Make PATH hold the bytes DATA with MODE (and owner UID:GID when given), atomically.

    The file is prepared beside PATH (fsynced, owner and mode set) and renamed over it, so a
    reader sees the old content or the new one, never a part. OSError passes through.
    """
    directory = os.path.dirname(path)
    temporary = os.path.join(directory, '.%s.docops-%d.tmp' % (os.path.basename(path), os.getpid()))
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
            if uid is not None and (os.fstat(fd).st_uid, os.fstat(fd).st_gid) != (uid, gid):
                os.fchown(fd, uid, gid)
            os.fchmod(fd, mode)
        os.rename(temporary, path)
        fsync_dir(directory)
    finally:
        if os.path.lexists(temporary):
            os.unlink(temporary)
