"""The companion test images (real servers from Debian's packages) honour the interface of
the official postgres, rabbitmq and redis images that the roles use; and service_container
with container_network runs one of them on the real engine here.

Every container, network and volume is labelled docops.testbed=1 and removed at the end,
also on failure. Ports are published on 127.0.0.1 only.
Run: /tmp/venvtest/bin/python -m pytest tests/integration/test_companion_images.py -q
"""
import os
import socket
import subprocess
import sys
import textwrap
import time
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
sys.path.insert(0, os.path.join(ROOT, "tests", "bed"))
import images  # noqa: E402  (tests/bed is not a package)

LABEL = "docops.testbed=1"
READY_BUDGET = 90  # seconds for a server to pass its healthcheck command
PASSWORD = 'Pa55 "w0rd" $x\\y'  # spaces, quotes, $ and \: passed through as they are


def docker(*args, check=True):
    return subprocess.run(["docker"] + list(args), capture_output=True, text=True, check=check)


@pytest.fixture
def containers():
    """start(image, *run_options, command=()) -> name; every container and its volumes go at the end."""
    suffix = uuid.uuid4().hex[:8]
    started = []

    def start(image, *options, command=()):
        name = "docops-companion-%s-%d" % (suffix, len(started))
        started.append(name)
        docker("run", "-d", "--name", name, "--label", LABEL, *options, image, *command)
        return name

    yield start
    for name in started:
        docker("rm", "-fv", name, check=False)


def exec_in(name, *command, env=None):
    options = []
    for key, value in (env or {}).items():
        options += ["-e", "%s=%s" % (key, value)]
    return docker("exec", *options, name, *command, check=False)


def wait_for(name, *command):
    """Run the healthcheck command in the container until it succeeds, within READY_BUDGET."""
    deadline = time.monotonic() + READY_BUDGET
    while True:
        result = exec_in(name, *command)
        if result.returncode == 0:
            return result
        state = docker("inspect", "-f", "{{.State.Status}}", name).stdout.strip()
        if state != "running" or time.monotonic() > deadline:
            logs = docker("logs", "--tail", "30", name, check=False)
            pytest.fail("%s not ready (%s, last check: %s): %s" % (name, state, result.stdout + result.stderr,
                                                                   logs.stdout + logs.stderr))
        time.sleep(0.5)


def host_port(name, port):
    address = docker("port", name, "%d/tcp" % port).stdout.split()[0]
    assert address.startswith("127.0.0.1:"), address
    return int(address.rsplit(":", 1)[1])


