import json
import os
import stat

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.docops.onlyoffice.plugins.modules import persistent_secret


class Exit(Exception):
    pass


class Fail(Exception):
    pass


@pytest.fixture(autouse=True)
def capture_exit(monkeypatch):
    def exit_json(self, **kwargs):
        raise Exit(kwargs)

    def fail_json(self, **kwargs):
        raise Fail(kwargs)

    monkeypatch.setattr(persistent_secret.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(persistent_secret.AnsibleModule, "fail_json", fail_json)


def run(args, check_mode=False):
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    with patch_module_args(args):
        with pytest.raises((Exit, Fail)) as info:
            persistent_secret.main()
    return info.type, info.value.args[0]


def test_generates_once_then_returns_the_same(tmp_path):
    path = str(tmp_path / "jwt")
    kind, first = run({"path": path})
    assert kind is Exit and first["changed"] and first["generated"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    kind, second = run({"path": path})
    assert kind is Exit and not second["changed"] and not second["generated"]
    assert second["secret"] == first["secret"]
    assert len(first["secret"]) == 48


def test_check_mode_writes_nothing(tmp_path):
    path = tmp_path / "jwt"
    kind, result = run({"path": str(path)}, check_mode=True)
    assert kind is Exit and result["changed"]
    assert not path.exists()


def test_supplied_value_rotates_and_diff_hides_it(tmp_path):
    path = tmp_path / "jwt"
    run({"path": str(path)})
    new = "N" * 40
    kind, result = run({"path": str(path), "value": new})
    assert kind is Exit and result["changed"] and not result["generated"]
    assert path.read_text().strip() == new
    assert new not in json.dumps(result["diff"])
    kind, again = run({"path": str(path), "value": new})
    assert not again["changed"]


def test_loose_mode_is_tightened(tmp_path):
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
def test_bad_input_fails_with_one_line(tmp_path, args, message):
    kind, result = run(dict(args, path=str(tmp_path / "jwt")))
    assert kind is Fail
    assert message in result["msg"] and "\n" not in result["msg"]
    assert not (tmp_path / "jwt").exists()


def test_missing_directory_is_named(tmp_path):
    kind, result = run({"path": str(tmp_path / "nope" / "jwt")})
    assert kind is Fail and result["msg"].startswith("path: directory")


def test_check_mode_with_missing_directory_reports_the_creation(tmp_path):
    kind, result = run({"path": str(tmp_path / "nope" / "jwt")}, check_mode=True)
    assert kind is Exit and result["changed"] and result["generated"]
    assert not (tmp_path / "nope").exists()


def test_damaged_stored_secret_is_not_replaced_silently(tmp_path):
    path = tmp_path / "jwt"
    path.write_text("truncated\n")
    kind, result = run({"path": str(path)})
    assert kind is Fail and "too short" in result["msg"]
    assert path.read_text() == "truncated\n"
