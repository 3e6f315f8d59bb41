# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""AnsibleModule construction for this collection's modules.

- An infinite integer becomes one line, not a traceback: ansible-core 2.19 raises
  OverflowError while converting an infinite value (YAML ``.inf``, or the string ``inf``)
  for a ``type: int`` option, before any of our checks run; older releases report a type error.
- The module arguments Ansible echoes back (``invocation``, shown at -vvv) can be passed
  through a function that hides secrets which are not no_log parameters (env values,
  command options). That matters most when the module fails before its own checks have
  added those secrets to ``no_log_values`` (a type error, a refused secret).
Private to this collection: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import copy
import math

from ansible.module_utils.basic import AnsibleModule


class _ShownArgumentsModule(AnsibleModule):
    """An AnsibleModule whose echoed arguments go through ``shown_params`` first."""

    shown_params = None

    def _with_invocation(self, kwargs):
        if 'invocation' not in kwargs:
            kwargs['invocation'] = {'module_args': self.shown_params(dict(self.params or {}))}
        return kwargs

    def exit_json(self, **kwargs):
        super(_ShownArgumentsModule, self).exit_json(**self._with_invocation(kwargs))

    def fail_json(self, msg, **kwargs):
        super(_ShownArgumentsModule, self).fail_json(msg, **self._with_invocation(kwargs))


def ansible_module(argument_spec, shown_params=None, **kwargs):
    """AnsibleModule(argument_spec=argument_spec, **kwargs); an infinite integer option fails with one line.

    SHOWN_PARAMS, when given, maps the module's parameters to the copy Ansible may echo back.
    """
    module_class = AnsibleModule
    if shown_params is not None:
        module_class = type('ShownArgumentsModule', (_ShownArgumentsModule,), {'shown_params': staticmethod(shown_params)})
    try:
        return module_class(argument_spec=argument_spec, **kwargs)
    except OverflowError:
        # The same arguments again with the integer options left as given, only to name the culprit.
        module = module_class(argument_spec=_integers_as_raw(argument_spec), **kwargs)
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


def exit_from_run(module, failure, make, call=None, diff_unchanged=False):
    """Exit a module with the result of one run object, or fail with its one-line message.

    MAKE() builds the run object and CALL(run) (default ``run.run()``) returns the result dict; a FAILURE
    exception (with ``msg`` and ``details``) from either becomes ``fail_json``. The run's ``warnings`` go to
    ``module.warn``; the result's ``diff`` is kept only in diff mode, and only for a change unless DIFF_UNCHANGED.
    """
    run = None
    try:
        run = make()
        result = call(run) if call else run.run()
    except failure as exc:
        for warning in getattr(run, 'warnings', None) or []:
            module.warn(warning)
        module.fail_json(msg=exc.msg, **exc.details)
    for warning in result.pop('warnings', []):
        module.warn(warning)
    diff = result.pop('diff', None)
    if module._diff and diff is not None and (result.get('changed') or diff_unchanged):
        result['diff'] = diff
    module.exit_json(**result)
