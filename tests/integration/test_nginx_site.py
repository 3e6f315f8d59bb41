"""nginx_site against Debian's real nginx in one test bed server, through real ansible-playbook over SSH.

The server (image server-nginx: Debian 12 with its nginx package, started by systemd) is
started once for the module and always removed. Each play runs the module from the working
copy (a temporary ansible_collections/docops/onlyoffice link) and copies the registered
results back to this machine. What nginx serves is asked from here, through the server's
port 80 published on 127.0.0.1, with the site's Host header.
Run: .venv/bin/python -m pytest tests/integration/test_nginx_site.py -q -p no:cacheprovider
"""
import os
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "bed"))
import server  # noqa: E402  (tests/bed is not a package)

from .ansible_runs import ModuleCalls  # noqa: E402

NAME = "docops-nginx-site-test"
MODULE = "docops.onlyoffice.nginx_site"
DEBIAN_WELCOME = "Welcome to nginx!"


def site(name, host, text):
    return textwrap.dedent("""\
        server {
            listen 80;
            server_name %s;
            location / {
                default_type text/plain;
                return 200 "%s\\n";
            }
        }
        """) % (host, text)


V1 = site("demo.test", "demo.test", "site demo v1")
V2 = site("demo.test", "demo.test", "site demo v2")
BROKEN = V2.replace("    listen 80;\n", "    listen 80;\n    bogus_directive on;\n")


def docker_exec(script, check=True):
    done = subprocess.run(["docker", "exec", NAME, "sh", "-c", script], capture_output=True, text=True,
                          timeout=120, check=False)
    if check:
        assert done.returncode == 0, "%s: %s%s" % (script, done.stdout, done.stderr)
    return done


class Host(ModuleCalls):
    def __init__(self, hostvars, inventory, collections, workdir):
        super().__init__(MODULE, inventory, collections, workdir)
        self.hostvars = hostvars

    def get(self, hostname):
        """(status, body) of GET / on the server's port 80 with Host: HOSTNAME."""
        request = urllib.request.Request("http://127.0.0.1:%d/" % self.hostvars["testbed_port_80"],
                                         headers={"Host": hostname})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    def serves(self, hostname, fragment, budget=10):
        """Wait until nginx answers HOSTNAME with FRAGMENT in the body (a reload applies within moments)."""
        deadline = time.monotonic() + budget
        while True:
            status, body = self.get(hostname)
            if fragment in body:
                return status, body
            assert time.monotonic() < deadline, "%s: got %s %r, expected %r" % (hostname, status, body, fragment)
            time.sleep(0.2)


@pytest.fixture(scope="module")
def host(tmp_path_factory, collections):
    workdir = tmp_path_factory.mktemp("nginx-site")
    try:
        hostvars = server.up(NAME, image="server-nginx", state_dir=str(workdir / "bed"))
        inventory = str(workdir / "inventory.yml")
        server.write_inventory(inventory, {NAME: hostvars})
        docker_exec("for i in $(seq 100); do systemctl is-active -q nginx && exit 0; sleep 0.2; done; exit 1")
        bed = Host(hostvars, inventory, str(collections), str(workdir))
        bed.serves("anything.test", DEBIAN_WELCOME)
        yield bed
    finally:
        server.down(NAME)


def master_pid():
    return docker_exec("cat /run/nginx.pid").stdout.strip()


def snapshot():
    """Every path under /etc/nginx with its type, link target, mode and checksum."""
    return docker_exec("cd /etc/nginx && find . -printf '%p %y %l %m\\n' | sort && "
                       "find . -type f -exec md5sum {} + | sort").stdout


def file_text(path):
    return docker_exec("cat %s" % path).stdout


def assert_one_line_failure(result, *fragments):
    assert result.get("failed"), result
    assert "\n" not in result["msg"] and "Traceback" not in result["msg"], result["msg"]
    for fragment in fragments:
        assert fragment in result["msg"], result["msg"]


def test_bad_parameters_fail_before_anything_changes(host):
    before = snapshot()
    results = host.run(
        {"args": {"name": "demo", "content": V1, "conf_dir": "etc/nginx"}},
        {"args": {"name": "../demo", "content": V1}},
        {"args": {"name": "demo", "content": "server {\0}\n"}},
        {"args": {"name": "demo", "content": V1, "nginx_binary": "/usr/local/sbin/no-such-nginx"}},
        {"args": {"name": "demo", "content": V1, "mode": 420}},
    )
    assert_one_line_failure(results[0], "conf_dir must be an absolute path, got 'etc/nginx'")
    assert_one_line_failure(results[1], "name must be a file name of letters, digits", "'../demo'")
    assert_one_line_failure(results[2], "content contains a NUL character (at offset 8)")
    assert_one_line_failure(results[3], "nginx_binary: /usr/local/sbin/no-such-nginx does not exist")
    assert_one_line_failure(results[4], "mode must be a quoted octal string such as '0644', got 420")
    assert snapshot() == before
    assert master_pid()


