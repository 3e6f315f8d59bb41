from __future__ import (absolute_import, division, print_function)
__metaclass__ = type

import pytest

from ansible_collections.docops.onlyoffice.plugins.module_utils import _readiness


class FakeClock:
    """Time that moves only when the policy sleeps or a check takes time."""

    def __init__(self):
        self.now = 100.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


def scripted(clock, answers, duration=0.0):
    """A check that returns the answers in order ('true' is ok), then keeps the last one."""
    remaining = list(answers)

    def check():
        clock.now += duration
        answer = remaining.pop(0) if len(remaining) > 1 else remaining[0]
        return answer == "true", answer
    return check


def run(answers, clock=None, duration=0.0, **options):
    clock = clock or FakeClock()
    return _readiness.wait(scripted(clock, answers, duration), clock=clock, sleep=clock.sleep, **options)


def test_ready_after_consecutive_successes():
    result = run(["true"], successes=3)
    assert result["ready"] and result["attempts"] == 3 and result["consecutive"] == 3
    assert result["failures"] == 0
    assert result["elapsed"] == pytest.approx(0.4)
    assert result["history"] == [{"obs": "true", "count": 3, "first": 0.0, "last": 0.4}]


def test_a_failure_resets_the_count():
    result = run(["true", "true", "502", "true", "true", "true"], successes=3)
    assert result["ready"] and result["attempts"] == 6 and result["failures"] == 1
    assert [entry["obs"] for entry in result["history"]] == ["true", "502", "true"]


def test_fonts_restart_sequence():
    result = run(["502", "502", "true", "502", "true", "true", "true"], successes=3)
    assert result["ready"] and result["attempts"] == 7
    assert [(entry["obs"], entry["count"]) for entry in result["history"]] == [
        ("502", 2), ("true", 1), ("502", 1), ("true", 3)]
    assert result["history"][-1]["first"] == pytest.approx(0.8)
    assert result["history"][-1]["last"] == pytest.approx(1.2)


def test_budget_expiry_stops_before_the_deadline():
    clock = FakeClock()
    result = run(["502"], clock=clock, successes=3, budget=2.0, interval=0.2)
    assert not result["ready"] and result["consecutive"] == 0
    # Attempts start at 0.0, 0.2 ... 1.8; none at 2.0 (the end of the budget).
    assert result["attempts"] == 10
    assert result["history"] == [{"obs": "502", "count": 10, "first": 0.0, "last": 1.8}]
    assert result["elapsed"] <= 2.0


def test_not_ready_when_successes_arrive_too_late():
    result = run(["502"] * 9 + ["true"], successes=3, budget=2.0)
    assert not result["ready"] and result["consecutive"] == 1


def test_at_least_one_attempt_even_with_a_tiny_budget():
    result = run(["true"], successes=1, budget=0.001)
    assert result["ready"] and result["attempts"] == 1


def test_slow_checks_are_not_followed_by_a_sleep():
    clock = FakeClock()
    result = run(["timeout"], clock=clock, duration=1.0, successes=2, budget=3.0, interval=0.2)
    # Checks take 1 s each: attempts start at 0, 1, 2, never sleeping.
    assert result["attempts"] == 3
    assert all(seconds == 0 for seconds in clock.sleeps)
    assert result["elapsed"] == pytest.approx(3.0)


def test_interval_counts_from_the_start_of_an_attempt():
    clock = FakeClock()
    run(["502", "502", "true"], clock=clock, duration=0.05, successes=1, interval=0.2)
    assert clock.sleeps == [pytest.approx(0.15), pytest.approx(0.15)]


def test_failures_in_the_start_period_are_expected():
    result = run(["502"] * 6 + ["true"], successes=1, start_period=1.0)
    # Attempts at 0.0 .. 1.0; those before 1.0 s (five) are expected.
    assert result["ready"] and result["failures"] == 1


def test_history_merges_only_neighbours():
    result = run(["502", "refused", "refused", "502", "false", "true"], successes=1)
    assert [(entry["obs"], entry["count"]) for entry in result["history"]] == [
        ("502", 1), ("refused", 2), ("502", 1), ("false", 1), ("true", 1)]
    assert result["history"][1]["first"] == pytest.approx(0.2)
    assert result["history"][1]["last"] == pytest.approx(0.4)


