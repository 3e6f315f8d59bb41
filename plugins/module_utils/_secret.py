# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Secrets for the Document Server: generate once, validate operator-supplied values."""

from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import secrets
import string

MIN_LENGTH = 32
GENERATED_ALPHABET = string.ascii_letters + string.digits
# The container's start script writes secrets into its JSON config through a quoted shell
# and JavaScript string: quotes, backslashes, '$' and whitespace break or alter them.
FORBIDDEN = set("'\"`\\$")


def generate(length):
    """Return a random secret of letters and digits (quoting-safe by construction)."""
    return "".join(secrets.choice(GENERATED_ALPHABET) for _unused in range(length))


def problem_with(value, name="value"):
    """Return a one-line reason why VALUE is not an acceptable secret, or None."""
    if len(value) < MIN_LENGTH:
        return "%s is too short: %d characters, at least %d are required" % (name, len(value), MIN_LENGTH)
    for char in value:
        if char in FORBIDDEN:
            return "%s contains %r, which breaks the container's config quoting" % (name, char)
        if char.isspace() or not char.isprintable() or ord(char) > 126:
            return ("%s contains a whitespace, control or non-ASCII character (code %d), "
                    "which the container's config cannot hold" % (name, ord(char)))
    return None
