# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Run a module's main() in-process: exit_json/fail_json raise, warnings are collected.

exit_json and fail_json are patched, so Ansible's no_log filter never runs here: these
runs show what a module hands back, not what Ansible prints (masking is proven through
real ansible-playbook output elsewhere).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import contextlib
import json

import pytest
from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19 (the collection supports 2.16): the older way
    @contextlib.contextmanager
    def patch_module_args(args):
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode()
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved


class ExitJson(Exception):
    pass


class FailJson(Exception):
    pass


def module_runner(monkeypatch, module):
    """run(check_mode=False, diff=False, **args) -> the result of module.main(), with 'failed' and 'warnings'.

    run.modules holds the AnsibleModule of each exit or failure (for its no_log_values).
    """
    warnings = []
    modules = []

    def exit_json(self, **result):
        modules.append(self)
        raise ExitJson(dict(result, warnings=warnings))

    def fail_json(self, msg, **result):
        modules.append(self)
        raise FailJson(dict(result, msg=msg, warnings=warnings))

    monkeypatch.setattr(AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(AnsibleModule, 'fail_json', fail_json)
    monkeypatch.setattr(AnsibleModule, 'warn', lambda self, warning: warnings.append(warning))

    def run(check_mode=False, diff=False, **args):
        args.update(_ansible_check_mode=check_mode, _ansible_diff=diff)
        del warnings[:]
        with patch_module_args(args):
            with pytest.raises((ExitJson, FailJson)) as info:
                module.main()
        result = info.value.args[0]
        result['failed'] = isinstance(info.value, FailJson)
        return result

    run.modules = modules
    return run


Exit, Fail = 'exit', 'fail'


def outcome_runner(monkeypatch, module):
    """run(args, check_mode=False) -> (Exit or Fail, result): for tests that branch on the outcome."""
    runner = module_runner(monkeypatch, module)

    def run(args, check_mode=False):
        result = runner(check_mode=check_mode, **args)
        return (Fail if result['failed'] else Exit), result

    return run


def ok(result):
    assert not result['failed'], result.get('msg')
    return result


def failed(result):
    assert result['failed'], result
    assert '\n' not in result['msg'] and 'Traceback' not in result['msg']
    return result
