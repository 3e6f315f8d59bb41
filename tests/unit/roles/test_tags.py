"""Role tags select the tasks inside the role (import_tasks), seen through ansible-playbook itself."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


@pytest.fixture(scope="module")
def list_tasks(tmp_path_factory):
    top = tmp_path_factory.mktemp("collections")
    os.makedirs(top / "ansible_collections" / "docops")
    os.symlink(ROOT, top / "ansible_collections" / "docops" / "onlyoffice")
    playbook = top / "play.yml"
    playbook.write_text("- hosts: all\n  gather_facts: false\n  roles:\n    - docops.onlyoffice.documentserver\n")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(top), ANSIBLE_NOCOLOR="1")

    def run(*tags):
        command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "server.test,",
                   "--list-tasks", str(playbook)]
        if tags:
            command += ["--tags", ",".join(tags)]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        return [line.strip().split("\t")[0].split(" : ", 1)[-1] for line in done.stdout.splitlines()
                if " : " in line]
    return run


def test_secrets_tag_runs_the_secret_tasks(list_tasks):
    tasks = list_tasks("documentserver_secrets")
    assert "Keep the JWT secret (generated once unless the operator sets it)" in tasks
    assert "Keep the secure-link secret (generated once unless the operator sets it)" in tasks
    assert "Run the Document Server container" not in tasks


def test_container_tag_runs_the_container_and_what_it_needs(list_tasks):
    tasks = list_tasks("documentserver_container")
    assert "Run the Document Server container" in tasks
    assert "Keep the JWT secret (generated once unless the operator sets it)" in tasks
    assert "Wait for healthy answers that stay healthy" in tasks


def test_every_task_has_the_role_tag(list_tasks):
    assert list_tasks() == list_tasks("documentserver")
