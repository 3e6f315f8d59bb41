"""gateway_probe with container= and stable_for= on the real Docker engine here, through ansible-playbook.

A simulator container (TEST DOUBLE of the Document Server) that crashes 3 s after each start
and is restarted by its restart policy answers `true` between crashes: the successes alone
call it ready, ready-means-stable does not, and the failure names the restarts. A healthy
simulator is ready with stable_for=3, and the test prints what stable_for costs.

Every container is labelled docops.testbed=1 and removed at the end, also on failure.
Ports are published on 127.0.0.1 only.
Run: .venv/bin/python -m pytest tests/integration/test_gateway_probe_container.py -q -s
"""
import json
import os
import re
import socket
import subprocess
import sys
import textwrap
import uuid

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.dirname(sys.executable)
sys.path.insert(0, os.path.join(ROOT, "tests", "bed"))
import images  # noqa: E402  (tests/bed is not a package)

LABEL = "docops.testbed=1"

CRASH_PLAY = textwrap.dedent("""\
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: Successes only, as before stable_for
          docops.onlyoffice.gateway_probe:
            url: "{{ url }}"
            container: "{{ container }}"
            budget: 15
          register: successes_only

        - name: Ready means stable for 10 s
          docops.onlyoffice.gateway_probe:
            url: "{{ url }}"
            container: "{{ container }}"
            stable_for: 10
            budget: 40
          register: stable

        - name: The same with fail_when_not_ready names the crash
          docops.onlyoffice.gateway_probe:
            url: "{{ url }}"
            container: "{{ container }}"
            stable_for: 10
            budget: 15
            fail_when_not_ready: true
          register: failed
          ignore_errors: true

        - name: Hand the results to the test
          ansible.builtin.copy:
            content: "{{ {'successes_only': successes_only, 'stable': stable, 'failed': failed} | to_json }}"
            dest: "{{ results }}"
            mode: "0600"
    """)

HEALTHY_PLAY = textwrap.dedent("""\
    - hosts: localhost
      gather_facts: false
      tasks:
        - name: Just after the start, ready means stable for 3 s
          docops.onlyoffice.gateway_probe:
            url: "{{ url }}"
            container: "{{ container }}"
            stable_for: 3
            budget: 30
            fail_when_not_ready: true
          register: fresh

        - name: Already healthy, successes only
          docops.onlyoffice.gateway_probe:
            url: "{{ url }}"
            container: "{{ container }}"
            fail_when_not_ready: true
          register: healthy_successes_only

        - name: Already healthy, stable for 3 s
          docops.onlyoffice.gateway_probe:
            url: "{{ url }}"
            container: "{{ container }}"
            stable_for: 3
            fail_when_not_ready: true
          register: healthy_stable

        - name: Hand the results to the test
          ansible.builtin.copy:
            content: "{{ {'fresh': fresh, 'healthy_successes_only': healthy_successes_only,
                          'healthy_stable': healthy_stable} | to_json }}"
            dest: "{{ results }}"
            mode: "0600"
    """)


def docker(*args, check=True):
    return subprocess.run(["docker"] + list(args), capture_output=True, text=True, check=check, timeout=120)


