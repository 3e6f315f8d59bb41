"""The collection builds, installs with ansible-galaxy and is usable by FQCN."""
import glob
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)


def tool(name):
    return os.path.join(BIN, name)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    build_dir = tmp_path_factory.mktemp("build")
    collections = tmp_path_factory.mktemp("collections")
    # Only the freshly installed copy may be found: no other collections path, no sys.path scan.
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
               ANSIBLE_NOCOLOR="1")
    subprocess.run([tool("ansible-galaxy"), "collection", "build", "--output-path", str(build_dir), ROOT],
                   check=True, capture_output=True, env=env)
    tarballs = glob.glob(str(build_dir / "docops-onlyoffice-*.tar.gz"))
    assert len(tarballs) == 1, tarballs
    subprocess.run([tool("ansible-galaxy"), "collection", "install", "--force", "-p", str(collections), tarballs[0]],
                   check=True, capture_output=True, env=env)
    return {"path": collections / "ansible_collections" / "docops" / "onlyoffice", "env": env,
            "tarball": tarballs[0]}


def test_tarball_leaves_out_test_bed_state(installed):
    listing = subprocess.run(["tar", "-tzf", installed["tarball"]], check=True, capture_output=True,
                             text=True).stdout.split()
    assert "galaxy.yml" not in listing  # replaced by MANIFEST.json
    assert "MANIFEST.json" in listing
    assert not [name for name in listing if name.startswith((".venv", ".testbed", "tests/output"))]


def test_installed_collection_lists_its_modules(installed):
    result = subprocess.run([tool("ansible-doc"), "-t", "module", "-l", "docops.onlyoffice"],
                            env=installed["env"], capture_output=True, text=True, check=True)
    assert "docops.onlyoffice.persistent_secret" in result.stdout


def test_every_module_documentation_renders(installed):
    modules = sorted(os.path.splitext(name)[0] for name in os.listdir(installed["path"] / "plugins" / "modules")
                     if name.endswith(".py") and not name.startswith("_"))
    assert modules
    for module in modules:
        result = subprocess.run([tool("ansible-doc"), "-t", "module", "docops.onlyoffice." + module],
                                env=installed["env"], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        assert "EXAMPLES" in result.stdout and "RETURN VALUES" in result.stdout


def test_fqcn_module_runs_from_a_playbook(installed, tmp_path):
    playbook = tmp_path / "play.yml"
    secret_file = tmp_path / "secret"
    playbook.write_text(
        "- hosts: localhost\n"
        "  gather_facts: false\n"
        "  tasks:\n"
        "    - docops.onlyoffice.persistent_secret:\n"
        "        path: %s\n"
        "      no_log: true\n" % secret_file)
    for expected in ("changed=1", "changed=0"):
        result = subprocess.run([tool("ansible-playbook"), "-i", "localhost,", "-c", "local",
                                 "-e", "ansible_python_interpreter=" + sys.executable, str(playbook)],
                                env=installed["env"], capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert expected in result.stdout
    assert len(secret_file.read_text().strip()) == 48
