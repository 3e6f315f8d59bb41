#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r"""
module: persistent_secret
short_description: Generate a secret once on the target and return the same value on every run
version_added: 0.1.0
description:
  - Keeps a secret (for example the Document Server's JWT secret) in a root-only file on the
    target. The first run generates it; every later run returns it unchanged, so a re-run of
    the play or a container restart never rotates it.
  - An operator-supplied O(value) replaces the stored one, which is a deliberate rotation.
  - The module returns the secret (RV(secret)) only when it generated it or read it from O(path).
    It never returns an O(value) the caller passed in; Ansible would replace it in the result with
    C(VALUE_SPECIFIED_IN_NO_LOG_PARAMETER) anyway. The caller already has that value and uses it.
  - "Set C(no_log: true) on the task so that a returned secret is not shown."
author:
  - docops.onlyoffice maintainers (@docops)
options:
  path:
    description: File that holds the secret, an absolute path. Its directory must exist.
    type: path
    required: true
  value:
    description:
      - Operator-supplied secret (for example from Ansible Vault). When omitted, a secret
        is generated once and kept.
      - Must be at least O(min_length) characters (and at most 4096), with no quotes, backslash,
        V($), whitespace or non-ASCII characters (the container's config cannot hold them).
    type: str
  length:
    description: Length of a generated secret (letters and digits), from 32 to 4096.
    type: int
    default: 48
  min_length:
    description:
      - Shortest acceptable O(value) or stored secret, from 16 to 4096. V(32) suits signing keys
        (JWT, secure link); V(16) is the least for service passwords.
    type: int
    default: 32
attributes:
  check_mode:
    support: full
    description: Reports what would change; nothing is written.
  diff_mode:
    support: full
    description: Shows whether the file is created or replaced, never the secret itself.
notes:
  - The file is written atomically with mode 0600.
  - A stored secret that is not acceptable (for example truncated by hand) makes the module
    fail rather than silently replacing it.
"""

EXAMPLES = r"""
- name: Keep the Document Server JWT secret on the server
  docops.onlyoffice.persistent_secret:
    path: /etc/docops/jwt_secret
  register: jwt
  no_log: true

- name: Use an operator-supplied secret from the vault (rotates it when it changes)
  docops.onlyoffice.persistent_secret:
    path: /etc/docops/jwt_secret
    value: "{{ vault_documentserver_jwt_secret }}"
  no_log: true
"""

RETURN = r"""
secret:
  description: The secret now stored in O(path), when it was generated or read from the file.
  returned: success, when O(value) was not given
  type: str
generated:
  description: Whether this run generated a new secret.
  returned: success
  type: bool
source:
  description: Where the secret now in O(path) came from, V(generated), V(stored) or V(supplied) (from O(value)).
  returned: success
  type: str
  sample: stored
"""

import os

from ansible_collections.docops.onlyoffice.plugins.module_utils._ansible_module import ansible_module
from ansible_collections.docops.onlyoffice.plugins.module_utils import _secret, _validate

FILE_MODE = 0o600
RANGES = {
    'length': _validate.Range(_secret.MIN_LENGTH, _secret.MAX_LENGTH),
    'min_length': _validate.Range(_secret.MIN_PASSWORD_LENGTH, _secret.MAX_LENGTH),
}


def parameter_problem(params):
    """One line naming the first bad parameter, or None."""
    if not os.path.isabs(params['path']):
        return 'path must be absolute, got %r' % params['path']
    problem = _validate.first_number_problem(params, RANGES)
    if problem:
        return problem
    if params['length'] < params['min_length']:
        return 'length (%d) must be at least min_length (%d)' % (params['length'], params['min_length'])
    if params['value'] is not None:
        return _secret.problem_with(params['value'], 'value', params['min_length'])
    return None


def file_mode(path):
    return '%04o' % (os.stat(path).st_mode & 0o777)


def main():
    module = ansible_module(
        dict(
            path=dict(type='path', required=True),
            value=dict(type='str', no_log=True),
            length=dict(type='int', default=48),
            min_length=dict(type='int', default=_secret.MIN_LENGTH),
        ),
        supports_check_mode=True,
    )
    params = module.params
    problem = parameter_problem(params)
    if problem:
        module.fail_json(msg=problem)
    path, value = params['path'], params['value']
    supplied = value is not None

    def finish(changed, wanted, source, diff):
        result = dict(changed=changed, generated=source == 'generated', source=source, diff=diff)
        if not supplied:
            # Never hand back the caller's own no_log value (Ansible would replace it with a placeholder).
            result['secret'] = wanted
        module.exit_json(**result)

    if not os.path.isdir(os.path.dirname(path)):
        if not module.check_mode:
            module.fail_json(msg='path: directory %s does not exist' % os.path.dirname(path))
        # Check mode on a fresh host: the task that creates the directory did not run.
        finish(True, value if supplied else _secret.generate(params['length']),
               'supplied' if supplied else 'generated',
               {'before': {'path': path, 'state': 'absent'}, 'after': {'path': path, 'state': 'present'}})

    stored = None
    if os.path.exists(path):
        try:
            stored = _secret.read_stored(path)
        except (OSError, UnicodeDecodeError) as exc:
            module.fail_json(msg='path: cannot read %s: %s' % (path, exc))
        reason = _secret.problem_with(stored, 'the secret stored in %s' % path, params['min_length'])
        if reason and not supplied:
            module.fail_json(msg=reason + '; fix the file or pass value to replace it')

    if supplied:
        wanted, source = value, 'supplied'
    elif stored is not None:
        wanted, source = stored, 'stored'
    else:
        wanted, source = _secret.generate(params['length']), 'generated'
    content_changed = wanted != stored
    mode_changed = stored is not None and file_mode(path) != '%04o' % FILE_MODE
    diff = {
        'before': {'path': path, 'state': 'absent' if stored is None else 'present',
                   'mode': None if stored is None else file_mode(path)},
        'after': {'path': path, 'state': 'present', 'mode': '%04o' % FILE_MODE},
    }
    if content_changed and stored is not None:
        diff['after']['content'] = 'replaced by the supplied value'

    if not module.check_mode:
        try:
            if content_changed:
                _secret.write_stored(path, wanted, FILE_MODE)
            elif mode_changed:
                os.chmod(path, FILE_MODE)
        except OSError as exc:
            module.fail_json(msg='writing the secret to %s failed: %s' % (path, exc))
    finish(content_changed or mode_changed, wanted, source, diff)


if __name__ == '__main__':
    main()
