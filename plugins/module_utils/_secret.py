# -*- coding: utf-8 -*-
# Copyright (c) docops.onlyoffice contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The one place for secret rules: what a secret may contain, how long it must be, how one is made.

Every way a secret enters (a role variable, a module parameter, a container env value)
is checked with ``problem_with``. Because an accepted secret is long, masking it in output
(Ansible's no_log values) cannot hide unrelated short substrings. Private: not an API.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import secrets
import string

from ansible_collections.docops.onlyoffice.plugins.module_utils._files import write_atomically

# Signing keys (JWT, secure link): HS256 wants at least 256 bits.
MIN_LENGTH = 32
# Passwords of the services the Document Server uses (PostgreSQL, RabbitMQ, Redis).
MIN_PASSWORD_LENGTH = 16
MAX_LENGTH = 4096
GENERATED_ALPHABET = string.ascii_letters + string.digits
# The container's start script writes secrets into its JSON config through a quoted shell
# and JavaScript string: quotes, backslashes, '$' and whitespace break or alter them.
FORBIDDEN = set('\'"`\\$')


def generate(length):
    """Return a random secret of letters and digits (quoting-safe by construction)."""
    return ''.join(secrets.choice(GENERATED_ALPHABET) for _unused in range(length))


def problem_with(value, name='value', min_length=MIN_LENGTH):
    """Return a one-line reason why VALUE is not an acceptable secret, or None.

    The reason names NAME and never contains the value itself.
    """
    if not isinstance(value, str):
        return '%s must be a string' % name
    if len(value) < min_length:
        return '%s is too short: %d characters, at least %d are required' % (name, len(value), min_length)
    if len(value) > MAX_LENGTH:
        return '%s is too long: %d characters, at most %d are allowed' % (name, len(value), MAX_LENGTH)
    for char in value:
        if char in FORBIDDEN:
            return "%s contains %r, which breaks the container's config quoting" % (name, char)
        if char.isspace() or not char.isprintable() or ord(char) > 126:
            return ("%s contains a whitespace, control or non-ASCII character (code %d), "
                    "which the container's config cannot hold" % (name, ord(char)))
    return None


def read_stored(path):
    """The secret kept in PATH, surrounding whitespace removed (OSError, UnicodeDecodeError pass through)."""
    with open(path, encoding='utf-8') as handle:
        return handle.read().strip()


def write_stored(path, value, mode):
    """Write VALUE to PATH atomically with MODE (OSError passes through)."""
    write_atomically(path, (value + '\n').encode('utf-8'), mode)
