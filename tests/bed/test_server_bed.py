"""The test bed itself: a server container is a real systemd host reached over SSH, in
which a nested Docker engine, nftables and ufw work (the roles depend on all three)."""
import os
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import images  # noqa: E402
import server  # noqa: E402

NAME = "docops-bed-test"


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    state = tmp_path_factory.mktemp("bed")
    hostvars = server.up(NAME, image="server-engine", state_dir=str(state))
    yield hostvars
    server.down(NAME)


def ssh(host, command, check=True):
    """Run COMMAND on the server over SSH as the admin user (sudo where needed)."""
    result = subprocess.run(
        ["ssh", *server.ssh_options(host["ansible_ssh_private_key_file"], host["ansible_port"]),
         "%s@127.0.0.1" % host["ansible_user"], command],
        capture_output=True, text=True, timeout=300, check=False)
    if check:
        assert result.returncode == 0, "%s failed: %s%s" % (command, result.stdout, result.stderr)
    return result.stdout.strip()


def test_systemd_is_pid_1_and_the_system_is_running(host):
    assert ssh(host, "ps -p 1 -o comm=") == "systemd"
    assert ssh(host, "systemctl is-system-running --wait") == "running"


def test_password_login_is_refused(host):
    config = ssh(host, "sudo sshd -T")
    assert "passwordauthentication no" in config
    assert "permitrootlogin no" in config


def test_nested_docker_engine_runs_containers_with_overlay2(host):
    assert ssh(host, "sudo docker info -f '{{.Driver}}'") == "overlay2"
    save = subprocess.Popen(["docker", "save", images.ensure("base")], stdout=subprocess.PIPE)
    load = subprocess.run(["docker", "exec", "-i", NAME, "docker", "load"], stdin=save.stdout,
                          capture_output=True, text=True, timeout=300, check=False)
    save.wait(timeout=60)
    assert load.returncode == 0, load.stderr
    tag = images.ensure("base")
    assert ssh(host, "sudo docker run --rm %s python3 -c 'print(6*7)'" % tag) == "42"
    # Docker's NAT path inside the server: a published port answers through DNAT.
    ssh(host, "sudo docker run -d --name web -p 127.0.0.1:8081:8000 %s python3 -m http.server 8000" % tag)
    ssh(host, "for i in $(seq 50); do curl -fsS -o /dev/null http://127.0.0.1:8081/ && exit 0; sleep 0.2; done; exit 1")
    assert "DOCKER" in ssh(host, "sudo iptables -t nat -S")


def test_nftables_tables_can_be_managed(host):
    ssh(host, "sudo nft add table inet docops_bed_test")
    ssh(host, "sudo nft add chain inet docops_bed_test input '{ type filter hook input priority 0; policy accept; }'")
    ssh(host, "sudo nft add rule inet docops_bed_test input tcp dport 9 drop")
    assert "tcp dport 9 drop" in ssh(host, "sudo nft list table inet docops_bed_test")
    ssh(host, "sudo nft delete table inet docops_bed_test")


def test_ufw_enables_and_ssh_survives(host):
    ssh(host, "sudo DEBIAN_FRONTEND=noninteractive apt-get update -qq && "
              "sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ufw >/dev/null")
    ssh(host, "sudo ufw allow 22/tcp && sudo ufw --force enable")
    assert "Status: active" in ssh(host, "sudo ufw status")
    assert ssh(host, "echo still-here") == "still-here"
    ssh(host, "sudo ufw --force disable")
