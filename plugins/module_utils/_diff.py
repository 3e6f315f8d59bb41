# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Before/after tracker for a module's ``changed`` and ``--diff`` output.

Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class DifferenceTracker:
    """Records the options whose live value differs from the wanted one.

    Values are recorded as they should be shown to the user, so callers mask
    secrets before calling ``add``.
    """

    def __init__(self):
        self._differences = []

    def add(self, option, before, after):
        self._differences.append({'option': option, 'before': before, 'after': after})

    def __bool__(self):
        return bool(self._differences)

    def __len__(self):
        return len(self._differences)

    @property
    def options(self):
        return [difference['option'] for difference in self._differences]

    @property
    def differences(self):
        return [dict(difference) for difference in self._differences]

    def diff(self):
        """Return the ``{'before': ..., 'after': ...}`` dict that Ansible renders for --diff."""
        return {
            'before': dict((d['option'], d['before']) for d in self._differences),
            'after': dict((d['option'], d['after']) for d in self._differences),
        }
