"""The role's secret check is the modules' secret rules (one place), and never shows the value."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.docops.onlyoffice.plugins.filter.secret_problem import FilterModule, secret_problem
from ansible_collections.docops.onlyoffice.plugins.module_utils import _secret


def test_empty_means_generate():
    assert secret_problem("", "documentserver_jwt_secret") == ""
    assert secret_problem(None, "documentserver_jwt_secret") == ""


@pytest.mark.parametrize("value, min_length", [
    ("x" * 31, 32),
    ("x" * 15, 16),
    ("x" * 40 + "'", 32),
    ("x" * 40 + "$", 32),
    ("x" * 40 + "\\", 32),
    ("x" * 40 + " ", 32),
    ("x" * 40 + "é", 32),
    ("x" * 5000, 32),
])
def test_same_answer_as_the_modules_and_no_value(value, min_length):
    answer = secret_problem(value, "documentserver_redis_password", min_length)
    assert answer == _secret.problem_with(value, "documentserver_redis_password", min_length)
    assert answer.startswith("documentserver_redis_password ")
    assert value not in answer


def test_acceptable_values():
    assert secret_problem("x" * 32, "a") == ""
    assert secret_problem("x" * 16, "a", 16) == ""


def test_bad_min_length_is_named():
    with pytest.raises(AnsibleFilterError, match="min_length"):
        secret_problem("x" * 40, "a", "many")


def test_registered_name():
    assert FilterModule().filters()["secret_problem"] is secret_problem
