# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""AnsibleModule construction that turns an infinite integer into one line, not a traceback.

ansible-core 2.19 raises OverflowError while converting an infinite value (YAML ``.inf``, or
the string ``inf``) for a ``type: int`` option, so the module would die with a traceback before any of our
checks run; older releases report a type error. Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import math

from ansible.module_utils.basic import AnsibleModule


def ansible_module(argument_spec, **kwargs):
    """AnsibleModule(argument_spec=argument_spec, **kwargs); an infinite integer option fails with one line."""
    try:
        return AnsibleModule(argument_spec=argument_spec, **kwargs)
    except OverflowError:
        # The same arguments again with the integer options left as given, only to name the culprit.
        module = AnsibleModule(argument_spec=_integers_as_raw(argument_spec), **kwargs)
        name, value = next(_infinite_integers(argument_spec, module.params), ('an integer option', 'inf'))
        module.fail_json(msg='%s must be a finite number, got %s' % (name, value))


def _integers_as_raw(argument_spec):
    spec = copy.deepcopy(argument_spec)
    for option in spec.values():
        if option.get('type') == 'int':
            option['type'] = 'raw'
        if option.get('options'):
            option['options'] = _integers_as_raw(option['options'])
    return spec


def _is_infinite(value):
    try:
        return not isinstance(value, bool) and math.isinf(float(value))
    except (TypeError, ValueError):
        return False


def _infinite_integers(argument_spec, params, prefix=''):
    """(name, value) of the integer options whose value is infinite; names dotted, with list indexes."""
    for name, option in argument_spec.items():
        value = (params or {}).get(name)
        label = prefix + name
        if option.get('type') == 'int' and _is_infinite(value):
            yield label, value
        elif option.get('options') and isinstance(value, dict):
            yield from _infinite_integers(option['options'], value, label + '.')
        elif option.get('options') and isinstance(value, list):
            for index, item in enumerate(value):
                yield from _infinite_integers(option['options'], item, '%s[%d].' % (label, index))
