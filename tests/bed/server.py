"""Start and stop test bed "server" containers that Ansible reaches over real SSH.

A server runs systemd as PID 1 with the capability set that works on this kind of host
(--privileged does not: CAP_SYS_RESOURCE is outside the bounding set), so a nested
dockerd, nftables and ufw work inside it. Its sshd is published on a random 127.0.0.1
port; the key pair is made per state directory.

Usage:
  python3 tests/bed/server.py up NAME [--image NAME] [--state DIR] [--molecule]
      -> writes DIR/inventory.yml and prints its path (or molecule's instance config entry)
  python3 tests/bed/server.py down NAME [--state DIR]
"""
import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import images  # noqa: E402

LABEL = "docops.testbed=1"
RUN_OPTIONS = [
    "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE",
    "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
    "--cgroupns=host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
    "--tmpfs", "/run", "--tmpfs", "/run/lock",
    # A nested dockerd cannot put overlay2 on the container's own overlay root: give its
    # data directory a volume (removed with the server by `rm -v`).
    "-v", "/var/lib/docker",
]
SSH_USER = "admin"


def docker(*args, check=True, capture=True):
    result = subprocess.run(["docker", *args], capture_output=capture, text=True, check=False)
    if check and result.returncode != 0:
        raise RuntimeError("docker %s failed: %s" % (" ".join(args[:2]), (result.stderr or "").strip()))
    return (result.stdout or "").strip()


def ensure_key(state_dir):
    key = os.path.join(state_dir, "id_ed25519")
    if not os.path.exists(key):
        os.makedirs(state_dir, exist_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "docops-testbed", "-f", key], check=True)
    return key


def published_port(name, container_port):
    mappings = json.loads(docker("inspect", "-f", "{{json .NetworkSettings.Ports}}", name))
    for binding in mappings.get("%s/tcp" % container_port) or []:
        if binding["HostIp"] in ("127.0.0.1", ""):
            return int(binding["HostPort"])
    raise RuntimeError("%s: port %s is not published on 127.0.0.1" % (name, container_port))


def wait_for_ssh(name, key, port, budget=90):
    deadline = time.monotonic() + budget
    command = ["ssh", *ssh_options(key, port), "%s@127.0.0.1" % SSH_USER, "true"]
    while time.monotonic() < deadline:
        if subprocess.run(command, capture_output=True, check=False).returncode == 0:
            return
        time.sleep(0.5)
    status = docker("exec", name, "systemctl", "status", "--no-pager", "ssh", check=False)
    raise RuntimeError("%s: sshd did not accept the key within %d s; ssh.service:\n%s" % (name, budget, status))


def ssh_options(key, port):
    return ["-i", key, "-p", str(port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5"]


def up(name, image="server", state_dir=".testbed", publish=(80, 443), network=None):
    """Start (or replace) server NAME; return its inventory host vars."""
    state_dir = os.path.abspath(state_dir)
    key = ensure_key(state_dir)
    down(name)
    command = ["create", "--name", name, "--hostname", name, "--label", LABEL, *RUN_OPTIONS,
               "-p", "127.0.0.1::22"]
    for port in publish:
        command += ["-p", "127.0.0.1::%d" % port]
    if network:
        command += ["--network", network]
    docker(*command, images.ensure(image))
    with open(key + ".pub") as handle:
        authorized = handle.read()
    keyfile = os.path.join(state_dir, "authorized_keys")
    with open(keyfile, "w") as handle:
        handle.write(authorized)
    docker("cp", keyfile, "%s:/home/%s/.ssh/authorized_keys" % (name, SSH_USER))
    docker("start", name)
    docker("exec", name, "sh", "-c", "chown %s: /home/%s/.ssh/authorized_keys && chmod 0600 /home/%s/.ssh/authorized_keys"
           % (SSH_USER, SSH_USER, SSH_USER))
    port = published_port(name, 22)
    wait_for_ssh(name, key, port)
    hostvars = {
        "ansible_host": "127.0.0.1",
        "ansible_port": port,
        "ansible_user": SSH_USER,
        "ansible_ssh_private_key_file": key,
        "ansible_ssh_common_args": "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
        "ansible_python_interpreter": "/usr/bin/python3",
        "ansible_become": True,
        "testbed_container": name,
    }
    for extra in publish:
        hostvars["testbed_port_%d" % extra] = published_port(name, extra)
    return hostvars


def down(name):
    docker("rm", "-f", "-v", name, check=False)


def write_inventory(path, hosts, group="servers"):
    import yaml  # ansible-core brings PyYAML

    with open(path, "w") as handle:
        yaml.safe_dump({"all": {"children": {group: {"hosts": hosts}}}}, handle, default_flow_style=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("name")
    parser.add_argument("--image", default="server")
    parser.add_argument("--state", default=".testbed")
    parser.add_argument("--molecule", action="store_true",
                        help="print molecule's instance config entry (JSON) instead of an inventory path")
    args = parser.parse_args()
    if args.action == "down":
        down(args.name)
        return
    hostvars = up(args.name, args.image, args.state)
    if args.molecule:
        print(json.dumps({"instance": args.name, "address": hostvars["ansible_host"], "port": hostvars["ansible_port"],
                          "user": hostvars["ansible_user"], "identity_file": hostvars["ansible_ssh_private_key_file"]}))
        return
    inventory = os.path.join(os.path.abspath(args.state), "inventory.yml")
    write_inventory(inventory, {args.name: hostvars})
    print(inventory)


if __name__ == "__main__":
    main()
