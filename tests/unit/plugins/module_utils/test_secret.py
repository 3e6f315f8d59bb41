from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.docops.onlyoffice.plugins.module_utils import _secret


def test_generated_secret_has_length_and_is_acceptable():
    value = _secret.generate(48)
    assert len(value) == 48
    assert _secret.problem_with(value) is None


def test_generated_secrets_differ():
    assert _secret.generate(32) != _secret.generate(32)


@pytest.mark.parametrize("value, fragment", [
    ("a" * 31, "too short: 31 characters"),
    ("a" * 40 + "'", "contains \"'\""),
    ("a" * 40 + '"', "contains '\"'"),
    ("a" * 40 + "$HOME", "contains '$'"),
    ("a" * 40 + "\\", "contains '\\\\'"),
    ("a" * 40 + "`", "contains '`'"),
    ("a" * 40 + " b", "whitespace, control or non-ASCII character (code 32)"),
    ("a" * 40 + "\n", "code 10"),
    ("a" * 40 + "é", "code 233"),
])
def test_unacceptable_values_are_named(value, fragment):
    reason = _secret.problem_with(value, "jwt_secret")
    assert reason.startswith("jwt_secret ")
    assert fragment in reason


def test_base64_like_values_are_accepted():
    assert _secret.problem_with("abcDEF0123456789+/=abcDEF0123456789+/=-_.~") is None
