# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The secret rules of module_utils/_secret.py for role variables, checked on the controller."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.docops.onlyoffice.plugins.module_utils import _secret


def secret_problem(value, name, min_length=_secret.MIN_LENGTH):
    """'' when VALUE is empty (a secret will be generated) or acceptable, else one line naming NAME."""
    if value is None or value == '':
        return ''
    try:
        min_length = int(min_length)
    except (TypeError, ValueError):
        raise AnsibleFilterError('secret_problem: min_length must be a whole number')
    # A vaulted or tagged string is still text: compare a plain copy.
    return _secret.problem_with(str(value), str(name), min_length) or ''


class FilterModule(object):
    def filters(self):
        return {'secret_problem': secret_problem}
