from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import json
import os
import stat

import pytest

from ansible_collections.docops.onlyoffice.plugins.modules import persistent_secret
from ansible_collections.docops.onlyoffice.tests.unit.plugins.modules.module_runner import Exit, Fail, outcome_runner


@pytest.fixture
def run(monkeypatch):
    return outcome_runner(monkeypatch, persistent_secret)


def test_generates_once_then_returns_the_same(run, tmp_path):
    path = str(tmp_path / "jwt")
    kind, first = run({"path": path})
    assert kind is Exit and first["changed"] and first["generated"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    kind, second = run({"path": path})
    assert kind is Exit and not second["changed"] and not second["generated"]
    assert second["secret"] == first["secret"]
    assert len(first["secret"]) == 48


def test_check_mode_writes_nothing(run, tmp_path):
    path = tmp_path / "jwt"
    kind, result = run({"path": str(path)}, check_mode=True)
    assert kind is Exit and result["changed"]
    assert not path.exists()


def test_supplied_value_rotates_and_diff_hides_it(run, tmp_path):
    path = tmp_path / "jwt"
    run({"path": str(path)})
    new = "N" * 40
    kind, result = run({"path": str(path), "value": new})
    assert kind is Exit and result["changed"] and not result["generated"]
    assert path.read_text().strip() == new
    assert new not in json.dumps(result["diff"])
    kind, again = run({"path": str(path), "value": new})
    assert not again["changed"]


def test_loose_mode_is_tightened(run, tmp_path):
    path = tmp_path / "jwt"
    run({"path": str(path)})
    os.chmod(path, 0o644)
    kind, result = run({"path": str(path)})
    assert result["changed"] and result["diff"]["before"]["mode"] == "0644"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


@pytest.mark.parametrize("args, message", [
    ({"value": "short"}, "value is too short"),
    ({"value": "x" * 40 + "'"}, "value contains"),
    ({"value": "x" * 20}, "value is too short: 20 characters, at least 32"),
    ({"value": "x" * 20, "min_length": 16}, None),
    ({"value": "x" * 4097}, "value is too long"),
    ({"length": 16}, "length must be >= 32 and <= 4096, got 16"),
    ({"length": 10 ** 30}, "length must be >= 32 and <= 4096"),
    ({"length": float("inf")}, "length"),  # 2.19: "must be a finite number"; 2.16: Ansible's type error
    ({"length": "nan"}, "length"),
    ({"min_length": 8}, "min_length must be >= 16 and <= 4096, got 8"),
    ({"min_length": -1}, "min_length must be >= 16"),
    ({"path": "relative/jwt"}, "path must be absolute"),
    ({"length": 40, "min_length": 64}, "length (40) must be at least min_length (64)"),
])
def test_bad_input_fails_with_one_line(run, tmp_path, args, message):
    kind, result = run(dict(dict(path=str(tmp_path / "jwt")), **args))
    if message is None:
        assert kind is Exit
        return
    assert kind is Fail
    assert message in result["msg"] and "\n" not in result["msg"]
    assert not (tmp_path / "jwt").exists()


def test_missing_directory_is_named(run, tmp_path):
    kind, result = run({"path": str(tmp_path / "nope" / "jwt")})
    assert kind is Fail and result["msg"].startswith("path: directory")


def test_check_mode_with_missing_directory_reports_the_creation(run, tmp_path):
    kind, result = run({"path": str(tmp_path / "nope" / "jwt")}, check_mode=True)
    assert kind is Exit and result["changed"] and result["generated"]
    assert not (tmp_path / "nope").exists()


def test_damaged_stored_secret_is_not_replaced_silently(run, tmp_path):
    path = tmp_path / "jwt"
    path.write_text("truncated\n")
    kind, result = run({"path": str(path)})
    assert kind is Fail and "too short" in result["msg"]
    assert path.read_text() == "truncated\n"


def test_supplied_value_is_never_returned(run, tmp_path):
    """Ansible replaces a no_log parameter's value everywhere in the result: returning it
    would hand the caller VALUE_SPECIFIED_IN_NO_LOG_PARAMETER instead of the secret."""
    path = tmp_path / "jwt"
    supplied = "S" * 40
    for check_mode in (True, False, False):
        kind, result = run({"path": str(path), "value": supplied}, check_mode=check_mode)
        assert kind is Exit and "secret" not in result and result["source"] == "supplied"
        assert supplied not in json.dumps(result)
    assert path.read_text().strip() == supplied


def test_stored_secret_is_returned_with_its_source(run, tmp_path):
    path = tmp_path / "jwt"
    kind, first = run({"path": str(path)})
    assert first["source"] == "generated"
    kind, second = run({"path": str(path)})
    assert second["source"] == "stored" and second["secret"] == first["secret"]


def test_check_mode_with_missing_directory_and_supplied_value_returns_no_secret(run, tmp_path):
    kind, result = run({"path": str(tmp_path / "nope" / "jwt"), "value": "V" * 40}, check_mode=True)
    assert kind is Exit and result["changed"] and "secret" not in result
