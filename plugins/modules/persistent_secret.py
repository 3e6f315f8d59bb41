#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import (absolute_import, division, print_function)
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
  - "The module returns the secret. Set C(no_log: true) on the task so that it is not shown."
author:
  - docops.onlyoffice maintainers (@docops)
options:
  path:
    description: File that holds the secret. Its directory must exist.
    type: path
    required: true
  value:
    description:
      - Operator-supplied secret (for example from Ansible Vault). When omitted, a secret
        is generated once and kept.
      - Must be at least 32 characters, with no quotes, backslash, V($), whitespace or
        non-ASCII characters (the container's config cannot hold them).
    type: str
  length:
    description: Length of a generated secret (letters and digits).
    type: int
    default: 48
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
  description: The secret now stored in O(path).
  returned: success
  type: str
generated:
  description: Whether this run generated a new secret.
  returned: success
  type: bool
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.docops.onlyoffice.plugins.module_utils import _secret

FILE_MODE = 0o600


def read_secret(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read().strip()


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            value=dict(type="str", no_log=True),
            length=dict(type="int", default=48),
        ),
        supports_check_mode=True,
    )
    path, value, length = module.params["path"], module.params["value"], module.params["length"]
    if length < _secret.MIN_LENGTH:
        module.fail_json(msg="length must be at least %d, got %d" % (_secret.MIN_LENGTH, length))
    if value is not None:
        reason = _secret.problem_with(value, "value")
        if reason:
            module.fail_json(msg=reason)
    if not os.path.isdir(os.path.dirname(path) or "."):
        if not module.check_mode:
            module.fail_json(msg="path: directory %s does not exist" % os.path.dirname(path))
        # Check mode on a fresh host: the task that creates the directory did not run.
        module.exit_json(changed=True, secret=value or _secret.generate(length), generated=value is None,
                         diff={"before": {"path": path, "state": "absent"}, "after": {"path": path, "state": "present"}})

    stored = None
    if os.path.exists(path):
        try:
            stored = read_secret(path)
        except (OSError, UnicodeDecodeError) as exc:
            module.fail_json(msg="path: cannot read %s: %s" % (path, exc))
        reason = _secret.problem_with(stored, "the secret stored in %s" % path)
        if reason and value is None:
            module.fail_json(msg=reason + "; fix the file or pass value to replace it")

    generated = stored is None and value is None
    wanted = value if value is not None else (stored if stored is not None else _secret.generate(length))
    content_changed = wanted != stored
    mode_changed = stored is not None and (os.stat(path).st_mode & 0o777) != FILE_MODE
    changed = content_changed or mode_changed
    diff = {
        "before": {"path": path, "state": "absent" if stored is None else "present",
                   "mode": None if stored is None else "%04o" % (os.stat(path).st_mode & 0o777)},
        "after": {"path": path, "state": "present", "mode": "%04o" % FILE_MODE},
    }
    if content_changed and stored is not None:
        diff["after"]["content"] = "replaced by the supplied value"

    if changed and not module.check_mode:
        if content_changed:
            tmp = "%s.tmp.%d" % (path, os.getpid())
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(wanted + "\n")
                    handle.flush()
                    os.fsync(handle.fileno())
                os.rename(tmp, path)
            except OSError as exc:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                module.fail_json(msg="writing the secret to %s failed: %s" % (path, exc))
        os.chmod(path, FILE_MODE)
    module.exit_json(changed=changed, secret=wanted, generated=generated, diff=diff)


if __name__ == "__main__":
    main()
