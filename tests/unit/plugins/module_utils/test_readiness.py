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