def free_port():
    """A fixed host port, so that a restart by the restart policy keeps the same address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def simulator():
    """start(env) -> (name, url) of a simulator container with restart policy unless-stopped; all removed at the end."""
    image = images.ensure("documentserver-sim")
    started = []

    def start(env):
        name = "docops-gp-sim-%s" % uuid.uuid4().hex[:10]
        started.append(name)  # before `run`: a failed run can still leave a container
        port = free_port()
        options = ["--restart", "unless-stopped", "-p", "127.0.0.1:%d:80" % port]
        for key, value in dict(env, GENERATE_FONTS="false").items():
            options += ["-e", "%s=%s" % (key, value)]
        docker("run", "-d", "--name", name, "--label", LABEL, *options, image)
        return name, "http://127.0.0.1:%d" % port

    yield start
    for name in started:
        docker("rm", "-fv", name, check=False)


@pytest.fixture
def play(tmp_path, collections):
    """play(text, **variables) -> the results the playbook wrote; ansible-playbook on localhost, connection local."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="0", ANSIBLE_INVENTORY_UNPARSED_WARNING="0")

    def run(text, **variables):
        playbook, results = tmp_path / "play.yml", tmp_path / "results.json"
        playbook.write_text(text)
        extra = dict(variables, results=str(results), ansible_python_interpreter=sys.executable)
        command = [os.path.join(BIN, "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook),
                   "-e", json.dumps(extra)]
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(results.read_text()), done.stdout

    return run


def test_a_crash_loop_is_not_ready_when_ready_means_stable(simulator, play):
    name, url = simulator({"SIM_CRASH_AFTER": "3"})
    results, output = play(CRASH_PLAY, url=url, container=name)

    # The hole: three `true` answers 0.2 s apart between two crashes.
    assert results["successes_only"]["ready"], results["successes_only"]

    stable = results["stable"]
    assert not stable["ready"] and stable["elapsed"] < 41  # the last attempt starts before the 40 s
    assert stable["container"]["restarts_seen"] >= 3, stable["container"]
    observations = set(entry["obs"] for entry in stable["history"])
    assert "true" in observations and observations & {"restarted", "restarting (exit 1)"}, stable["history"]
    assert any("simulated crash" in line for line in stable["logs"]), stable["logs"]

    failed = results["failed"]
    assert failed["failed"] and not failed["ready"]
    assert " not ready after 15s: last answer " in failed["msg"] and "\n" not in failed["msg"]
    # Docker's restart back-off grows while the loop goes on: this late run may see a single restart.
    restarts = failed["container"]["restarts_seen"]
    assert restarts >= 1
    assert re.search(r"; container %s restarted %d times?(, last exit code 1)?; log tail: \S" % (name, restarts),
                     failed["msg"]), failed["msg"]
    assert "restarted" in output  # the failure shows in the play's own output

    print("\ncrash loop: successes only -> ready after %.2fs; stable_for=10 budget=40 -> ready=%s, %d restarts "
          "seen, %d attempts, history %s\nfail message: %s" % (
              results["successes_only"]["elapsed"], stable["ready"], stable["container"]["restarts_seen"],
              stable["attempts"], [(entry["obs"], entry["count"]) for entry in stable["history"]], failed["msg"]))


def test_a_healthy_server_is_ready_with_stable_for_and_what_it_costs(simulator, play):
    name, url = simulator({})
    results, _output = play(HEALTHY_PLAY, url=url, container=name)

    fresh, quick, stable = results["fresh"], results["healthy_successes_only"], results["healthy_stable"]
    for result in (fresh, quick, stable):
        assert result["ready"] and result["container"]["restarts_seen"] == 0 and "logs" not in result
        assert result["container"]["status"] == "running"
    assert fresh["streak_seconds"] >= 3 and stable["streak_seconds"] >= 3
    first_true = next(entry["first"] for entry in fresh["history"] if entry["obs"] == "true")
    assert fresh["elapsed"] == pytest.approx(first_true + 3, abs=0.5)
    # stable_for=3 replaces the 0.4 s that three successes take with about 3 s.
    cost = stable["elapsed"] - quick["elapsed"]
    assert 2 <= cost <= 4

    print("\nhealthy: first probe after docker run -> first true at %.2fs, ready with stable_for=3 at %.2fs; "
          "then, already healthy: "
          "successes only %.2fs (%d attempts), stable_for=3 %.2fs (%d attempts): stable_for costs %.2fs" % (
              first_true, fresh["elapsed"], quick["elapsed"], quick["attempts"], stable["elapsed"],
              stable["attempts"], cost))