def test_valid_site_is_tested_reloaded_and_served_then_unchanged(host):
    assert DEBIAN_WELCOME in host.get("demo.test")[1]
    pid = master_pid()
    first, second = host.run({"args": {"name": "demo", "content": V1}}, {"args": {"name": "demo", "content": V1}})
    assert first["changed"] and first["reloaded"] and first["nginx_running"], first
    assert first["layout"] == "sites-available"
    assert first["path"] == "/etc/nginx/sites-available/demo"
    assert first["enabled_path"] == "/etc/nginx/sites-enabled/demo"
    assert not second["changed"] and not second["reloaded"] and not second.get("failed"), second
    assert file_text("/etc/nginx/sites-available/demo") == V1
    assert docker_exec("readlink /etc/nginx/sites-enabled/demo").stdout.strip() == "/etc/nginx/sites-available/demo"
    assert docker_exec("stat -c '%a %U:%G' /etc/nginx/sites-available/demo").stdout.strip() == "644 root:root"
    docker_exec("nginx -t 2>&1")
    assert host.serves("demo.test", "site demo v1") == (200, "site demo v1\n")
    assert master_pid() == pid, "nginx was restarted, not reloaded"


def test_check_mode_writes_nothing_and_diff_shows_the_change(host):
    before = snapshot()
    result = host.one({"name": "demo", "content": V2}, check=True, diff=True)
    assert result["changed"] and not result["reloaded"], result
    assert result["diff"] == [{"before_header": "/etc/nginx/sites-available/demo",
                               "after_header": "/etc/nginx/sites-available/demo", "before": V1, "after": V2}]
    assert snapshot() == before
    assert host.get("demo.test") == (200, "site demo v1\n")


def test_broken_site_fails_with_nginx_message_and_the_old_site_stays(host):
    before, pid = snapshot(), master_pid()
    assert host.get("demo.test") == (200, "site demo v1\n")
    result = host.one({"name": "demo", "content": BROKEN})
    assert_one_line_failure(result, 'nginx -t failed with site demo: [emerg] unknown directive "bogus_directive" in '
                                    '/etc/nginx/sites-enabled/demo:3', "site demo is back as it was")
    assert "test failed" in result["test_output"]
    assert not result["changed"] and not result["reloaded"]
    assert snapshot() == before and file_text("/etc/nginx/sites-available/demo") == V1
    docker_exec("nginx -t 2>&1")
    time.sleep(1)  # a reload, had there been one, would have applied by now
    assert host.get("demo.test") == (200, "site demo v1\n")
    assert master_pid() == pid
    assert docker_exec("systemctl is-active nginx").stdout.strip() == "active"


def test_changed_site_is_reloaded_not_restarted(host):
    pid = master_pid()
    result = host.one({"name": "demo", "content": V2}, diff=True)
    assert result["changed"] and result["reloaded"], result
    assert result["diff"][0]["before"] == V1 and result["diff"][0]["after"] == V2
    assert host.serves("demo.test", "site demo v2") == (200, "site demo v2\n")
    assert master_pid() == pid


def test_disabled_keeps_the_file_and_stops_serving_it(host):
    first, second = host.run({"args": {"name": "demo", "state": "disabled"}},
                             {"args": {"name": "demo", "state": "disabled"}})
    assert first["changed"] and first["reloaded"] and not second["changed"], (first, second)
    assert docker_exec("test -e /etc/nginx/sites-enabled/demo || test -L /etc/nginx/sites-enabled/demo",
                       check=False).returncode == 1
    assert file_text("/etc/nginx/sites-available/demo") == V2
    host.serves("demo.test", DEBIAN_WELCOME)


def test_absent_removes_the_site(host):
    first, second = host.run({"args": {"name": "demo", "state": "absent"}},
                             {"args": {"name": "demo", "state": "absent"}})
    assert first["changed"] and not second["changed"], (first, second)
    assert docker_exec("ls -A /etc/nginx/sites-available /etc/nginx/sites-enabled").stdout.split() == [
        "/etc/nginx/sites-available:", "default", "/etc/nginx/sites-enabled:", "default"]
    host.serves("demo.test", DEBIAN_WELCOME)


def test_conf_d_layout(host):
    text = site("confd.test", "confd.test", "site confd v1")
    result = host.one({"name": "confd", "content": text, "layout": "conf.d", "mode": "0640"})
    assert result["changed"] and result["reloaded"] and result["path"] == "/etc/nginx/conf.d/confd.conf", result
    assert docker_exec("stat -c %a /etc/nginx/conf.d/confd.conf").stdout.strip() == "640"
    host.serves("confd.test", "site confd v1")

    result = host.one({"name": "confd", "layout": "conf.d", "state": "disabled"})
    assert result["changed"] and result["path"] == "/etc/nginx/conf.d/confd.conf.disabled", result
    assert docker_exec("ls /etc/nginx/conf.d").stdout.split() == ["confd.conf.disabled"]
    host.serves("confd.test", DEBIAN_WELCOME)

    first, second = host.run({"args": {"name": "confd", "layout": "conf.d", "state": "absent"}},
                             {"args": {"name": "confd", "layout": "conf.d", "state": "absent"}})
    assert first["changed"] and not second["changed"], (first, second)
    assert docker_exec("ls -A /etc/nginx/conf.d").stdout.split() == []


def test_stopped_nginx_is_reported_and_not_started(host):
    docker_exec("systemctl stop nginx")
    try:
        result = host.one({"name": "quiet", "content": site("quiet.test", "quiet.test", "quiet")})
        assert result["changed"] and not result["reloaded"] and result["nginx_running"] is False, result
        assert any("nginx is not running" in warning for warning in result.get("warnings", [])), result
        assert docker_exec("systemctl is-active nginx", check=False).stdout.strip() == "inactive"
    finally:
        docker_exec("systemctl start nginx")
    host.serves("quiet.test", "quiet")