# ---------------------------------------------------------------- stable_for: ready means stable

def timed(clock, answer_at):
    """A check whose answer depends on the seconds since the fake clock's start: answer_at(t) -> text."""
    start = clock.now

    def check():
        answer = answer_at(clock.now - start)
        return answer == "true", answer
    return check


def run_timed(answer_at, clock=None, **options):
    clock = clock or FakeClock()
    return _readiness.wait(timed(clock, answer_at), clock=clock, sleep=clock.sleep, **options)


def test_stable_for_zero_is_the_successes_only():
    assert run(["true"], successes=3, stable_for=0)["elapsed"] == pytest.approx(0.4)


def test_a_server_that_stays_healthy_is_ready_after_stable_for():
    result = run_timed(lambda t: "true", successes=3, stable_for=5, budget=10)
    assert result["ready"] and result["failures"] == 0
    # Attempts at 0.0, 0.2 ... 5.0: the streak spans 5 s at the 26th.
    assert result["attempts"] == 26 and result["consecutive"] == 26
    assert result["streak_seconds"] == pytest.approx(5.0)
    assert result["elapsed"] == pytest.approx(5.0)


def test_a_server_that_dies_after_3_seconds_is_not_ready_with_stable_for_5():
    result = run_timed(lambda t: "true" if t < 3 else "refused", successes=3, stable_for=5, budget=10)
    assert not result["ready"] and result["consecutive"] == 0 and result["streak_seconds"] == 0
    assert [entry["obs"] for entry in result["history"]] == ["true", "refused"]
    # Without stable_for the same server passes at once: the hole this option closes.
    assert run_timed(lambda t: "true" if t < 3 else "refused", successes=3, budget=10)["ready"]


def test_a_crash_loop_is_never_ready():
    # Up 3 s, down 1 s, up 3 s...: every streak is shorter than stable_for.
    result = run_timed(lambda t: "true" if t % 4 < 3 else "502", successes=3, stable_for=5, budget=20)
    assert not result["ready"]
    assert [entry["obs"] for entry in result["history"]][:4] == ["true", "502", "true", "502"]
    assert result["elapsed"] <= 20


def test_a_failure_resets_the_streak_and_its_start():
    # One 502 at 3.0 s: the streak starts again at 3.2 s and needs 5 s from there.
    result = run_timed(lambda t: "502" if 2.9 < t < 3.1 else "true", successes=3, stable_for=5, budget=10)
    assert result["ready"] and result["failures"] == 1
    assert result["elapsed"] == pytest.approx(8.2)
    assert result["history"][-1]["first"] == pytest.approx(3.2)


def test_stable_for_does_not_replace_successes():
    # 50 successes at 0.2 s take 9.8 s, more than the 1 s stable_for asks.
    result = run_timed(lambda t: "true", successes=50, stable_for=1, budget=20)
    assert result["ready"] and result["attempts"] == 50 and result["elapsed"] == pytest.approx(9.8)


def test_float_steps_reach_stable_for():
    # 0.1 added three times is 0.30000000000000004, and 0.7 - 0.4 is 0.29999999999999993.
    clock = FakeClock()
    clock.now = 0.4
    result = run_timed(lambda t: "true", clock=clock, successes=1, stable_for=0.3, interval=0.1, budget=1)
    assert result["ready"] and result["attempts"] == 4


def test_a_budget_shorter_than_stable_for_can_never_be_ready():
    result = run_timed(lambda t: "true", successes=1, stable_for=5, budget=5)
    assert not result["ready"] and result["streak_seconds"] == pytest.approx(4.8)


# ---------------------------------------------------------------- the container behind the answers

def inspect(status="running", restart_count=0, started_at="2026-11-23T10:00:00Z", exit_code=0, oom=False):
    """`docker inspect` output, the parts the watch reads."""
    return {"RestartCount": restart_count,
            "State": {"Status": status, "Running": status in ("running", "restarting", "paused"),
                      "Restarting": status == "restarting", "Paused": status == "paused",
                      "ExitCode": exit_code, "OOMKilled": oom, "StartedAt": started_at}}


def state(**options):
    return _readiness.container_state(inspect(**options))


