"""host_firewall (nftables backend) in one test bed server, through real ansible-playbook over SSH.

The server (image server: Debian 12, systemd, sshd on 22, nftables installed but its service
disabled) is started once for the module on its own Docker network and always removed.
Ansible reaches its sshd through a port forwarded from 127.0.0.1, so ansible_port is NOT 22:
the module must guard 22, the port sshd really listens on. What "outside" sees is tried from a
throwaway container on the same Docker network, talking to the server's address (never any
address outside this machine). The rules are read with `docker exec ... nft`.
Run: .venv/bin/python -m pytest tests/integration/test_host_firewall.py -q -p no:cacheprovider
"""
import os
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "bed"))
import images  # noqa: E402  (tests/bed is not a package)
import server  # noqa: E402

from .ansible_runs import ModuleCalls  # noqa: E402

NAME = "docops-host-firewall-test"
NETWORK = "docops-host-firewall-net"
MODULE = "docops.onlyoffice.host_firewall"
TABLE = "inet docops_firewall"
PERSIST = "/etc/nftables.d/docops-firewall.nft"
WEB = [{"port": 22}, {"port": 80}, {"port": 443}]
NO_HTTP = [{"port": 22}, {"port": 443}]
SENTINEL = "table ip docops_sentinel {\n\tchain c {\n\t\ttype filter hook input priority 10; policy accept;\n\t}\n}"


def docker_exec(script, check=True):
    done = subprocess.run(["docker", "exec", NAME, "sh", "-c", script], capture_output=True, text=True,
                          timeout=120, check=False)
    if check:
        assert done.returncode == 0, "%s: %s%s" % (script, done.stdout, done.stderr)
    return done


class Host(ModuleCalls):
    def __init__(self, hostvars, workdir, collections):
        super().__init__(MODULE, os.path.join(workdir, "inventory.yml"), collections, workdir)
        self.hostvars = hostvars
        self.write_inventory()

    def write_inventory(self):
        server.write_inventory(self.inventory, {NAME: self.hostvars})


@pytest.fixture(scope="module")
def host(tmp_path_factory, collections):
    workdir = tmp_path_factory.mktemp("host-firewall")
    subprocess.run(["docker", "network", "rm", NETWORK], capture_output=True, check=False)
    subprocess.run(["docker", "network", "create", NETWORK], capture_output=True, check=True)
    try:
        hostvars = server.up(NAME, image="server", state_dir=str(workdir / "bed"), network=NETWORK)
        add_sentinel()
        yield Host(hostvars, str(workdir), str(collections))
    finally:
        server.down(NAME)
        subprocess.run(["docker", "network", "rm", NETWORK], capture_output=True, check=False)


def add_sentinel():
    """A table of someone else's, which the module must never touch."""
    docker_exec("nft -f /dev/stdin <<'EOF'\n%s\nEOF" % SENTINEL)


def live():
    """`nft list table inet docops_firewall`, or None when the table does not exist."""
    done = docker_exec("nft list table %s" % TABLE, check=False)
    return done.stdout if done.returncode == 0 else None


def snapshot():
    """The whole ruleset and our files, to prove that nothing changed."""
    return docker_exec("nft list ruleset; ls -la /etc/nftables.d /etc/systemd/system /var/lib/docops-onlyoffice "
                       "2>&1; cat %s 2>&1" % PERSIST, check=False).stdout


def assert_one_line_failure(result, *fragments):
    assert result.get("failed"), result
    assert "\n" not in result["msg"] and "Traceback" not in result["msg"], result["msg"]
    for fragment in fragments:
        assert fragment in result["msg"], result["msg"]


def wait_for(predicate, budget, what):
    deadline = time.monotonic() + budget
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.5)


PROBE = """
import socket, sys
for port in map(int, sys.argv[2:]):
    s = socket.socket()
    s.settimeout(3)
    try:
        s.connect((sys.argv[1], port))
        print(port, "open")
    except ConnectionRefusedError:
        print(port, "refused")
    except OSError:
        print(port, "filtered")
    finally:
        s.close()
"""


def probe(*ports):
    """From a throwaway container on the server's network: {port: open|refused|filtered} at the server's address."""
    address = subprocess.run(["docker", "inspect", "-f", '{{(index .NetworkSettings.Networks "%s").IPAddress}}'
                              % NETWORK, NAME], capture_output=True, text=True, check=True).stdout.strip()
    done = subprocess.run(["docker", "run", "--rm", "--network", NETWORK, "--entrypoint", "python3",
                           images.ensure("server"), "-c", PROBE, address] + [str(port) for port in ports],
                          capture_output=True, text=True, timeout=120, check=True)
    return dict((int(line.split()[0]), line.split()[1]) for line in done.stdout.splitlines())


