"""Role tags select the tasks inside the role (import_tasks), seen through ansible-playbook itself."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def lister(top, role):
    playbook = top / ("%s.yml" % role)
    playbook.write_text("- hosts: all\n  gather_facts: false\n  roles:\n    - docops.onlyoffice.%s\n" % role)

    def run(*tags, skip=()):
        env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(top), ANSIBLE_NOCOLOR="1")
        command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", "server.test,",
                   "--list-tasks", str(playbook)]
        if tags:
            command += ["--tags", ",".join(tags)]
        if skip:
            command += ["--skip-tags", ",".join(skip)]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        return [line.strip().split("\t")[0].split(" : ", 1)[-1] for line in done.stdout.splitlines()
                if " : " in line]
    return run


@pytest.fixture(scope="module")
def collections(tmp_path_factory):
    top = tmp_path_factory.mktemp("collections")
    os.makedirs(top / "ansible_collections" / "docops")
    os.symlink(ROOT, top / "ansible_collections" / "docops" / "onlyoffice")
    return top


@pytest.fixture(scope="module")
def list_tasks(collections):
    return lister(collections, "documentserver")


@pytest.fixture(scope="module")
def list_proxy_tasks(collections):
    return lister(collections, "nginx_proxy")


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


def test_proxy_tls_tag_runs_the_certificate_and_the_site(list_proxy_tasks):
    tasks = list_proxy_tasks("nginx_proxy_tls")
    assert "Generate a self-signed certificate on the server" in tasks
    assert "Obtain the certificate from the ACME CA (HTTP-01 answered by this gateway)" in tasks
    assert "Write the gateway site and reload nginx when it accepts the whole configuration" in tasks
    assert "Install nginx (Debian, Ubuntu)" not in tasks
    # The settings are checked whatever the tags.
    assert "Stop on gateway settings that would not work" in tasks


def test_proxy_site_tag_skips_the_install(list_proxy_tasks):
    tasks = list_proxy_tasks("nginx_proxy_site")
    assert "Write the gateway site and reload nginx when it accepts the whole configuration" in tasks
    assert "Install nginx (Debian, Ubuntu)" not in tasks
    assert "Obtain the certificate from the ACME CA (HTTP-01 answered by this gateway)" not in tasks


def test_every_proxy_task_has_the_role_tag(list_proxy_tasks):
    assert list_proxy_tasks() == list_proxy_tasks("nginx_proxy")


def test_skipping_the_install_keeps_what_the_site_needs(list_proxy_tasks):
    tasks = list_proxy_tasks(skip=("nginx_proxy_install",))
    assert "Install nginx (Debian, Ubuntu)" not in tasks
    assert "Write the gateway site and reload nginx when it accepts the whole configuration" in tasks
    assert "Read the nginx version (nginx 1.25.1 changed how HTTP/2 is switched on)" in tasks
    assert "Remember which certificate the site uses" in tasks


def test_the_tls_tag_rewrites_the_site_with_a_new_certificate(list_proxy_tasks):
    tasks = list_proxy_tasks("nginx_proxy_tls")
    # The site file itself (site.yml), not only its copy inside the ACME steps.
    assert tasks.count("Write the gateway site and reload nginx when it accepts the whole configuration") == 2