def test_container_state_keeps_what_tells_a_crash():
    assert state(status="restarting", restart_count=2, exit_code=1) == {
        "status": "restarting", "running": True, "restarting": True, "exit_code": 1, "oom_killed": False,
        "restart_count": 2, "started_at": "2026-11-23T10:00:00Z"}
    assert _readiness.container_state(None)["status"] == "missing"


@pytest.mark.parametrize("options, problem", [
    ({}, None),
    ({"status": "exited", "exit_code": 1}, "exited 1"),
    ({"status": "exited", "exit_code": 137, "oom": True}, "exited 137 (OOM killed)"),
    ({"status": "restarting", "exit_code": 1}, "restarting (exit 1)"),
    ({"status": "paused"}, "not running (paused)"),
    ({"status": "created", "started_at": _readiness.NEVER_STARTED}, "not running (created)"),
    ({"status": "dead", "exit_code": 1}, "not running (dead)"),
])
def test_state_problem(options, problem):
    assert _readiness.state_problem(state(**options)) == problem


def test_missing_container_problem():
    assert _readiness.state_problem(_readiness.container_state(None)) == "no container"


def test_restarted_by_count_or_start_time():
    before = state()
    assert not _readiness.restarted(before, state())
    assert _readiness.restarted(before, state(restart_count=1))
    assert _readiness.restarted(before, state(started_at="2026-11-23T10:00:09Z"))


def scripted_states(states):
    """A state reader that returns the states in order, then keeps the last one."""
    remaining = list(states)

    def read():
        return remaining.pop(0) if len(remaining) > 1 else remaining[0]
    return read


def observe_all(watch, pairs):
    return [watch.observe(current, ok) for ok, current in pairs]


def test_a_restart_between_healthy_answers_fails_the_attempt():
    watch = _readiness.ContainerWatch(None)
    later = state(restart_count=1, started_at="2026-11-23T10:00:05Z")
    problems = observe_all(watch, [(True, state()), (True, state()), (True, later), (True, later)])
    # The third answer is healthy, but the container is not the one of the first success.
    assert problems == [None, None, "restarted", None]
    assert watch.baseline is later
    assert watch.restarts_seen == 1


def test_the_baseline_is_taken_at_the_first_success_of_the_streak():
    watch = _readiness.ContainerWatch(None)
    restarted = state(restart_count=1, started_at="2026-11-23T10:00:05Z")
    # Failing answers while it restarts, then healthy ones: a new streak, not a restart inside it.
    problems = observe_all(watch, [(False, state()), (False, restarted), (True, restarted), (True, restarted)])
    assert problems == [None, None, None, None]
    assert watch.baseline is restarted and watch.restarts_seen == 1


def test_restarts_are_counted_once_through_the_restarting_state():
    watch = _readiness.ContainerWatch(None)
    sequence = [
        state(),
        state(status="restarting", restart_count=1, exit_code=1),  # Docker counts before it starts again
        state(restart_count=1, started_at="2026-11-23T10:00:04Z"),
        state(restart_count=3, started_at="2026-11-23T10:00:09Z"),  # two restarts between two reads
    ]
    problems = observe_all(watch, [(False, current) for current in sequence])
    assert problems == [None, "restarting (exit 1)", None, None]
    assert watch.restarts_seen == 3
    # Docker's exit code is reset by the restart; the report keeps the crash's.
    assert watch.report() == dict(sequence[-1], restarts_seen=3, last_exit_code=1, last_exit_oom_killed=False)


def test_a_restart_that_docker_does_not_count_is_seen_by_its_start_time():
    watch = _readiness.ContainerWatch(None)
    observe_all(watch, [(True, state()), (False, state(status="exited", exit_code=0)),
                        (True, state(started_at="2026-11-23T10:01:00Z"))])
    assert watch.restarts_seen == 1  # `docker restart` does not raise RestartCount


def test_a_recreated_container_counts_as_a_restart():
    watch = _readiness.ContainerWatch(None)
    missing = _readiness.container_state(None)
    observe_all(watch, [(True, state(restart_count=4)), (False, missing),
                        (False, state(restart_count=0, started_at="2026-11-23T10:01:00Z"))])
    assert watch.restarts_seen == 1


