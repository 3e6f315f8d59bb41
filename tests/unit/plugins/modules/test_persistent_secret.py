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
    ({"length": 16}, "length must be at least 32, got 16"),
])
def test_bad_input_fails_with_one_line(run, tmp_path, args, message):
    kind, result = run(dict(args, path=str(tmp_path / "jwt")))
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
