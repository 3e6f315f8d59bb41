"""gateway_diagnose on the real Docker engine here, through ansible-playbook (connection local, as root).

Simulator containers (TEST DOUBLE of the Document Server) made to fail with its knobs, started once and shared
by all the cases: a healthy one, one that crashed (SIM_CRASH_AFTER, no restart policy), one whose database was
down at start (SIM_DB_DOWN_AT_START: its nginx answers 502 forever). Plus a container that does not exist, and
the same diagnosis with a Python that has no Docker SDK (this machine's /usr/bin/python3), which must fall back
to the docker CLI and say so. This machine has no nginx, so the diagnosis says that in its gaps.

Every container is labelled docops.testbed=1 and removed at the end, also on failure; ports are published on
127.0.0.1 only. Run: .venv/bin/python -m pytest tests/integration/test_gateway_diagnose.py -q -s
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
sys.path.insert(0, os.path.join(ROOT, "tests", "bed"))
import images  # noqa: E402  (tests/bed is not a package)

LABEL = "docops.testbed=1"
# A Python without the Docker SDK, for the CLI fallback.
PLAIN_PYTHON = "/usr/bin/python3"

PLAY = textwrap.dedent("""\
    - hosts: localhost
      gather_facts: false
      vars:
        ansible_python_interpreter: "{{ venv_python }}"
      module_defaults:
        docops.onlyoffice.gateway_diagnose:
          timeout: 2
          controller_time:
            before: "{{ now(utc=true).timestamp() }}"
            after: "{{ now(utc=true).timestamp() }}"
      tasks:
        - name: A healthy simulator, its port standing in for the gateway, in check mode
          docops.onlyoffice.gateway_diagnose:
            container: "{{ healthy.name }}"
            published_port: "{{ healthy.port }}"
            gateway_url: "http://127.0.0.1:{{ healthy.port }}"
          check_mode: true
          register: healthy_result

        - name: The same found by its published port among the simulators
          docops.onlyoffice.gateway_diagnose:
            published_port: "{{ healthy.port }}"
            gateway_url: "http://127.0.0.1:{{ healthy.port }}"
          register: by_port

        - name: The same without the Docker SDK, through the docker CLI
          docops.onlyoffice.gateway_diagnose:
            container: "{{ healthy.name }}"
            gateway_url: "http://127.0.0.1:{{ healthy.port }}"
          vars:
            ansible_python_interpreter: "{{ plain_python }}"
          register: by_cli
          when: plain_python | length > 0

        - name: A container that crashed
          docops.onlyoffice.gateway_diagnose:
            container: "{{ exited.name }}"
            gateway_url: "http://127.0.0.1:{{ exited.port }}"
          register: exited_result

        - name: docservice never listens (database down at start), past the start budget
          docops.onlyoffice.gateway_diagnose:
            container: "{{ db_down.name }}"
            gateway_url: "http://127.0.0.1:{{ db_down.port }}"
            start_budget: 0
          register: db_down_result

        - name: The same within the start budget
          docops.onlyoffice.gateway_diagnose:
            container: "{{ db_down.name }}"
            gateway_url: "http://127.0.0.1:{{ db_down.port }}"
            start_budget: 3600
          register: db_down_starting

        - name: No such container, and nothing listens where the gateway should be
          docops.onlyoffice.gateway_diagnose:
            container: "{{ missing }}"
            gateway_url: "http://127.0.0.1:{{ free_port }}"
          register: missing_result

        - name: A bad parameter fails with one line
          docops.onlyoffice.gateway_diagnose:
            container: "{{ healthy.name }}"
            timeout: .inf
          register: bad_parameter
          ignore_errors: true

        - name: Hand the results to the test
          ansible.builtin.copy:
            content: "{{ {'healthy': healthy_result, 'by_port': by_port, 'by_cli': by_cli, 'exited': exited_result,
                          'db_down': db_down_result, 'db_down_starting': db_down_starting,
                          'missing': missing_result, 'bad_parameter': bad_parameter} | to_json }}"
            dest: "{{ results }}"
            mode: "0600"
    """)


def docker(*args, check=True):
    return subprocess.run(["docker"] + list(args), capture_output=True, text=True, check=check, timeout=120)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthcheck(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/healthcheck" % port, timeout=1) as answer:
            return answer.status, answer.read().decode()
    except OSError as exc:
        return getattr(exc, "code", None), ""


def wait_for(condition, what, budget=60):
    deadline = time.monotonic() + budget
    while not condition():
        assert time.monotonic() < deadline, "not within %ds: %s" % (budget, what)
        time.sleep(0.3)


@pytest.fixture(scope="module")
def stack():
    """The simulators, started together and shared: {role: {name, port}}; all removed at the end."""
    image = images.ensure("documentserver-sim")
    tag = uuid.uuid4().hex[:8]
    knobs = {"healthy": {}, "exited": {"SIM_CRASH_AFTER": "2"}, "db_down": {"SIM_DB_DOWN_AT_START": "1"}}
    started = {}
    try:
        for role, env in knobs.items():
            name, port = "docops-dg-%s-%s" % (role.replace("_", "-"), tag), free_port()
            started[role] = {"name": name, "port": port}
            options = ["-p", "127.0.0.1:%d:80" % port]
            for key, value in dict(env, GENERATE_FONTS="false").items():
                options += ["-e", "%s=%s" % (key, value)]
            docker("run", "-d", "--name", name, "--label", LABEL, *options, image)
        wait_for(lambda: healthcheck(started["healthy"]["port"]) == (200, "true"), "the healthy simulator answers true")
        wait_for(lambda: healthcheck(started["db_down"]["port"])[0] == 502, "the database-down simulator answers 502")
        wait_for(lambda: docker("inspect", "-f", "{{.State.Status}}", started["exited"]["name"]).stdout.strip()
                 == "exited", "the crashing simulator exits")
        yield started
    finally:
        for item in started.values():
            docker("rm", "-fv", item["name"], check=False)


@pytest.fixture(scope="module")
def results(stack, tmp_path_factory, collections):
    """The registered results of one ansible-playbook run over every case, and how long it took."""
    workdir = tmp_path_factory.mktemp("diagnose")
    playbook, output = workdir / "play.yml", workdir / "results.json"
    playbook.write_text(PLAY)
    plain = PLAIN_PYTHON if os.path.exists(PLAIN_PYTHON) and subprocess.run(
        [PLAIN_PYTHON, "-c", "import docker"], capture_output=True, check=False).returncode != 0 else ""
    extra = dict(stack, results=str(output), venv_python=sys.executable, plain_python=plain,
                 missing="docops-dg-missing-%s" % uuid.uuid4().hex[:8], free_port=free_port())
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")
    began = time.monotonic()
    done = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook),
                           "-e", json.dumps(extra)], env=env, capture_output=True, text=True, check=False, timeout=300)
    seconds = time.monotonic() - began
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(output.read_text()), seconds, bool(plain)


def ids(result):
    return [cause["id"] for cause in result["causes"]]


NO_NGINX = "nginx not installed: no nginx evidence (running, nginx -t, upstreams, error.log)"


def test_a_healthy_simulator_matches_no_cause(results, stack):
    found, _seconds, _plain = results
    for key in ("healthy", "by_port"):
        result = found[key]
        assert not result.get("failed") and result["changed"] is False, result
        assert result["healthy"] and result["cause"] is None and result["causes"] == [], result["message"]
        evidence = result["evidence"]
        assert evidence["container"]["name"] == stack["healthy"]["name"]
        assert evidence["container"]["running"] and evidence["inner"]["docservice_listening"] is True
        assert evidence["inner"]["answer"]["status"] == 200 and evidence["inner"]["answer"]["body"] == "true"
        assert evidence["gateway"]["listening"] and evidence["gateway"]["answer"]["status"] == 200
        assert abs(evidence["clock"]["skew_seconds"]) < 30
        assert evidence["host"]["mem_total_mb"] > 0 and evidence["host"]["disk_free_mb"] > 0
        if shutil.which("nginx") is None:
            assert NO_NGINX in result["gaps"]
        assert result["message"].startswith("no cause found: container %s running" % stack["healthy"]["name"])


def test_without_the_docker_sdk_the_docker_cli_gives_the_same_container_evidence(results):
    found, _seconds, plain = results
    if not plain:
        pytest.skip("no Python without the Docker SDK on this machine")
    by_cli, by_sdk = found["by_cli"], found["healthy"]
    assert by_cli["healthy"] and "Docker SDK for Python missing: used the docker CLI" in by_cli["gaps"]
    for key in ("name", "running", "status", "restart_count", "started_at", "published", "nofile_limit", "logs"):
        assert by_cli["evidence"]["container"][key] == by_sdk["evidence"]["container"][key], key
    assert by_cli["evidence"]["inner"]["docservice_listening"] is True


def test_a_crashed_container_is_container_exited_with_its_last_log_line(results, stack):
    result = results[0]["exited"]
    assert result["cause"] == "container_exited" and result["layer"] == "container", result["message"]
    assert result["evidence"]["container"]["exit_code"] == 1
    assert "simulated crash (SIM_CRASH_AFTER=2)" in result["causes"][0]["evidence"]
    assert result["message"].startswith("no answer from container: the container is not running — state exited, "
                                        "exit code 1, last log: ")
    assert "inner" not in result["evidence"]


def test_a_database_down_at_start_is_named_before_docservice_down_or_starting(results):
    found = results[0]
    past, within = found["db_down"], found["db_down_starting"]
    assert ids(past)[:2] == ["dependency_unreachable", "docservice_down"], past["message"]
    assert ids(within)[:2] == ["dependency_unreachable", "starting"], within["message"]
    for result in (past, within):
        assert result["evidence"]["inner"]["answer"]["status"] == 502
        assert result["evidence"]["inner"]["docservice_listening"] is False
        assert result["layer"] == "docservice"
    assert past["message"].startswith("502 from docservice: a dependency (database, broker, cache) is unreachable — ")
    assert "getTableColumns error: Error: connect ECONNREFUSED 127.0.0.1:5432" in past["message"]
    assert "docservice does not listen on 8000" in past["causes"][1]["evidence"]


def test_a_missing_container_is_the_root_cause_before_the_dead_gateway(results):
    result = results[0]["missing"]
    assert ids(result) == ["container_missing", "gateway_down"], result["message"]
    assert result["evidence"]["container"]["found"] is False
    assert result["message"].startswith("no answer from container: the Document Server container does not exist — "
                                        "no container named docops-dg-missing-")


def test_a_bad_parameter_fails_with_one_line_and_the_whole_run_takes_seconds(results):
    found, seconds, _plain = results
    failed = found["bad_parameter"]
    assert failed["failed"] and failed["msg"] == "timeout must be a finite number, got inf", failed
    # Eight module runs, one of them through the CLI, in one play.
    assert seconds < 60, seconds
    print("\ngateway_diagnose: 8 runs in one play took %.1f s; causes: exited %s, db down %s / %s, missing %s" % (
        seconds, ids(found["exited"]), ids(found["db_down"]), ids(found["db_down_starting"]), ids(found["missing"])))
