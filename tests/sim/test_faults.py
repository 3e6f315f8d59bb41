"""Fault knobs: slow start, crash, crash loop, hang, memory leak until OOM."""
import datetime
import json
import re
import time
import uuid

import pytest
import requests

from simhelpers import LABEL, docker, wait_until

STAMP = r"\[(\d{4}-\d\d-\d\dT[\d:.]+)\] \[WARN\] \[localhost\] \[docId\] \[userId\] nodeJS - "


def stamp_of(logs, message):
    found = re.search(STAMP + re.escape(message), logs)
    assert found, message
    return datetime.datetime.fromisoformat(found.group(1))


def test_start_delay_gives_inner_502_first(sims):
    sim = sims.start({"SIM_START_DELAY": "4"})
    wait_until(lambda: sim.health() == "502", 5, what="inner 502")
    assert sim.get("/welcome/").status_code == 200  # static even while docservice is not there
    sim.wait_healthy(timeout=15)
    logs = sim.logs()
    waited = stamp_of(logs, "Express server listening") - stamp_of(logs, "Express server starting...")
    assert waited.total_seconds() >= 4


def test_crash_after_exits_non_zero(sims):
    sim = sims.start({"SIM_CRASH_AFTER": "2"})
    state = sim.wait_exited(15)
    assert state["ExitCode"] == 1 and not state["OOMKilled"]
    assert re.search(r"\[FATAL\] .* nodeJS - uncaughtException: Error: simulated crash", sim.logs())


def test_crash_after_with_restart_policy_is_a_crash_loop(sims):
    sim = sims.start({"SIM_CRASH_AFTER": "1"}, args=["--restart", "always"])
    wait_until(lambda: sim.inspect()["RestartCount"] >= 2, 20, interval=0.3, what="two restarts")


def test_hang_accepts_but_never_answers(sims):
    sim = sims.start({"SIM_HANG": "1"})
    sim.wait_log("Express server listening")
    with pytest.raises(requests.ReadTimeout):
        sim.get("/healthcheck", timeout=2)
    assert sim.get("/welcome/").status_code == 200
    direct = docker("exec", sim.name, "curl", "-s", "-m", "1", "http://127.0.0.1:8000/healthcheck", check=False)
    assert direct.returncode == 28  # curl's "operation timed out": connected, no answer
    assert sim.stop() < 10 and sim.state()["ExitCode"] == 0


@pytest.fixture(scope="module")
def engine_reports_oom(sim_image):
    """Whether this Docker engine sets State.OOMKilled at all: a plain OOM kill, no simulator."""
    name = "docops-sim-oomprobe-" + uuid.uuid4().hex[:8]
    try:
        docker("run", "--name", name, "--label", LABEL, "--memory", "32m", "--entrypoint", "python3",
               sim_image, "-c", "hoard = b'x' * 200000000", check=False)
        return json.loads(docker("inspect", name).stdout)[0]["State"]["OOMKilled"]
    finally:
        docker("rm", "-fv", name, check=False)


def test_memory_leak_is_oom_killed(sims, engine_reports_oom):
    sim = sims.start({"SIM_LEAK_MB_PER_S": "64"}, args=["--memory", "256m"])
    started = time.monotonic()
    state = sim.wait_exited(40)
    assert state["ExitCode"] == 137
    assert time.monotonic() - started > 2  # it was up and leaking first
    assert re.search(r"docservice exited unexpectedly \(killed by signal 9, memory cgroup oom_kill=[1-9]",
                     sim.logs())
    # Docker 20.10 on this host never sets State.OOMKilled, not even for a plain OOM kill (the
    # kernel's memory cgroup does count it): the simulator's kill must look like a real one.
    assert state["OOMKilled"] is engine_reports_oom