def exchange(port, payload, expect):
    """Send payload to 127.0.0.1:port and read until expect arrives; return what came."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(payload)
        received = b""
        while expect not in received:
            chunk = connection.recv(4096)
            if not chunk:
                break
            received += chunk
    return received


def stops_on_sigterm_style_signal(name):
    """docker stop ends the server itself (exit 0, well within the stop timeout), not by SIGKILL."""
    started = time.monotonic()
    docker("stop", "-t", "20", name)
    elapsed = time.monotonic() - started
    exit_code = docker("inspect", "-f", "{{.State.ExitCode}}", name).stdout.strip()
    assert exit_code == "0" and elapsed < 15, (exit_code, elapsed)


# ---------------------------------------------------------------- the images

def test_images_are_labelled_as_real_servers_from_debian_packages():
    for name in ("postgres-deb", "rabbitmq-deb", "redis-deb"):
        labels = docker("image", "inspect", "-f", "{{json .Config.Labels}}", images.ensure(name)).stdout
        assert "from Debian 12 packages" in labels and "not a test double" in labels, labels


# pg_isready over TCP: during the first-start initialisation a temporary server answers on
# the Unix socket only, so a socket check passes before the real server listens.
def test_postgres_creates_the_user_and_database_and_checks_the_password(containers):
    image = images.ensure("postgres-deb")
    volume = "docops-companion-pg-%s" % uuid.uuid4().hex[:8]
    env = ["-e", "POSTGRES_USER=onlyoffice", "-e", "POSTGRES_PASSWORD=" + PASSWORD, "-e", "POSTGRES_DB=docs"]
    try:
        name = containers(image, "-p", "127.0.0.1::5432", "-v", volume + ":/var/lib/postgresql/data", *env)
        wait_for(name, "pg_isready", "-h", "127.0.0.1", "-U", "onlyoffice")

        def psql(password, sql):
            return exec_in(name, "psql", "-h", "127.0.0.1", "-U", "onlyoffice", "-d", "docs", "-Atc", sql,
                           env={"PGPASSWORD": password})

        result = psql(PASSWORD, "SELECT current_user || '@' || current_database()")
        assert result.returncode == 0 and result.stdout.strip() == "onlyoffice@docs", result.stderr
        refused = psql("wrong", "SELECT 1")
        assert refused.returncode != 0 and 'password authentication failed for user "onlyoffice"' in refused.stderr
        # Port 5432 listens beyond the container's loopback: an SSLRequest gets the one-byte answer.
        assert exchange(host_port(name, 5432), b"\x00\x00\x00\x08\x04\xd2\x16\x2f", b"N") == b"N"
        assert psql(PASSWORD, "CREATE TABLE kept (id int); INSERT INTO kept VALUES (42)").returncode == 0
        stops_on_sigterm_style_signal(name)
        docker("rm", name)

        # A new container on the same volume keeps the data and does not initialise again.
        name = containers(image, "-v", volume + ":/var/lib/postgresql/data", *env)
        wait_for(name, "pg_isready", "-h", "127.0.0.1", "-U", "onlyoffice")
        assert psql(PASSWORD, "SELECT id FROM kept").stdout.strip() == "42"
        assert "init process complete" not in docker("logs", name).stdout
    finally:
        for container in docker("ps", "-aq", "--filter", "volume=" + volume).stdout.split():
            docker("rm", "-fv", container, check=False)
        docker("volume", "rm", volume, check=False)


def test_postgres_refuses_to_initialise_without_a_password(containers):
    name = containers(images.ensure("postgres-deb"), "-e", "POSTGRES_USER=onlyoffice")
    docker("wait", name)
    assert "superuser password is not specified" in docker("logs", name).stderr


def test_rabbitmq_creates_the_default_user(containers):
    name = containers(images.ensure("rabbitmq-deb"), "-p", "127.0.0.1::5672",
                      "-e", "RABBITMQ_DEFAULT_USER=onlyoffice", "-e", "RABBITMQ_DEFAULT_PASS=" + PASSWORD)
    wait_for(name, "rabbitmq-diagnostics", "-q", "check_port_connectivity")
    assert exec_in(name, "rabbitmq-diagnostics", "-q", "ping").returncode == 0
    accepted = exec_in(name, "rabbitmqctl", "authenticate_user", "onlyoffice", PASSWORD)
    assert accepted.returncode == 0 and "Success" in accepted.stdout, accepted.stdout + accepted.stderr
    refused = exec_in(name, "rabbitmqctl", "authenticate_user", "onlyoffice", "wrong")
    assert refused.returncode != 0
    assert exec_in(name, "rabbitmqctl", "status").returncode == 0
    # AMQP 0-9-1 protocol header -> the broker opens with a method frame (type 1, channel 0).
    assert exchange(host_port(name, 5672), b"AMQP\x00\x00\x09\x01", b"\xce")[:3] == b"\x01\x00\x00"
    stops_on_sigterm_style_signal(name)


def test_redis_takes_server_options_as_arguments_and_requires_the_password(containers):
    name = containers(images.ensure("redis-deb"), "-p", "127.0.0.1::6379", command=["--requirepass", PASSWORD])
    wait_for(name, "sh", "-c", "redis-cli ping | grep -q NOAUTH")
    assert exec_in(name, "redis-cli", "-a", PASSWORD, "--no-auth-warning", "ping").stdout.strip() == "PONG"
    assert "NOAUTH Authentication required" in exec_in(name, "redis-cli", "ping").stdout
    # From outside the container (protected mode is off, like the official image); RESP over TCP.
    quoted = PASSWORD.replace("\\", "\\\\").replace('"', '\\"')
    answer = exchange(host_port(name, 6379), ('PING\r\nAUTH "%s"\r\nPING\r\n' % quoted).encode(), b"+PONG")
    assert answer.startswith(b"-NOAUTH") and answer.endswith(b"+OK\r\n+PONG\r\n"), answer
    assert exec_in(name, "sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline").stdout.startswith("redis-server")
    stops_on_sigterm_style_signal(name)


# ---------------------------------------------------------------- service_container on the real engine

PLAYBOOK = textwrap.dedent("""\
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: Private network
          docops.onlyoffice.container_network:
            name: "{{ network }}"
            labels: {docops.testbed: "1"}
          when: companion_state != 'absent'

        - name: Redis companion
          docops.onlyoffice.service_container:
            name: "{{ container }}"
            image: "{{ image }}"
            state: "{{ companion_state }}"
            command: [redis-server, --requirepass, "{{ password }}"]
            env:
              REDIS_PASSWORD: "{{ password }}"
            volumes:
              - source: "{{ volume }}"
                target: /data
            networks:
              - name: "{{ network }}"
                aliases: [redis]
            healthcheck:
              test: redis-cli -a "$REDIS_PASSWORD" --no-auth-warning ping | grep -qx PONG
              interval: 1s
            labels: {docops.testbed: "1"}
            health_timeout: 60

        - name: Remove the network
          docops.onlyoffice.container_network:
            name: "{{ network }}"
            state: absent
          when: companion_state == 'absent'
    """)


def test_service_container_runs_a_healthy_companion_on_its_network(tmp_path):
    suffix = uuid.uuid4().hex[:8]
    names = {"network": "docops-companion-net-" + suffix, "container": "docops-companion-redis-" + suffix,
             "volume": "docops-companion-redis-" + suffix, "password": "pw-" + uuid.uuid4().hex,
             "image": images.ensure("redis-deb")}
    collections = tmp_path / "collections" / "ansible_collections" / "docops"
    collections.mkdir(parents=True)
    (collections / "onlyoffice").symlink_to(ROOT)
    (tmp_path / "play.yml").write_text(PLAYBOOK)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "collections"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")

    def play(state, *options):
        extra = dict(names, companion_state=state, ansible_python_interpreter=sys.executable)
        command = [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", str(tmp_path / "play.yml")]
        for key, value in extra.items():
            command += ["-e", "%s=%s" % (key, value)]
        result = subprocess.run(command + list(options), env=env, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        assert names["password"] not in result.stdout  # the diff masks it
        return result.stdout

    try:
        assert "changed=2" in play("healthy", "--check", "--diff")
        assert docker("ps", "-aq", "--filter", "name=" + names["container"]).stdout == ""

        assert "changed=2" in play("healthy")
        health = docker("inspect", "-f", "{{.State.Health.Status}}", names["container"]).stdout.strip()
        assert health == "healthy"
        # Another container on the network reaches it by its alias, with the password.
        probe = docker("run", "--rm", "--label", LABEL, "--network", names["network"], names["image"],
                       "redis-cli", "-h", "redis", "-a", names["password"], "--no-auth-warning", "ping")
        assert probe.stdout.strip() == "PONG"

        assert "changed=0" in play("healthy", "--diff")

        assert "changed=2" in play("absent")
        assert docker("ps", "-aq", "--filter", "name=" + names["container"]).stdout == ""
        assert docker("network", "ls", "-q", "--filter", "name=" + names["network"]).stdout == ""
    finally:
        docker("rm", "-fv", names["container"], check=False)
        docker("network", "rm", names["network"], check=False)
        docker("volume", "rm", names["volume"], check=False)
