"""container_backup on the real Docker engine here, through real ansible-playbook runs.

A container of the test bed's Debian base image gets two named volumes (plus a bind mount
and an anonymous volume, which are not backed up) and files with a set owner, mode and
symbolic links. The module backs them up, the files are changed, the module restores them,
and everything is back. Every container and volume is labelled docops.testbed=1 and removed
at the end, also on failure; so is the temporary backup directory under /tmp.
Run: .venv/bin/python -m pytest tests/integration/test_container_backup.py -q -p no:cacheprovider
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import uuid

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
sys.path.insert(0, os.path.join(ROOT, "tests", "bed"))
import images  # noqa: E402  (tests/bed is not a package)

LABEL = "docops.testbed=1"
DRAIN_SCRIPT = "documentserver-prepare4shutdown.sh"
# Ends on SIGTERM within a second, so docker stop does not wait for its timeout.
COMMAND = ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1; done"]

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="reads and writes volume mountpoints: needs root")


def docker(*args, check=True):
    return subprocess.run(["docker"] + list(args), capture_output=True, text=True, check=check)


def exec_in(name, script):
    docker("exec", name, "sh", "-c", script)


def status(name):
    return docker("inspect", "-f", "{{.State.Status}}", name).stdout.strip()


def mountpoint(volume):
    return docker("volume", "inspect", "-f", "{{.Mountpoint}}", volume).stdout.strip()


def snapshot(root):
    """Type, mode, owner and content (or link target) of everything in a volume, by relative path."""
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in ([] if folder != root else [""]) + dirs + files:
            path = os.path.join(folder, name) if name else folder
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                content = os.readlink(path)
            elif stat.S_ISREG(info.st_mode):
                with open(path, "rb") as handle:
                    content = handle.read()
            else:
                content = None
            found[os.path.relpath(path, root)] = (stat.S_IFMT(info.st_mode), oct(stat.S_IMODE(info.st_mode)),
                                                  info.st_uid, info.st_gid, content)
    return found


@pytest.fixture
def bed(tmp_path, collections):
    """A running container with volumes data (/data) and logs (/var/log/app), a bind mount, an anonymous volume."""
    suffix = uuid.uuid4().hex[:8]
    names = {"container": "docops-backup-" + suffix, "data": "docops-backup-data-" + suffix,
             "logs": "docops-backup-logs-" + suffix}
    dest = tempfile.mkdtemp(prefix="docops-backup-dest-", dir="/tmp")
    bind = tmp_path / "bind"
    bind.mkdir()
    try:
        for volume in ("data", "logs"):
            docker("volume", "create", "--label", LABEL, names[volume])
        docker("run", "-d", "--name", names["container"], "--label", LABEL,
               "-v", names["data"] + ":/data", "-v", names["logs"] + ":/var/log/app",
               "-v", "%s:/bind" % bind, "-v", "/anon", images.ensure("base"), *COMMAND)
        exec_in(names["container"], """
            set -e
            mkdir /data/sub
            echo original > /data/secret.txt
            chown 1234:2345 /data/secret.txt /data/sub
            chmod 0640 /data/secret.txt
            chmod 0750 /data/sub
            echo nested > /data/sub/nested.txt
            ln -s secret.txt /data/relative-link
            ln -s /data/sub /data/absolute-link
            chown -h 1234:2345 /data/relative-link
            chown 999:999 /data
            chmod 0711 /data
            echo started > /var/log/app/app.log
            # The image's drain script: leaves a mark in the data, so the backup shows it ran first.
            printf '#!/bin/sh\\necho drained > /data/drained\\n' > /usr/local/bin/%s
            chmod 0755 /usr/local/bin/%s
            """ % (DRAIN_SCRIPT, DRAIN_SCRIPT))
        yield dict(names, dest=dest, tmp_path=tmp_path, collections=collections)
    finally:
        docker("rm", "-fv", names["container"], check=False)
        for volume in ("data", "logs"):
            docker("volume", "rm", "-f", names[volume], check=False)
        shutil.rmtree(dest, ignore_errors=True)


def play(bed, args, *options):
    """Run the module once in a real ansible-playbook; return its registered result."""
    tmp_path, collections = bed["tmp_path"], bed["collections"]
    outcome = tmp_path / "outcome.json"
    playbook = [{
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [
            {"docops.onlyoffice.container_backup": dict({"container": bed["container"], "dest": bed["dest"]}, **args),
             "register": "outcome", "ignore_errors": True},
            {"ansible.builtin.copy": {"content": "{{ outcome | to_json }}", "dest": str(outcome)},
             "check_mode": False, "diff": False},
        ],
    }]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(playbook))
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    command = [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local",
               "-e", "ansible_python_interpreter=" + sys.executable, str(tmp_path / "play.yml")]
    result = subprocess.run(command + list(options), env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr, result.stdout + result.stderr
    registered = json.loads(outcome.read_text())
    registered["stdout"] = result.stdout
    outcome.unlink()
    return registered


def backups_of(bed):
    folder = os.path.join(bed["dest"], bed["container"])
    return sorted(os.listdir(folder)) if os.path.isdir(folder) else []


def test_backup_then_restore_brings_back_content_owners_modes_and_links(bed):
    data, logs = mountpoint(bed["data"]), mountpoint(bed["logs"])

    checked = play(bed, {}, "--check", "--diff")
    assert checked["changed"] and checked["stopped"] and not checked.get("failed"), checked
    assert status(bed["container"]) == "running" and os.listdir(bed["dest"]) == []
    assert [volume["name"] for volume in checked["volumes"]] == [bed["data"], bed["logs"]]
    assert '"backups": [' in checked["stdout"] and checked["backup"]["id"] in checked["stdout"]  # the diff

    taken = play(bed, {"stop_timeout": 10})
    assert taken["changed"] and taken["stopped"] and not taken.get("failed"), taken
    assert taken["actions"] == ["run " + DRAIN_SCRIPT, "stop container", "archive " + bed["data"],
                                "archive " + bed["logs"]]
    assert status(bed["container"]) == "exited"
    not_included = sorted((mount["type"], mount["target"]) for mount in taken["not_included"])
    assert not_included == [("bind", "/bind"), ("volume", "/anon")]
    path = taken["backup"]["path"]
    assert backups_of(bed) == [taken["backup"]["id"]] and os.path.dirname(path) == os.path.join(
        bed["dest"], bed["container"])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
    assert all(stat.S_IMODE(os.stat(os.path.join(path, name)).st_mode) == 0o600 for name in os.listdir(path))
    with open(os.path.join(path, "manifest.json")) as handle:
        manifest = json.load(handle)
    assert manifest["container"] == bed["container"] and manifest["image"] == images.ensure("base")
    assert manifest["volumes"] == {bed["data"]: "/data", bed["logs"]: "/var/log/app"}
    before = {"data": snapshot(data), "logs": snapshot(logs)}
    assert before["data"]["drained"][4] == b"drained\n"  # the drain ran before the copy
    assert before["data"]["secret.txt"] == (stat.S_IFREG, "0o640", 1234, 2345, b"original\n")
    assert before["data"]["relative-link"][0::2] == (stat.S_IFLNK, 1234, "secret.txt")

    # The new release migrates the data.
    docker("start", bed["container"])
    exec_in(bed["container"], """
        set -e
        echo migrated > /data/secret.txt
        chmod 0666 /data/secret.txt
        chown 0:0 /data/secret.txt /data
        rm /data/relative-link
        rm -r /data/sub
        echo new > /data/new-release.txt
        echo upgraded >> /var/log/app/app.log
        """)

    restored = play(bed, {"state": "restored"}, "--diff")
    assert restored["changed"] and restored["stopped"] and not restored.get("failed"), restored
    assert restored["backup"]["id"] == taken["backup"]["id"]
    assert restored["backup"]["image_id"] == manifest["image_id"]
    assert status(bed["container"]) == "exited"
    assert {"data": snapshot(data), "logs": snapshot(logs)} == before

    docker("start", bed["container"])
    assert docker("exec", bed["container"], "cat", "/data/relative-link").stdout == "original\n"


def test_keep_prunes_the_oldest_and_a_named_backup_is_restored(bed):
    ids = [play(bed, {"keep": 2, "stop_timeout": 10})["backup"]["id"] for run in range(3)]
    assert len(set(ids)) == 3 and ids == sorted(ids)
    assert backups_of(bed) == sorted(ids[1:])

    with open(os.path.join(mountpoint(bed["data"]), "secret.txt"), "w") as handle:
        handle.write("changed\n")
    restored = play(bed, {"state": "restored", "backup": ids[1], "exclude": ["/var/log/app"]})
    assert restored["backup"]["id"] == ids[1] and not restored["stopped"], restored
    assert [volume["name"] for volume in restored["volumes"]] == [bed["data"]]
    assert restored["not_included"][0]["source"] == bed["logs"]
    with open(os.path.join(mountpoint(bed["data"]), "secret.txt")) as handle:
        assert handle.read() == "original\n"

    gone = play(bed, {"state": "restored", "backup": ids[0]})
    assert gone["failed"] and gone["msg"].startswith("backup %s of container %s is not in" % (ids[0], bed["container"]))


@pytest.mark.parametrize("args, message", [
    ({"keep": "nan"}, "argument 'keep' is of type"),
    ({"keep": 0}, "keep must be >= 1 and <= 100, got 0"),
    ({"keep": 1e30}, "keep must be >= 1 and <= 100, got"),
    ({"stop_timeout": 0}, "stop_timeout must be >= 1 and <= 3600, got 0"),
    ({"dest": "relative/backups"}, "dest must be an absolute path, got 'relative/backups'"),
    ({"state": "restored", "backup": "../x"}, "backup must be a backup id such as 20261122T043500Z, got '../x'"),
    ({"container": "docops-backup-missing"}, "container docops-backup-missing does not exist"),
])
def test_a_bad_parameter_fails_in_one_line_before_anything_changes(bed, args, message):
    failed = play(bed, args)
    assert failed["failed"] and message in failed["msg"], failed
    assert "\n" not in failed["msg"] and not failed.get("changed")
    assert status(bed["container"]) == "running" and os.listdir(bed["dest"]) == []