def test_bad_parameters_fail_before_anything_changes(host):
    before = snapshot()
    results = host.run(
        {"args": {"allow": [{"port": 0}]}},
        {"args": {"allow": [{"port": 22}, {"port": 70000}]}},
        {"args": {"allow": [{"port": 22, "protocol": "icmp"}]}},
        {"args": {"allow": [{"port": 22, "sources": ["10.0.0.0/33"]}]}},
        {"args": {"allow": [{"port": 22, "sources": ["10.0.0.1/8"]}]}},
        {"args": {"allow": WEB, "confirm_timeout": 5}},
        {"args": {"allow": WEB, "forward_block_ports": [8080, 0]}},
        {"args": {"allow": WEB, "table": "docops firewall"}},
    )
    assert_one_line_failure(results[0], "allow[0].port must be >= 1 and <= 65535, got 0")
    assert_one_line_failure(results[1], "allow[1].port must be >= 1 and <= 65535, got 70000")
    assert_one_line_failure(results[2], "protocol", "icmp")
    assert_one_line_failure(results[3], "allow[0].sources[0] must be an IPv4 or IPv6 address or network", "10.0.0.0/33")
    assert_one_line_failure(results[4], "allow[0].sources[0] has host bits set", "10.0.0.0/8")
    assert_one_line_failure(results[5], "confirm_timeout must be 0 (off) or >= 10 and <= 3600, got 5")
    assert_one_line_failure(results[6], "forward_block_ports[1] must be >= 1 and <= 65535, got 0")
    assert_one_line_failure(results[7], "table must be an nftables name")
    assert snapshot() == before


def test_rule_set_without_the_ssh_port_is_refused(host):
    before = snapshot()
    result = host.one({"allow": [{"port": 80}, {"port": 443}]})
    assert_one_line_failure(result, "the rule set does not allow the SSH port 22 that this connection uses (read from "
                                    "SSH_CONNECTION); add it or set force=true")
    assert host.hostvars["ansible_port"] != 22
    result = host.one({"allow": [{"port": 22, "sources": ["192.0.2.0/24"]}]})
    assert_one_line_failure(result, "allows the SSH port 22 only from 192.0.2.0/24, not from")
    assert snapshot() == before and live() is None


def test_apply_then_unchanged_and_check_mode_reports_no_change(host):
    first, second, third = host.run({"args": {"allow": WEB}, "diff": True}, {"args": {"allow": WEB}},
                                    {"args": {"allow": WEB}, "check": True})
    assert first["changed"] and not first.get("failed"), first
    # ansible_port is a forwarded port; the module guarded the port sshd listens on.
    assert first["ssh_port"] == 22 and first["ssh_port_source"] == "SSH_CONNECTION", first
    assert first["diff"][0]["before"] == "" and "tcp dport 80 accept" in first["diff"][0]["after"]
    assert not second["changed"] and not second.get("failed"), second
    assert not third["changed"] and not third.get("failed"), third
    table = live()
    assert "policy drop;" in table and "tcp dport 22 accept" in table and "tcp dport 443 accept" in table
    assert "docops_sentinel" in docker_exec("nft list tables").stdout, "another table was touched"
    assert docker_exec("systemctl is-enabled docops-firewall.service").stdout.strip() == "enabled"
    assert "flush ruleset" not in docker_exec("cat %s" % PERSIST).stdout


def test_check_mode_reports_a_change_without_making_it(host):
    before = snapshot()
    result = host.one({"allow": NO_HTTP}, check=True, diff=True)
    assert result["changed"] and not result.get("failed"), result
    assert "tcp dport 80 accept" in result["diff"][0]["before"]
    assert "tcp dport 80 accept" not in result["diff"][0]["after"]
    assert snapshot() == before


def test_from_another_container_allowed_ports_answer_and_others_are_filtered(host):
    seen = probe(22, 80, 8080)
    assert seen == {22: "open", 80: "refused", 8080: "filtered"}, seen