@pytest.mark.parametrize("sequence, text", [
    ([state()], "container ds running, not restarted"),
    ([state(), state(status="exited", exit_code=1)], "container ds exited 1"),
    ([state(), state(status="exited", exit_code=137, oom=True)], "container ds exited 137 (OOM killed)"),
    ([state(), _readiness.container_state(None)], "container ds not found"),
    ([state(), state(status="restarting", restart_count=1, exit_code=1),
      state(restart_count=1, started_at="2026-11-23T10:00:04Z")],
     "container ds restarted 1 time, last exit code 1"),
    ([state(), state(restart_count=3, started_at="2026-11-23T10:00:04Z"),
      state(status="restarting", restart_count=4, exit_code=2)],
     "container ds restarted 4 times, last exit code 2"),
    ([state(), state(restart_count=2, started_at="2026-11-23T10:00:04Z")], "container ds restarted 2 times"),
])
def test_describe(sequence, text):
    watch = _readiness.ContainerWatch(None)
    observe_all(watch, [(False, current) for current in sequence])
    assert watch.describe("ds") == text


def test_watching_a_crash_loop_on_the_fake_clock():
    """HTTP healthy while the container runs; it crashes 3 s after each start and is restarted after 0.5 s."""
    clock = FakeClock()
    start = clock.now

    def container_at(t):
        run, within = divmod(t, 3.5)
        started_at = "run-%d" % run
        if within < 3:
            return inspect(restart_count=int(run), started_at=started_at)
        return inspect(status="restarting", restart_count=int(run) + 1, started_at=started_at, exit_code=1)

    watch = _readiness.ContainerWatch(lambda: _readiness.container_state(container_at(clock.now - start)))
    http = timed(clock, lambda t: "true" if t % 3.5 < 3 else "refused")
    result = _readiness.wait(watch.watching(http), successes=3, stable_for=5, budget=12,
                             clock=clock, sleep=clock.sleep)
    assert not result["ready"]
    assert [entry["obs"] for entry in result["history"]][:3] == ["true", "restarting (exit 1)", "true"]
    assert watch.restarts_seen == 3
    assert watch.describe("ds") == "container ds restarted 3 times, last exit code 1"


def test_watching_catches_a_restart_the_answers_miss():
    """Healthy at every attempt, but the container restarted at 2 s: the streak starts again there."""
    clock = FakeClock()
    start = clock.now

    def container_at(t):
        return inspect(restart_count=0 if t < 2 else 1, started_at="first" if t < 2 else "second")

    watch = _readiness.ContainerWatch(lambda: _readiness.container_state(container_at(clock.now - start)))
    result = _readiness.wait(watch.watching(timed(clock, lambda t: "true")), successes=3, stable_for=5,
                             budget=10, clock=clock, sleep=clock.sleep)
    assert result["ready"] and result["failures"] == 1
    assert [(entry["obs"], entry["first"]) for entry in result["history"]] == [
        ("true", 0.0), ("restarted", pytest.approx(2.0)), ("true", pytest.approx(2.2))]
    assert result["elapsed"] == pytest.approx(7.2)


def test_last_log_line():
    assert _readiness.last_log_line(["first", "  last   words \t", "", "  "]) == "last words"
    assert _readiness.last_log_line([]) is None
    assert _readiness.last_log_line(["x" * 300]) == "x" * 197 + "..."


def test_not_ready_message():
    assert _readiness.not_ready_message("http://h/healthcheck", 30, "refused (connect: x)",
                                        {"consecutive": 1, "streak_seconds": 0.2}, 3, 0) == (
        "http://h/healthcheck not ready after 30s: last answer refused (connect: x); 1 of 3 consecutive successes")
    waited = {"consecutive": 4, "streak_seconds": 2.6}
    assert _readiness.not_ready_message(
        "http://h/healthcheck", 30, "refused (connect: x)", waited, 3, 10,
        "container ds restarted 3 times, last exit code 1", "[FATAL] crash") == (
        "http://h/healthcheck not ready after 30s: last answer refused (connect: x); 4 consecutive successes "
        "over 2.6s, need 3 over 10s; container ds restarted 3 times, last exit code 1; log tail: [FATAL] crash")
