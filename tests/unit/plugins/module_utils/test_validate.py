"""Range checks and header checks shared by every module."""
from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.docops.onlyoffice.plugins.module_utils import _validate

RANGE = _validate.Range(0, 3600, low_inclusive=False)


@pytest.mark.parametrize("value, fragment", [
    (float("nan"), "budget must be a finite number, got nan"),
    (float("inf"), "budget must be a finite number, got inf"),
    (float("-inf"), "budget must be a finite number, got -inf"),
    (1e30, "budget must be > 0 and <= 3600, got 1e+30"),
    (0, "budget must be > 0 and <= 3600, got 0"),
    (-5, "budget must be > 0 and <= 3600, got -5"),
    (True, "budget must be a number"),
    ("10", "budget must be a number"),
])
def test_out_of_range_is_one_line_naming_the_parameter(value, fragment):
    problem = RANGE.problem("budget", value)
    assert problem == fragment or problem.startswith(fragment)
    assert "\n" not in problem


@pytest.mark.parametrize("value", [0.001, 1, 3600, 3600.0])
def test_in_range(value):
    assert RANGE.problem("budget", value) is None


def test_dotted_and_listed_parameters_are_named_with_their_place():
    params = {"healthcheck": {"retries": 0}, "published_ports": [{"host_port": 80}, {"host_port": 70000}],
              "timeout": None}
    ranges = {"healthcheck.retries": _validate.Range(1, 100), "published_ports.host_port": _validate.Range(1, 65535),
              "timeout": _validate.Range(1, 600)}
    assert list(_validate.number_problems(params, ranges)) == [
        "healthcheck.retries must be >= 1 and <= 100, got 0",
        "published_ports[1].host_port must be >= 1 and <= 65535, got 70000",
    ]
    assert _validate.first_number_problem(params, ranges).startswith("healthcheck.retries")
    assert _validate.first_number_problem({"healthcheck": None}, ranges) is None


@pytest.mark.parametrize("headers", [{"Host": "a\r\nX-Injected: 1"}, {"X\nY": "v"}, {"A": "b\0"}])
def test_header_line_breaks_are_refused(headers):
    problem = _validate.header_problem("headers", headers)
    assert problem.startswith("headers: header ") and "\n" not in problem


def test_plain_headers_pass():
    assert _validate.header_problem("headers", {"Host": "office.example.test:8443", "X-Forwarded-Proto": "https"}) is None
    assert _validate.header_problem("headers", None) is None