NAT_SETUP = """
set -e
ip netns add inner
ip link add vhost type veth peer name vinner
ip link set vinner netns inner
ip addr add 10.99.0.1/24 dev vhost && ip link set vhost up
ip -n inner addr add 10.99.0.2/24 dev vinner && ip -n inner link set vinner up && ip -n inner link set lo up
ip -n inner route add default via 10.99.0.1
test "$(cat /proc/sys/net/ipv4/ip_forward)" = 1  # Docker gives the server container forwarding
nft -f /dev/stdin <<'END'
table ip docops_testnat {
\tchain pre {
\t\ttype nat hook prerouting priority -100; policy accept;
\t\ttcp dport 8081 dnat to 10.99.0.2:80
\t}
}
END
"""
LISTENING = "import socket; socket.create_connection(('10.99.0.2', 80), timeout=1)"


def test_forward_block_ports_drop_published_traffic_that_the_input_policy_misses(host):
    # What Docker does for a published port: DNAT in prerouting to an address behind a veth, then forward.
    docker_exec(NAT_SETUP)
    subprocess.run(["docker", "exec", "-d", NAME, "ip", "netns", "exec", "inner", "python3", "-m", "http.server",
                    "80"], check=True)
    wait_for(lambda: docker_exec('python3 -c "%s"' % LISTENING, check=False).returncode == 0, 20,
             "the listener in the network namespace did not start")
    assert probe(8081) == {8081: "open"}, "the input policy drop does not stop forwarded (published) traffic"
    blocked = host.one({"allow": WEB, "forward_block_ports": [8081]}, diff=True)
    assert blocked["changed"], blocked
    assert "ct original proto-dst 8081 drop" in blocked["diff"][0]["after"]
    assert probe(8081, 80) == {8081: "filtered", 80: "refused"}
    assert "docops_testnat" in docker_exec("nft list tables").stdout
    assert host.one({"allow": WEB})["changed"]
    assert probe(8081) == {8081: "open"}


def test_an_unconfirmed_change_is_rolled_back(host):
    before = live()
    result = host.one({"allow": NO_HTTP, "confirm_timeout": 10})
    assert result["changed"] and result["rollback_pending"] and result["rollback_seconds"] == 10, result
    assert "tcp dport 80 accept" not in live()
    assert probe(80) == {80: "filtered"}
    wait_for(lambda: live() == before, 30, "the rules from before the unconfirmed change did not come back")
    assert "tcp dport 80 accept" in docker_exec("cat %s" % PERSIST).stdout
    assert probe(80) == {80: "refused"}
    late = host.one({"state": "confirmed"})
    assert_one_line_failure(late, "too late: the change was already rolled back")
    again = host.one({"allow": WEB})
    assert not again["changed"], again


def test_a_confirmed_change_stays(host):
    applied, confirmed = host.run({"args": {"allow": NO_HTTP, "confirm_timeout": 10}}, {"args": {"state": "confirmed"}})
    assert applied["changed"] and applied["rollback_pending"], applied
    assert confirmed["changed"] and not confirmed["rollback_pending"], confirmed
    assert docker_exec("systemctl is-active docops-firewall-rollback.timer", check=False).stdout.strip() != "active"
    time.sleep(13)
    assert "tcp dport 80 accept" not in live()
    assert docker_exec("ls /var/lib/docops-onlyoffice/firewall").stdout.split() == ["applied.list"]
    assert not host.one({"state": "confirmed"})["changed"]
    assert not host.one({"allow": NO_HTTP})["changed"]


def test_rules_are_back_after_a_reboot(host):
    before = live()
    subprocess.run(["docker", "restart", NAME], capture_output=True, check=True, timeout=120)
    host.hostvars["ansible_port"] = server.published_port(NAME, 22)
    host.write_inventory()
    server.wait_for_ssh(NAME, host.hostvars["ansible_ssh_private_key_file"], host.hostvars["ansible_port"])
    assert live() == before
    assert docker_exec("systemctl is-active docops-firewall.service").stdout.strip() == "active"
    assert not host.one({"allow": NO_HTTP})["changed"]


def test_absent_removes_only_our_table(host):
    add_sentinel()  # a reboot ended the one added at the start
    first, second = host.run({"args": {"state": "absent"}}, {"args": {"state": "absent"}})
    assert first["changed"] and not second["changed"], (first, second)
    assert live() is None
    assert docker_exec("test -e %s || test -e /etc/systemd/system/docops-firewall.service" % PERSIST,
                       check=False).returncode == 1
    assert "docops_sentinel" in docker_exec("nft list tables").stdout
